/* word_split.h: the tokenizer's rules for where one token ends and the next
 * begins (whitespace, special tokens, punctuation; see vocab.h), shared by
 * the tokenizer and by the vocabulary reader. Internal; not installed.
 * No lookup here: that is vocab.c. */
#ifndef ATTNLAB_WORD_SPLIT_H
#define ATTNLAB_WORD_SPLIT_H

#include <stdbool.h>
#include <stddef.h>

/* One token of a text: where it starts, how many bytes, and which special
 * token it is (AL_TOKEN_*), or -1 for a word or punctuation mark. */
typedef struct word_span {
    const char *start;
    size_t length;
    int special_id;
} word_span;

/* The special token with this id as written ("[MASK]"), for
 * 0 <= id < AL_SPECIAL_TOKENS. */
const char *special_spelling(int id);

/* Find the next token at or after *cursor, store it in *span and move
 * *cursor past it. Returns false when only whitespace is left. */
bool next_word(word_span *span, const char **cursor);

/* out (span->length + 1 bytes) = the token's bytes with ASCII A-Z
 * lower-cased; special tokens are copied as they are. */
void lower_case(char *out, const word_span *span);

#endif
