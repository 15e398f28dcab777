/* test_attnlab_generate.c: attnlab-generate on a model attnlab-train
 * learns here from a repeated sentence: greedy decoding continues "The
 * cat" with the sentence; sampling with a seed repeats itself; --trace
 * records each step's choice; an unknown word is said and read as <unk>;
 * asking for more words than the model's context exits 2. An
 * encoder-decoder model trained on English-French noun phrases translates
 * one it never saw ("the red car": red and car only apart), putting the
 * adjective after the noun; so does the RNN seq2seq with attention, and
 * asking it to sample is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lesson_check.h"
#include "run_program.h"

static const char *generate, *train;
static lesson_folder folder;
static char model[128];

static int train_model(void **state)
{
    (void)state;
    lesson_folder_make(&folder);
    char corpus[128];
    snprintf(corpus, sizeof corpus, "%s/cat.txt", folder.path);
    snprintf(model, sizeof model, "%s/cat.safetensors", folder.path);
    FILE *file = fopen(corpus, "w");
    if (!file)
        return -1;
    for (int i = 0; i < 300; i++)
        fputs("the cat sat on the mat . ", file);
    fclose(file);
    run_result r;
    if (run_program_args(&r, NULL, train, "--corpus", corpus, "-o", model, "--steps", "200",
                         "--d-model", "16", "--heads", "2", "--layers", "1", "--context",
                         "12", "--batch", "8", "--quiet", NULL) != 0)
        return -1;
    int status = r.exit_code;
    run_result_free(&r);
    return status == 0 ? 0 : -1;
}

static int remove_folder(void **state)
{
    (void)state;
    lesson_folder_remove(&folder);
    return 0;
}

static void greedy_continues_the_sentence(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, generate, "--model", model, "--prompt",
                                      "The cat", "--tokens", "9", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "The cat sat on the mat . the cat sat on\n");
    assert_string_equal(r.err, "");
    run_result_free(&r);
}

static void sampling_with_a_seed_repeats_and_traces(void **state)
{
    (void)state;
    char trace[160];
    snprintf(trace, sizeof trace, "%s/g.jsonl", folder.path);
    run_result a, b;
    assert_int_equal(run_program_args(&a, NULL, generate, "--model", model, "--prompt", "the",
                                      "--tokens", "8", "--sampling", "top-k", "--top-k", "3",
                                      "--seed", "5", "--trace", trace, NULL), 0);
    assert_int_equal(run_program_args(&b, NULL, generate, "--model", model, "--prompt", "the",
                                      "--tokens", "8", "--sampling", "top-k", "--top-k", "3",
                                      "--seed", "5", NULL), 0);
    assert_int_equal(a.exit_code, 0);
    assert_string_equal(a.out, b.out);
    al_trace_file *steps = lesson_trace(&folder, "g.jsonl");
    for (int t = 0; t < 8; t++) {
        char name[32];
        snprintf(name, sizeof name, "step%d.next.token", t);
        expect_tensor(steps, name, 1, 1);
    }
    al_trace_file_free(steps);
    run_result_free(&a), run_result_free(&b);
}

static void unknown_words_and_too_many_tokens(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, generate, "--model", model, "--prompt",
                                      "the dog", "--tokens", "3", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.err, "attnlab-generate: 'dog' is not in the model's vocabulary; "
                               "it was read as <unk>\n");
    run_result_free(&r);
    assert_int_equal(run_program_args(&r, NULL, generate, "--model", model, "--prompt",
                                      "the cat", "--tokens", "11", NULL), 0);
    assert_int_equal(r.exit_code, 2);
    assert_string_equal(r.err, "attnlab-generate: the model reads at most 12 tokens; the "
                               "prompt has 2, so --tokens can be at most 10\n");
    assert_string_equal(r.out, "");
    run_result_free(&r);
    assert_int_equal(run_program_args(&r, NULL, generate, "--prompt", "the", NULL), 0);
    assert_int_equal(r.exit_code, 2);
    run_result_free(&r);
}

/* 24 phrases "the ADJ NOUN<TAB>la NOM ADJ" (all but the red car) 12 times */
static void write_phrase_pairs(const char *path)
{
    static const char *const en_adj[] = {"red", "blue", "green", "big", "small"};
    static const char *const fr_adj[] = {"rouge", "bleue", "verte", "grande", "petite"};
    static const char *const en_noun[] = {"car", "house", "door", "table", "bottle"};
    static const char *const fr_noun[] = {"voiture", "maison", "porte", "table", "bouteille"};
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    for (int round = 0; round < 12; round++)
        for (int a = 0; a < 5; a++)
            for (int n = 0; n < 5; n++)
                if (a != 0 || n != 0)
                    fprintf(file, "the %s %s\tla %s %s\n", en_adj[a], en_noun[n], fr_noun[n],
                            fr_adj[a]);
    fclose(file);
}

/* family's model trained on the phrases translates "the red car" */
static void expect_unseen_phrase_translated(const char *family, const char *lr)
{
    char pairs[160], translator[160];
    snprintf(pairs, sizeof pairs, "%s/en-fr.tsv", folder.path);
    snprintf(translator, sizeof translator, "%s/en-fr-%s.safetensors", folder.path, family);
    write_phrase_pairs(pairs);
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, train, "--family", family, "--corpus", pairs,
                                      "-o", translator, "--steps", "150", "--d-model", "32",
                                      "--context", "8", "--lr", lr, "--quiet", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    assert_int_equal(run_program_args(&r, NULL, generate, "--model", translator, "--prompt",
                                      "the red car", "--tokens", "6", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "the red car -> la voiture rouge <eos>\n");
    run_result_free(&r);
    if (strcmp(family, "rnn-seq2seq") == 0) {
        assert_int_equal(run_program_args(&r, NULL, generate, "--model", translator,
                                          "--prompt", "the red car", "--sampling", "top-k",
                                          NULL), 0);
        assert_int_equal(r.exit_code, 2);
        assert_non_null(strstr(r.err, "which decodes greedily"));
        run_result_free(&r);
    }
}

static void a_translation_model_translates_a_phrase_it_never_saw(void **state)
{
    (void)state;
    expect_unseen_phrase_translated("encoder-decoder", "0.003");
    expect_unseen_phrase_translated("rnn-seq2seq", "0.01");
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_attnlab_generate attnlab-generate attnlab-train\n");
        return 2;
    }
    generate = argv[1], train = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(greedy_continues_the_sentence),
        cmocka_unit_test(sampling_with_a_seed_repeats_and_traces),
        cmocka_unit_test(unknown_words_and_too_many_tokens),
        cmocka_unit_test(a_translation_model_translates_a_phrase_it_never_saw),
    };
    return cmocka_run_group_tests(tests, train_model, remove_folder);
}
