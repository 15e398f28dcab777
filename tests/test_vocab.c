/* test_vocab.c: the vocabulary (fixed special ids, lookup, building from a
 * word list, from text and from a model's word list) and the tokenizer's
 * documented rules: lower-casing, punctuation, special tokens, unknown
 * words, surface labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/vocab.h"

/* A vocabulary built from text by the tokenizer's rules; words get ids
 * from 6 in order of first appearance:
 *   the 6, cat 7, walks 8, by 9, bank 10, . 11, , 12, don't 13, économique 14 */
static al_vocab small_vocab(void)
{
    al_vocab vocab;
    assert_int_equal(al_vocab_init(&vocab, NULL), AL_OK);
    assert_int_equal(al_vocab_add_text(&vocab, "the cat walks by the bank. , don't économique",
                                       NULL),
                     AL_OK);
    return vocab;
}

static void special_tokens_have_fixed_ids(void **state)
{
    (void)state;
    al_vocab vocab;
    assert_int_equal(al_vocab_init(&vocab, NULL), AL_OK);
    const char *expected[] = {"<pad>", "<unk>", "<bos>", "<eos>", "[CLS]", "[MASK]"};
    assert_int_equal(vocab.size, 6);
    for (int id = 0; id < 6; id++) {
        assert_string_equal(al_vocab_word(&vocab, id), expected[id]);
        assert_int_equal(al_vocab_find(&vocab, expected[id]), id);
    }
    assert_int_equal(AL_TOKEN_PAD, 0);
    assert_int_equal(AL_TOKEN_MASK, 5);
    assert_null(al_vocab_word(&vocab, 6));
    assert_null(al_vocab_word(&vocab, -1));
    al_vocab_free(&vocab);
}

static void text_adds_words_in_order_of_first_appearance(void **state)
{
    (void)state;
    al_vocab vocab = small_vocab();
    const char *expected[] = {"the", "cat", "walks", "by", "bank", ".", ",", "don't",
                              "économique"};
    assert_int_equal(vocab.size, 6 + 9);
    for (int i = 0; i < 9; i++)
        assert_string_equal(al_vocab_word(&vocab, 6 + i), expected[i]);
    al_vocab_free(&vocab);
}

/* "The cat walks by the bank." → The cat walks by the bank . ; "The" and
 * "the" share an id, and the label keeps the capital. */
static void tokens_keep_surface_text_and_lower_case_ids(void **state)
{
    (void)state;
    al_vocab vocab = small_vocab();
    al_tokens tokens;
    assert_int_equal(al_tokenize(&tokens, "The cat walks by the bank.", &vocab,
                                 AL_TOKENIZE_PLAIN, NULL),
                     AL_OK);
    const char *labels[] = {"The", "cat", "walks", "by", "the", "bank", "."};
    const int ids[] = {6, 7, 8, 9, 6, 10, 11};
    assert_int_equal(tokens.count, 7);
    for (int i = 0; i < 7; i++) {
        assert_string_equal(tokens.labels[i], labels[i]);
        assert_int_equal(tokens.ids[i], ids[i]);
        assert_false(tokens.unknown[i]);
    }
    assert_string_equal(tokens.words[0], "the");
    al_tokens_free(&tokens);
    al_vocab_free(&vocab);
}

/* "the zebra, don't" → the, zebra (unknown: <unk>), ",", don't. */
static void unknown_words_become_unk_and_are_reported(void **state)
{
    (void)state;
    al_vocab vocab = small_vocab();
    al_tokens tokens;
    assert_int_equal(al_tokenize(&tokens, "the Zebra, don't", &vocab, AL_TOKENIZE_PLAIN, NULL),
                     AL_OK);
    assert_int_equal(tokens.count, 4);
    assert_int_equal(tokens.ids[1], AL_TOKEN_UNK);
    assert_true(tokens.unknown[1]);
    assert_string_equal(tokens.labels[1], "Zebra");
    assert_string_equal(tokens.words[1], "zebra");
    char message[64];
    snprintf(message, sizeof message, "unknown word '%s' became <unk>", tokens.words[1]);
    assert_string_equal(message, "unknown word 'zebra' became <unk>");
    assert_false(tokens.unknown[0] || tokens.unknown[2] || tokens.unknown[3]);
    assert_int_equal(tokens.ids[3], 13);
    al_tokens_free(&tokens);
    al_vocab_free(&vocab);
}

