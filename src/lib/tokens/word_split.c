/* word_split.c: splitting text into tokens by the rules in vocab.h:
 * whitespace separates, special tokens are recognised as written, each
 * punctuation mark stands alone, everything else runs to a word.
 * Looking tokens up is vocab.c and tokenizer.c. */
#include "tokens/word_split.h"

#include <string.h>

#include "attnlab/vocab.h"

static const char *const SPECIAL_SPELLINGS[AL_SPECIAL_TOKENS] = {
    "<pad>", "<unk>", "<bos>", "<eos>", "[CLS]", "[MASK]"};

/* The marks that are always tokens of their own. */
static const char PUNCTUATION[] = ".,!?;:\"()[]{}";

const char *special_spelling(int id)
{
    return SPECIAL_SPELLINGS[id];
}

/* ASCII whitespace only: bytes of UTF-8 letters are never mistaken for it
 * (isspace would depend on the locale). */
static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_punctuation(char c)
{
    return c != '\0' && strchr(PUNCTUATION, c) != NULL;
}

/* The special token written at text, or -1. */
static int special_at(const char *text)
{
    for (int id = 0; id < AL_SPECIAL_TOKENS; id++)
        if (strncmp(text, SPECIAL_SPELLINGS[id], strlen(SPECIAL_SPELLINGS[id])) == 0)
            return id;
    return -1;
}

bool next_word(word_span *span, const char **cursor)
{
    const char *p = *cursor;
    while (is_space(*p))
        p++;
    if (*p == '\0') {
        *cursor = p;
        return false;
    }
    *span = (word_span){.start = p, .length = 1, .special_id = special_at(p)};
    if (span->special_id >= 0) {
        span->length = strlen(SPECIAL_SPELLINGS[span->special_id]);
    } else if (!is_punctuation(*p)) {
        /* a word: up to whitespace, punctuation or the end */
        size_t n = 0;
        while (p[n] != '\0' && !is_space(p[n]) && !is_punctuation(p[n]))
            n++;
        span->length = n;
    }
    *cursor = p + span->length;
    return true;
}

void lower_case(char *out, const word_span *span)
{
    for (size_t i = 0; i < span->length; i++) {
        char c = span->start[i];
        out[i] = (span->special_id < 0 && c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[span->length] = '\0';
}
