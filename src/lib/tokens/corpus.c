/* corpus.c: reading a text to learn from and its vocabulary (corpus.h). */
#include "attnlab/corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/utf8.h"

/* The offset of the first byte that is not UTF-8, or is NUL, or -1. */
static long first_bad_utf8(const char *s, long size)
{
    long bad = al_utf8_invalid(s, (size_t)size);
    const char *nul = memchr(s, '\0', (size_t)(bad >= 0 ? bad : size));
    return nul ? (long)(nul - s) : bad;
}

static long line_of(const char *text, long offset)
{
    long line = 1;
    for (long i = 0; i < offset; i++)
        line += text[i] == '\n';
    return line;
}

char *al_corpus_read(const char *path, long *size, al_error *err)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        al_fail(err, AL_ERR_IO, "cannot open the corpus %s", path);
        return NULL;
    }
    char *text = NULL;
    if (fseek(file, 0, SEEK_END) == 0 && (*size = ftell(file)) >= 0 &&
        fseek(file, 0, SEEK_SET) == 0 && (text = malloc((size_t)*size + 1)) &&
        fread(text, 1, (size_t)*size, file) == (size_t)*size)
        text[*size] = '\0';
    else {
        free(text);
        text = NULL;
        al_fail(err, AL_ERR_IO, "cannot read the corpus %s", path);
    }
    fclose(file);
    long bad = text ? first_bad_utf8(text, *size) : -1;
    if (bad >= 0) {
        al_fail(err, AL_ERR_FORMAT, "the corpus %s is not UTF-8 text (line %ld, byte %ld)",
                path, line_of(text, bad), bad);
        free(text);
        text = NULL;
    }
    return text;
}

al_status al_vocab_from_corpus(al_vocab *vocab, const char *text, int min_count, al_error *err)
{
    al_vocab seen = {0};
    al_tokens all = {0};
    *vocab = (al_vocab){0};
    al_status status = al_vocab_init(&seen, err);
    if (status == AL_OK)
        status = al_vocab_add_text(&seen, text, err);
    if (status == AL_OK && seen.size == AL_SPECIAL_TOKENS)
        status = al_fail(err, AL_ERR_VALUE, "has no words");
    if (status == AL_OK)
        status = al_tokenize(&all, text, &seen, AL_TOKENIZE_PLAIN, err);
    int *counts = status == AL_OK ? calloc((size_t)seen.size, sizeof *counts) : NULL;
    if (status == AL_OK && !counts)
        status = al_fail(err, AL_ERR_NOMEM, "no memory to count %d words", seen.size);
    for (int i = 0; status == AL_OK && i < all.count; i++)
        counts[all.ids[i]]++;
    if (status == AL_OK)
        status = al_vocab_init(vocab, err);
    for (int id = AL_SPECIAL_TOKENS; status == AL_OK && id < seen.size; id++) {
        int added;
        if (counts[id] >= min_count)
            status = al_vocab_add(vocab, al_vocab_word(&seen, id), &added, err);
    }
    free(counts);
    al_tokens_free(&all);
    al_vocab_free(&seen);
    return status;
}
