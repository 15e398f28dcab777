/* vocab.h: the vocabulary (which word has which id) and the word-level
 * tokenizer the lessons use to turn a sentence into ids. Not a subword
 * (BPE, WordPiece) tokenizer: one word is one token, and a word the
 * vocabulary lacks becomes <unk>, which the caller is told about.
 *
 * Special tokens have fixed ids in every attnlab vocabulary:
 *   0 <pad>   padding to a common length
 *   1 <unk>   a word the vocabulary does not have
 *   2 <bos>   beginning of a sentence (the decoder's first input)
 *   3 <eos>   end of a sentence (generation stops here)
 *   4 [CLS]   BERT-style summary token, first in the sentence
 *   5 [MASK]  BERT-style hidden word to predict
 * Ordinary words follow from id 6, in the order they were added.
 *
 * Tokenizer rules, applied left to right:
 *   1. Whitespace (space, tab, newline, carriage return, vertical tab,
 *      form feed) separates tokens and is dropped.
 *   2. A special token written exactly as above ("[MASK]", "<eos>", case
 *      and brackets included) at the start of a token is that token.
 *   3. Each of the punctuation marks  . , ! ? ; : " ( ) [ ] { }  is a token
 *      of its own: "bank." is "bank" then ".". Punctuation is kept, not
 *      dropped, so it needs vocabulary entries like any word. Apostrophes
 *      and hyphens stay inside words: "don't", "well-known".
 *   4. Everything else up to the next whitespace or punctuation mark is one
 *      word, looked up lower-cased (ASCII A-Z only: UTF-8 letters such as
 *      "é" are kept as they are, so "économique" is found but "Économique"
 *      is not).
 *   5. Each token keeps its surface text as written ("The") for labels and
 *      printouts; its id is the lower-cased word's ("the").
 * The same rules split a word-list file and text a vocabulary is built
 * from, so every entry is something the tokenizer can produce. */
#ifndef ATTNLAB_VOCAB_H
#define ATTNLAB_VOCAB_H

#include <stdbool.h>

#include "attnlab/status.h"

enum {
    AL_TOKEN_PAD = 0,
    AL_TOKEN_UNK = 1,
    AL_TOKEN_BOS = 2,
    AL_TOKEN_EOS = 3,
    AL_TOKEN_CLS = 4,
    AL_TOKEN_MASK = 5,
    AL_SPECIAL_TOKENS = 6  /* the first ordinary word's id */
};

/* Longest word the vocabulary accepts, in bytes. */
#define AL_MAX_WORD_BYTES 200

typedef struct al_vocab {
    int size;        /* number of entries, specials included               */
    int capacity;
    char **words;    /* words[id], owned                                   */
    int *by_word;    /* the ids in the byte order of their words, for
                        binary search                                      */
} al_vocab;

/* A vocabulary holding only the six special tokens. Free with
 * al_vocab_free. */
al_status al_vocab_init(al_vocab *vocab, al_error *err);

void al_vocab_free(al_vocab *vocab);

/* The id of word (exact bytes, already lower-cased), or -1. */
int al_vocab_find(const al_vocab *vocab, const char *word);

/* The word with this id, or NULL if there is none. */
const char *al_vocab_word(const al_vocab *vocab, int id);

/* Add word (taken as it is; callers lower-case) and return its id in *id;
 * a word already present keeps its id. Fails with AL_ERR_VALUE for an
 * empty word, one with whitespace or longer than AL_MAX_WORD_BYTES. */
al_status al_vocab_add(al_vocab *vocab, const char *word, int *id, al_error *err);

/* Add every token of text, by the tokenizer rules, in order of first
 * appearance (so the same text always gives the same ids). */
al_status al_vocab_add_text(al_vocab *vocab, const char *text, al_error *err);

/* Read a word-list file into a fresh vocabulary: the specials, then one
 * word per line in file order. Blank lines and lines starting with '#' are
 * skipped; a line naming a special token ("<eos>") is skipped too (it
 * already has its id). Words are lower-cased. A line that the tokenizer
 * would not read as exactly one word ("hello," or "ice cream"), or a word
 * listed twice, fails with AL_ERR_FORMAT and "path:line: ...". On failure
 * *vocab is empty. */
al_status al_vocab_read(al_vocab *vocab, const char *path, al_error *err);

/* A fresh vocabulary from words in id order (as stored in a model file):
 * the first six must be the special tokens in their order, and no word may
 * repeat (AL_ERR_FORMAT otherwise). */
al_status al_vocab_from_words(al_vocab *vocab, const char *const *words, int count,
                              al_error *err);

/* --- tokenizing ---------------------------------------------------------------- */

typedef struct al_tokens {
    int count;
    int *ids;        /* count ids                                              */
    char **labels;   /* count surface texts ("The"): pass as row labels        */
    char **words;    /* count looked-up forms ("the")                          */
    bool *unknown;   /* unknown[i]: words[i] is not in the vocabulary and
                        ids[i] is <unk>                                        */
} al_tokens;

/* What to put around the sentence's own tokens. */
enum al_tokenize_flags {
    AL_TOKENIZE_PLAIN = 0,
    AL_TOKENIZE_CLS = 1,   /* [CLS] first (encoder-only models)   */
    AL_TOKENIZE_BOS = 2,   /* <bos> first (after [CLS] if both)   */
    AL_TOKENIZE_EOS = 4    /* <eos> last                          */
};

/* Split text by the rules above and look every word up in vocab. Unknown
 * words become <unk> with unknown[i] set, so a program can say
 *     for (int i = 0; i < tokens.count; i++)
 *         if (tokens.unknown[i])
 *             printf("unknown word '%s' became <unk>\n", tokens.labels[i]);
 * Text with no tokens fails with AL_ERR_VALUE ("the sentence is empty").
 * The caller owns *tokens and frees it with al_tokens_free. */
al_status al_tokenize(al_tokens *tokens, const char *text, const al_vocab *vocab, int flags,
                      al_error *err);

void al_tokens_free(al_tokens *tokens);

/* Append <pad> tokens (id AL_TOKEN_PAD, label "<pad>", not unknown) until
 * tokens->count is length, so sentences of a batch share one length L; the
 * key length of the sentence (its count before padding) is what a padding
 * mask needs. A length below the count fails with AL_ERR_ARG; then, as on
 * running out of memory, tokens is unchanged. */
al_status al_tokens_pad(al_tokens *tokens, int length, al_error *err);

#endif