/* Every mark of . , ! ? ; : " ( ) [ ] { } stands alone; apostrophes and
 * hyphens stay inside words. */
static void punctuation_splits_off_but_apostrophes_and_hyphens_stay(void **state)
{
    (void)state;
    al_vocab vocab = small_vocab();
    al_tokens tokens;
    assert_int_equal(al_tokenize(&tokens, "(well-known!)\"x\";{y}[z]:?", &vocab,
                                 AL_TOKENIZE_PLAIN, NULL),
                     AL_OK);
    const char *labels[] = {"(", "well-known", "!", ")", "\"", "x", "\"", ";", "{", "y",
                            "}", "[", "z", "]", ":", "?"};
    assert_int_equal(tokens.count, 16);
    for (int i = 0; i < 16; i++)
        assert_string_equal(tokens.labels[i], labels[i]);
    al_tokens_free(&tokens);
    al_vocab_free(&vocab);
}

/* "[MASK]" and "<eos>" written exactly are special tokens, even before a
 * full stop; "[mask]" is not (it is "[", "mask", "]"). */
static void special_tokens_in_text_are_recognised_as_written(void **state)
{
    (void)state;
    al_vocab vocab = small_vocab();
    al_tokens tokens;
    assert_int_equal(al_tokenize(&tokens, "the [MASK]. <eos> [mask]", &vocab,
                                 AL_TOKENIZE_PLAIN, NULL),
                     AL_OK);
    assert_int_equal(tokens.count, 7);
    assert_int_equal(tokens.ids[1], AL_TOKEN_MASK);
    assert_string_equal(tokens.labels[1], "[MASK]");
    assert_false(tokens.unknown[1]);
    assert_int_equal(tokens.ids[2], 11);
    assert_int_equal(tokens.ids[3], AL_TOKEN_EOS);
    assert_string_equal(tokens.labels[4], "[");
    assert_string_equal(tokens.words[5], "mask");
    assert_true(tokens.unknown[5]);
    al_tokens_free(&tokens);
    al_vocab_free(&vocab);
}

