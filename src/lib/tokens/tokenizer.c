/* tokenizer.c: a sentence to token ids, keeping each token's surface text
 * for labels and marking the words the vocabulary lacks. The rules for
 * where tokens begin and end are word_split.c; the lookup is vocab.c. */
#include "attnlab/vocab.h"

#include <stdlib.h>
#include <string.h>

#include "attnlab/utf8.h"
#include "tokens/word_split.h"

void al_tokens_free(al_tokens *tokens)
{
    if (!tokens)
        return;
    for (int i = 0; i < tokens->count; i++) {
        free(tokens->labels[i]);
        free(tokens->words[i]);
    }
    free(tokens->ids);
    free(tokens->labels);
    free(tokens->words);
    free(tokens->unknown);
    *tokens = (al_tokens){0};
}

/* Upper bound on the tokens of text: one per non-space byte, plus the
 * three that flags can add. */
static int most_tokens(const char *text)
{
    int n = 3;
    for (const char *p = text; *p; p++)
        n += *p != ' ';
    return n;
}

static char *copy_bytes(const char *s, size_t n)
{
    char *copy = malloc(n + 1);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

/* Append one token: its surface text (label), the lower-cased form looked
 * up (word) and its id, <unk> when the word is missing. */
static al_status append(al_tokens *tokens, const word_span *span, const al_vocab *vocab,
                        al_error *err)
{
    int i = tokens->count;
    char *label = copy_bytes(span->start, span->length);
    char *word = malloc(span->length + 1);
    if (!label || !word) {
        free(label);
        free(word);
        return al_fail(err, AL_ERR_NOMEM, "out of memory tokenizing");
    }
    lower_case(word, span);
    int id = span->special_id >= 0 ? span->special_id : al_vocab_find(vocab, word);
    tokens->labels[i] = label;
    tokens->words[i] = word;
    tokens->ids[i] = id >= 0 ? id : AL_TOKEN_UNK;
    tokens->unknown[i] = id < 0;
    tokens->count++;
    return AL_OK;
}

/* A special token added by a flag, as if it had been written in the text. */
static al_status append_special(al_tokens *tokens, int id, const al_vocab *vocab,
                                al_error *err)
{
    const char *spelling = special_spelling(id);
    word_span span = {.start = spelling, .length = strlen(spelling), .special_id = id};
    return append(tokens, &span, vocab, err);
}

/* Room for capacity tokens, keeping those already there (realloc of NULL
 * is malloc). On failure the arrays that did grow stay valid. */
static al_status allocate(al_tokens *tokens, int capacity, al_error *err)
{
    int *ids = realloc(tokens->ids, (size_t)capacity * sizeof *ids);
    if (ids)
        tokens->ids = ids;
    char **labels = realloc(tokens->labels, (size_t)capacity * sizeof *labels);
    if (labels)
        tokens->labels = labels;
    char **words = realloc(tokens->words, (size_t)capacity * sizeof *words);
    if (words)
        tokens->words = words;
    bool *unknown = realloc(tokens->unknown, (size_t)capacity * sizeof *unknown);
    if (unknown)
        tokens->unknown = unknown;
    if (!ids || !labels || !words || !unknown)
        return al_fail(err, AL_ERR_NOMEM, "out of memory tokenizing");
    return AL_OK;
}

al_status al_tokenize(al_tokens *tokens, const char *text, const al_vocab *vocab, int flags,
                      al_error *err)
{
    *tokens = (al_tokens){0};
    long bad = al_utf8_invalid(text, strlen(text));
    if (bad >= 0)
        return al_fail(err, AL_ERR_VALUE, "the text is not UTF-8: byte %ld is 0x%02x (in "
                       "another encoding, such as Latin-1?)", bad + 1,
                       (unsigned char)text[bad]);
    const char *cursor = text;
    word_span span;
    if (!next_word(&span, &cursor))
        return al_fail(err, AL_ERR_VALUE, "the sentence is empty: there are no words in it");

    al_status status = allocate(tokens, most_tokens(text), err);
    if (status == AL_OK && (flags & AL_TOKENIZE_CLS))
        status = append_special(tokens, AL_TOKEN_CLS, vocab, err);
    if (status == AL_OK && (flags & AL_TOKENIZE_BOS))
        status = append_special(tokens, AL_TOKEN_BOS, vocab, err);
    for (cursor = text; status == AL_OK && next_word(&span, &cursor);)
        status = append(tokens, &span, vocab, err);
    if (status == AL_OK && (flags & AL_TOKENIZE_EOS))
        status = append_special(tokens, AL_TOKEN_EOS, vocab, err);
    if (status != AL_OK)
        al_tokens_free(tokens);
    return status;
}

al_status al_tokens_pad(al_tokens *tokens, int length, al_error *err)
{
    if (length < tokens->count)
        return al_fail(err, AL_ERR_ARG, "cannot pad %d tokens to %d: padding only adds",
                       tokens->count, length);
    if (length == tokens->count)
        return AL_OK;
    int count = tokens->count;
    al_status status = allocate(tokens, length, err);
    while (status == AL_OK && tokens->count < length)
        status = append_special(tokens, AL_TOKEN_PAD, NULL, err);
    if (status != AL_OK) { /* take back the pads already added */
        for (int i = count; i < tokens->count; i++) {
            free(tokens->labels[i]);
            free(tokens->words[i]);
        }
        tokens->count = count;
    }
    return status;
}
