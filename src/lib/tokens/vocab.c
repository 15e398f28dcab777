/* vocab.c: the vocabulary: ids to words (an array), words to ids (binary
 * search over the ids kept in the byte order of their words), building it
 * from a word list, from text or from a model file's word list.
 * Turning a sentence into ids is tokenizer.c. */
#include "attnlab/vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokens/word_split.h"

void al_vocab_free(al_vocab *vocab)
{
    if (!vocab)
        return;
    for (int id = 0; id < vocab->size; id++)
        free(vocab->words[id]);
    free(vocab->words);
    free(vocab->by_word);
    *vocab = (al_vocab){0};
}

al_status al_vocab_init(al_vocab *vocab, al_error *err)
{
    *vocab = (al_vocab){0};
    for (int id = 0; id < AL_SPECIAL_TOKENS; id++) {
        int added;
        al_status status = al_vocab_add(vocab, special_spelling(id), &added, err);
        if (status != AL_OK) {
            al_vocab_free(vocab);
            return status;
        }
    }
    return AL_OK;
}

/* Binary search in by_word: the position of word if present (*found set),
 * else the position where it would go. */
static int search(const al_vocab *vocab, const char *word, bool *found)
{
    int low = 0, high = vocab->size; /* the answer is in [low, high] */
    while (low < high) {
        int middle = low + (high - low) / 2;
        int order = strcmp(vocab->words[vocab->by_word[middle]], word);
        if (order == 0) {
            *found = true;
            return middle;
        }
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    *found = false;
    return low;
}

int al_vocab_find(const al_vocab *vocab, const char *word)
{
    bool found;
    int position = search(vocab, word, &found);
    return found ? vocab->by_word[position] : -1;
}

const char *al_vocab_word(const al_vocab *vocab, int id)
{
    return id >= 0 && id < vocab->size ? vocab->words[id] : NULL;
}

static al_status check_word(const char *word, al_error *err)
{
    size_t n = strlen(word);
    if (n == 0)
        return al_fail(err, AL_ERR_VALUE, "vocabulary: a word cannot be empty");
    if (n > AL_MAX_WORD_BYTES)
        return al_fail(err, AL_ERR_VALUE, "vocabulary: the word '%.20s...' is longer than %d "
                       "bytes", word, AL_MAX_WORD_BYTES);
    if (strpbrk(word, " \t\n\r\v\f"))
        return al_fail(err, AL_ERR_VALUE, "vocabulary: '%s' holds whitespace; a word is one "
                       "token", word);
    return AL_OK;
}

/* Room for one more word: double the arrays when full. */
static al_status grow(al_vocab *vocab, al_error *err)
{
    if (vocab->size < vocab->capacity)
        return AL_OK;
    int capacity = vocab->capacity ? 2 * vocab->capacity : 64;
    char **words = realloc(vocab->words, (size_t)capacity * sizeof *words);
    if (words)
        vocab->words = words;
    int *by_word = realloc(vocab->by_word, (size_t)capacity * sizeof *by_word);
    if (by_word)
        vocab->by_word = by_word;
    if (!words || !by_word)
        return al_fail(err, AL_ERR_NOMEM, "out of memory for a vocabulary of %d words",
                       capacity);
    vocab->capacity = capacity;
    return AL_OK;
}

al_status al_vocab_add(al_vocab *vocab, const char *word, int *id, al_error *err)
{
    al_status status = check_word(word, err);
    if (status != AL_OK)
        return status;
    bool found;
    int position = search(vocab, word, &found);
    if (found) {
        *id = vocab->by_word[position];
        return AL_OK;
    }
    status = grow(vocab, err);
    if (status != AL_OK)
        return status;
    size_t n = strlen(word) + 1;
    char *copy = malloc(n);
    if (!copy)
        return al_fail(err, AL_ERR_NOMEM, "out of memory adding '%s' to the vocabulary", word);
    memcpy(copy, word, n);
    *id = vocab->size;
    vocab->words[*id] = copy;
    /* keep by_word in order: shift the later ones up by one */
    memmove(vocab->by_word + position + 1, vocab->by_word + position,
            (size_t)(vocab->size - position) * sizeof *vocab->by_word);
    vocab->by_word[position] = *id;
    vocab->size++;
    return AL_OK;
}

al_status al_vocab_add_text(al_vocab *vocab, const char *text, al_error *err)
{
    word_span span;
    char word[AL_MAX_WORD_BYTES + 1];
    for (const char *cursor = text; next_word(&span, &cursor);) {
        if (span.special_id >= 0)
            continue;
        if (span.length > AL_MAX_WORD_BYTES)
            return al_fail(err, AL_ERR_VALUE, "vocabulary: the word '%.20s...' is longer than "
                           "%d bytes", span.start, AL_MAX_WORD_BYTES);
        lower_case(word, &span);
        int id;
        al_status status = al_vocab_add(vocab, word, &id, err);
        if (status != AL_OK)
            return status;
    }
    return AL_OK;
}

/* --- word-list files ------------------------------------------------------------ */

/* One line of a word list: skipped (blank, comment, special token) or one
 * word added. Fails unless the tokenizer reads the line as one token. */
static al_status read_line(al_vocab *vocab, const char *line, const char *path, int number,
                           al_error *err)
{
    const char *cursor = line;
    word_span first, second;
    if (line[strspn(line, " \t\r\n")] == '#' || !next_word(&first, &cursor))
        return AL_OK;
    if (next_word(&second, &cursor) || first.length > AL_MAX_WORD_BYTES)
        return al_fail(err, AL_ERR_FORMAT, "%s:%d: '%.*s' is not one word by the tokenizer's "
                       "rules (see vocab.h)", path, number,
                       (int)strcspn(line, "\r\n"), line);
    if (first.special_id >= 0)
        return AL_OK;
    char word[AL_MAX_WORD_BYTES + 1];
    lower_case(word, &first);
    int existing = al_vocab_find(vocab, word);
    if (existing >= 0)
        return al_fail(err, AL_ERR_FORMAT, "%s:%d: '%s' is already in the vocabulary (id %d)",
                       path, number, word, existing);
    int id;
    return al_vocab_add(vocab, word, &id, err);
}

al_status al_vocab_read(al_vocab *vocab, const char *path, al_error *err)
{
    al_status status = al_vocab_init(vocab, err);
    if (status != AL_OK)
        return status;
    FILE *file = fopen(path, "r");
    if (!file) {
        al_vocab_free(vocab);
        return al_fail(err, AL_ERR_IO, "cannot open word list %s", path);
    }
    char line[AL_MAX_WORD_BYTES + 64];
    for (int number = 1; status == AL_OK && fgets(line, sizeof line, file); number++) {
        if (!strchr(line, '\n') && !feof(file))
            status = al_fail(err, AL_ERR_FORMAT, "%s:%d: line longer than %d bytes", path,
                             number, (int)sizeof line - 2);
        else
            status = read_line(vocab, line, path, number, err);
    }
    if (status == AL_OK && ferror(file))
        status = al_fail(err, AL_ERR_IO, "cannot read word list %s", path);
    fclose(file);
    if (status != AL_OK)
        al_vocab_free(vocab);
    return status;
}

/* --- a model file's word list -------------------------------------------------- */

al_status al_vocab_from_words(al_vocab *vocab, const char *const *words, int count,
                              al_error *err)
{
    al_status status = al_vocab_init(vocab, err);
    for (int id = 0; status == AL_OK && id < count; id++) {
        if (id < AL_SPECIAL_TOKENS) {
            if (strcmp(words[id], special_spelling(id)) != 0)
                status = al_fail(err, AL_ERR_FORMAT, "vocabulary: entry %d is '%s' but must be "
                                 "the special token %s", id, words[id], special_spelling(id));
            continue;
        }
        if (al_vocab_find(vocab, words[id]) >= 0) {
            status = al_fail(err, AL_ERR_FORMAT, "vocabulary: '%s' appears twice (entries %d "
                             "and %d)", words[id], al_vocab_find(vocab, words[id]), id);
            break;
        }
        int added;
        status = al_vocab_add(vocab, words[id], &added, err);
    }
    if (status == AL_OK && count < AL_SPECIAL_TOKENS)
        status = al_fail(err, AL_ERR_FORMAT, "vocabulary: %d entries, fewer than the %d "
                         "special tokens", count, AL_SPECIAL_TOKENS);
    if (status != AL_OK)
        al_vocab_free(vocab);
    return status;
}