static void flags_add_cls_bos_and_eos_around_the_sentence(void **state)
{
    (void)state;
    al_vocab vocab = small_vocab();
    al_tokens tokens;
    assert_int_equal(al_tokenize(&tokens, "cat", &vocab,
                                 AL_TOKENIZE_CLS | AL_TOKENIZE_BOS | AL_TOKENIZE_EOS, NULL),
                     AL_OK);
    const int ids[] = {AL_TOKEN_CLS, AL_TOKEN_BOS, 7, AL_TOKEN_EOS};
    assert_int_equal(tokens.count, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(tokens.ids[i], ids[i]);
    assert_string_equal(tokens.labels[0], "[CLS]");
    assert_string_equal(tokens.labels[3], "<eos>");
    al_tokens_free(&tokens);
    al_vocab_free(&vocab);
}

/* Only ASCII is lower-cased: "Économique" stays as written and is not
 * "économique". */
static void only_ascii_letters_are_lower_cased(void **state)
{
    (void)state;
    al_vocab vocab = small_vocab();
    al_tokens tokens;
    assert_int_equal(al_tokenize(&tokens, "économique Économique", &vocab, AL_TOKENIZE_PLAIN,
                                 NULL),
                     AL_OK);
    assert_int_equal(tokens.ids[0], 14);
    assert_true(tokens.unknown[1]);
    assert_string_equal(tokens.words[1], "Économique");
    al_tokens_free(&tokens);
    al_vocab_free(&vocab);
}

static void empty_sentence_is_refused(void **state)
{
    (void)state;
    al_vocab vocab = small_vocab();
    al_tokens tokens;
    al_error err = {0};
    assert_int_equal(al_tokenize(&tokens, " \t\n", &vocab, AL_TOKENIZE_BOS, &err), AL_ERR_VALUE);
    assert_string_equal(err.message, "the sentence is empty: there are no words in it");
    assert_int_equal(tokens.count, 0);
    al_vocab_free(&vocab);
}

/* A Latin-1 "café" is refused naming the byte; so are a cut sequence, an
 * overlong "/" and a surrogate; "café" in UTF-8, a CJK character and an
 * emoji are words. */
static void text_that_is_not_utf8_is_refused(void **state)
{
    (void)state;
    al_vocab vocab = small_vocab();
    al_tokens tokens;
    al_error err = {0};
    assert_int_equal(al_tokenize(&tokens, "the caf\xe9", &vocab, 0, &err), AL_ERR_VALUE);
    assert_string_equal(err.message, "the text is not UTF-8: byte 8 is 0xe9 (in another "
                                     "encoding, such as Latin-1?)");
    assert_int_equal(tokens.count, 0);
    static const char *const bad[] = {"cut \xe4\xb8", "overlong \xc0\xaf",
                                      "surrogate \xed\xa0\x80", "past \xf4\x90\x80\x80"};
    for (int k = 0; k < 4; k++)
        assert_int_equal(al_tokenize(&tokens, bad[k], &vocab, 0, NULL), AL_ERR_VALUE);
    assert_int_equal(al_tokenize(&tokens, "caf\xc3\xa9 \xe4\xb8\x96 \xf0\x9f\x98\x80", &vocab,
                                 0, NULL), AL_OK);
    assert_int_equal(tokens.count, 3);
    al_tokens_free(&tokens);
    al_vocab_free(&vocab);
}

/* "the cat" padded to 5: ids 6, 7, 0, 0, 0 (the pad id), labels "<pad>",
 * nothing unknown; padding to fewer tokens than there are is refused and
 * leaves the tokens as they were. */
static void padding_appends_pad_tokens_to_the_length(void **state)
{
    (void)state;
    al_vocab vocab = small_vocab();
    al_tokens tokens;
    assert_int_equal(al_tokenize(&tokens, "the cat", &vocab, AL_TOKENIZE_PLAIN, NULL), AL_OK);
    assert_int_equal(al_tokens_pad(&tokens, 5, NULL), AL_OK);
    assert_int_equal(tokens.count, 5);
    const int ids[] = {6, 7, AL_TOKEN_PAD, AL_TOKEN_PAD, AL_TOKEN_PAD};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(tokens.ids[i], ids[i]);
        assert_false(tokens.unknown[i]);
    }
    assert_string_equal(tokens.labels[1], "cat");
    assert_string_equal(tokens.labels[4], "<pad>");
    assert_int_equal(al_tokens_pad(&tokens, 5, NULL), AL_OK);
    al_error err = {0};
    assert_int_equal(al_tokens_pad(&tokens, 4, &err), AL_ERR_ARG);
    assert_string_equal(err.message, "cannot pad 5 tokens to 4: padding only adds");
    assert_int_equal(tokens.count, 5);
    al_tokens_free(&tokens);
    al_vocab_free(&vocab);
}

/* 2000 words added in a scrambled order are all found again with their ids
 * (the sorted index stays sorted as the arrays grow). */
static void many_words_are_all_found(void **state)
{
    (void)state;
    al_vocab vocab;
    assert_int_equal(al_vocab_init(&vocab, NULL), AL_OK);
    char word[16];
    for (int i = 0; i < 2000; i++) {
        snprintf(word, sizeof word, "w%d", (i * 7919) % 2000);
        int id;
        assert_int_equal(al_vocab_add(&vocab, word, &id, NULL), AL_OK);
        assert_int_equal(id, 6 + i);
    }
    for (int i = 0; i < 2000; i++) {
        snprintf(word, sizeof word, "w%d", (i * 7919) % 2000);
        assert_int_equal(al_vocab_find(&vocab, word), 6 + i);
    }
    assert_int_equal(al_vocab_find(&vocab, "w2000"), -1);
    al_vocab_free(&vocab);
}

/* --- word-list files ----------------------------------------------------------- */

