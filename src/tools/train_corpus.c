/* train_corpus.c: reading what attnlab-train learns from (train_corpus.h). */
#include "train_corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void train_pairs_free(train_pairs *pairs)
{
    free(pairs->pairs), free(pairs->ids);
    *pairs = (train_pairs){0};
}

/* The ids of one side (its text NUL-terminated in side); 0 words if empty. */
static al_status side_ids(al_tokens *tokens, const char *side, const al_vocab *vocab,
                          al_error *err)
{
    *tokens = (al_tokens){0};
    if (strspn(side, " \t\r\v\f") == strlen(side))
        return AL_OK;
    return al_tokenize(tokens, side, vocab, AL_TOKENIZE_PLAIN, err);
}

/* Append one pair's three rows to the storage (room was made). */
static void add_pair(train_pairs *pairs, long *used, const al_tokens *source,
                     const al_tokens *target, int line)
{
    int *at = pairs->ids + *used, s = source->count, t = target->count;
    train_pair *p = &pairs->pairs[pairs->count++];
    *p = (train_pair){.source_length = s, .target_length = t + 1, .line = line,
                      .source = at, .read = at + s, .write = at + s + t + 1};
    memcpy(at, source->ids, (size_t)s * sizeof *at);
    at[s] = AL_TOKEN_BOS;
    memcpy(at + s + 1, target->ids, (size_t)t * sizeof *at);
    memcpy(at + s + t + 1, target->ids, (size_t)t * sizeof *at);
    at[s + 2 * t + 1] = AL_TOKEN_EOS;
    *used += s + 2 * (t + 1);
}

/* One line (NUL-terminated, its tab found) as a pair, or the reason not. */
static al_status read_pair(train_pairs *pairs, long *used, char *line, char *tab,
                           int number, const char *path, const al_vocab *vocab,
                           int max_length, al_error *err)
{
    *tab = '\0';
    al_tokens source, target;
    al_status status = side_ids(&source, line, vocab, err);
    if (status == AL_OK)
        status = side_ids(&target, tab + 1, vocab, err);
    else
        target = (al_tokens){0};
    const char *problem = status != AL_OK ? err->message
                        : strchr(tab + 1, '\t') ? "more than one tab"
                        : source.count == 0 ? "the source (before the tab) is empty"
                        : target.count == 0 ? "the target (after the tab) is empty" : NULL;
    char why[AL_ERROR_MESSAGE_SIZE];
    if (problem)
        snprintf(why, sizeof why, "%s", problem);
    else if (source.count > max_length)
        snprintf(why, sizeof why, "the source has %d words, more than the context of %d",
                 source.count, max_length);
    else if (target.count + 1 > max_length)
        snprintf(why, sizeof why, "the target has %d words, and with <eos> that is more "
                 "than the context of %d", target.count, max_length);
    else
        why[0] = '\0';
    if (why[0])
        status = al_fail(err, AL_ERR_FORMAT, "%s:%d: %s", path, number, why);
    else
        add_pair(pairs, used, &source, &target, number);
    al_tokens_free(&source), al_tokens_free(&target);
    return status;
}

al_status train_read_pairs(train_pairs *pairs, const char *text, const char *path,
                           const al_vocab *vocab, int max_length, al_error *err)
{
    *pairs = (train_pairs){0};
    long lines = 1, length = (long)strlen(text);
    for (const char *c = text; *c; c++)
        lines += *c == '\n';
    /* a pair of S + T words keeps S + 2 (T + 1) ids, and a line of n bytes
     * holds at most n words: 2 ids a byte and 2 a line are room enough */
    pairs->pairs = calloc((size_t)lines, sizeof *pairs->pairs);
    pairs->ids = calloc((size_t)(2 * length + 2 * lines + 2), sizeof *pairs->ids);
    char *copy = malloc((size_t)length + 1);
    if (!pairs->pairs || !pairs->ids || !copy) {
        free(copy);
        train_pairs_free(pairs);
        return al_fail(err, AL_ERR_NOMEM, "no memory for the pairs of %s", path);
    }
    memcpy(copy, text, (size_t)length + 1);
    al_status status = AL_OK;
    long used = 0;
    char *line = copy;
    for (int number = 1; line && status == AL_OK; number++) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        char *tab = strchr(line, '\t');
        if (strspn(line, " \t\r\v\f") == strlen(line))
            ;   /* a blank line */
        else if (!tab)
            status = al_fail(err, AL_ERR_FORMAT, "%s:%d: no tab between the source and the "
                             "target", path, number);
        else
            status = read_pair(pairs, &used, line, tab, number, path, vocab, max_length, err);
        line = end ? end + 1 : NULL;
    }
    free(copy);
    if (status == AL_OK && pairs->count == 0)
        status = al_fail(err, AL_ERR_VALUE, "%s has no pairs (a line is a source, a tab and "
                         "its target)", path);
    if (status != AL_OK)
        train_pairs_free(pairs);
    return status;
}