static void write_file(char *path, size_t size, const char *text)
{
    snprintf(path, size, "/tmp/attnlab-vocab-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    fputs(text, file);
    fclose(file);
}

static void word_list_file_gives_ids_in_file_order(void **state)
{
    (void)state;
    char path[64];
    write_file(path, sizeof path, "# a comment\n<pad>\n<unk>\n\nThe\ncat\n  walks  \n.\n");
    al_vocab vocab;
    assert_int_equal(al_vocab_read(&vocab, path, NULL), AL_OK);
    remove(path);
    assert_int_equal(vocab.size, 10);
    assert_int_equal(al_vocab_find(&vocab, "the"), 6);
    assert_int_equal(al_vocab_find(&vocab, "cat"), 7);
    assert_int_equal(al_vocab_find(&vocab, "walks"), 8);
    assert_int_equal(al_vocab_find(&vocab, "."), 9);
    al_vocab_free(&vocab);
}

static void word_list_refuses_duplicates_and_non_words_by_line(void **state)
{
    (void)state;
    char path[64], message[300];
    al_vocab vocab;
    al_error err = {0};
    write_file(path, sizeof path, "the\ncat\nThe\n");
    assert_int_equal(al_vocab_read(&vocab, path, &err), AL_ERR_FORMAT);
    snprintf(message, sizeof message, "%s:3: 'the' is already in the vocabulary (id 6)", path);
    assert_string_equal(err.message, message);
    assert_null(vocab.words);
    remove(path);

    write_file(path, sizeof path, "the\nhello,\n");
    assert_int_equal(al_vocab_read(&vocab, path, &err), AL_ERR_FORMAT);
    snprintf(message, sizeof message,
             "%s:2: 'hello,' is not one word by the tokenizer's rules (see vocab.h)", path);
    assert_string_equal(err.message, message);
    remove(path);

    assert_int_equal(al_vocab_read(&vocab, "/nonexistent/words.txt", &err), AL_ERR_IO);
    assert_string_equal(err.message, "cannot open word list /nonexistent/words.txt");
}

/* --- a model file's word list ---------------------------------------------------- */

static void from_words_checks_specials_and_repeats(void **state)
{
    (void)state;
    const char *good[] = {"<pad>", "<unk>", "<bos>", "<eos>", "[CLS]", "[MASK]", "the", "cat"};
    al_vocab vocab;
    assert_int_equal(al_vocab_from_words(&vocab, good, 8, NULL), AL_OK);
    assert_int_equal(al_vocab_find(&vocab, "cat"), 7);
    al_vocab_free(&vocab);

    al_error err = {0};
    const char *swapped[] = {"<unk>", "<pad>", "<bos>", "<eos>", "[CLS]", "[MASK]"};
    assert_int_equal(al_vocab_from_words(&vocab, swapped, 6, &err), AL_ERR_FORMAT);
    assert_string_equal(err.message,
                        "vocabulary: entry 0 is '<unk>' but must be the special token <pad>");
    const char *repeated[] = {"<pad>", "<unk>", "<bos>", "<eos>", "[CLS]", "[MASK]", "a", "a"};
    assert_int_equal(al_vocab_from_words(&vocab, repeated, 8, &err), AL_ERR_FORMAT);
    assert_string_equal(err.message, "vocabulary: 'a' appears twice (entries 6 and 7)");
    assert_int_equal(al_vocab_from_words(&vocab, good, 3, &err), AL_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(special_tokens_have_fixed_ids),
        cmocka_unit_test(text_adds_words_in_order_of_first_appearance),
        cmocka_unit_test(tokens_keep_surface_text_and_lower_case_ids),
        cmocka_unit_test(unknown_words_become_unk_and_are_reported),
        cmocka_unit_test(punctuation_splits_off_but_apostrophes_and_hyphens_stay),
        cmocka_unit_test(special_tokens_in_text_are_recognised_as_written),
        cmocka_unit_test(flags_add_cls_bos_and_eos_around_the_sentence),
        cmocka_unit_test(only_ascii_letters_are_lower_cased),
        cmocka_unit_test(empty_sentence_is_refused),
        cmocka_unit_test(text_that_is_not_utf8_is_refused),
        cmocka_unit_test(padding_appends_pad_tokens_to_the_length),
        cmocka_unit_test(many_words_are_all_found),
        cmocka_unit_test(word_list_file_gives_ids_in_file_order),
        cmocka_unit_test(word_list_refuses_duplicates_and_non_words_by_line),
        cmocka_unit_test(from_words_checks_specials_and_repeats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
