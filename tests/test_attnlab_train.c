/* test_attnlab_train.c: attnlab-train as a student runs it, on corpora this
 * test writes. A repeated sentence is learned (the first loss is about
 * log V, the last far below it, the model file loads with the corpus's
 * words); the same command writes the same bytes twice; an empty, a
 * non-UTF-8, a too small and a missing corpus each get one line and exit
 * 2, an unwritable output exits 1, and no output file is left behind; a
 * run stopped by --stop-after or by Ctrl-C and resumed with --resume
 * writes the same bytes as one that never stopped; an encoder-only model
 * learns masked words; an encoder-decoder model learns to translate a
 * file of pairs, and a pairs file with a broken line is refused naming the
 * line; the command the model file records remakes it byte for byte; a
 * traced step changes nothing the run writes, the trace has every part of
 * the step, and a trace whose step never came is not left behind (whether
 * its numbers redo the step is train_reference.py --traced's question);
 * the RNN seq2seq learns the pairs too, resumes exactly, and its options
 * are refused for the other families; --loss-curve writes the CSV, the
 * trace and a drawn PNG and SVG whose numbers are the run's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/model_file.h"
#include "attnlab/transformer.h"
#include "lesson_check.h"
#include "run_program.h"

static const char *tool;
static lesson_folder folder;  /* one for the whole run; every test names its own files */

static void path_in(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", folder.path, name);
}

static void write_file(const char *path, const char *text, size_t length)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(text, 1, length, file), length);
    fclose(file);
}

/* The files called a and b in the folder hold the same bytes. */
static void expect_same_files(const char *a, const char *b)
{
    size_t size_a, size_b;
    char *text_a = lesson_file_text(&folder, a, &size_a);
    char *text_b = lesson_file_text(&folder, b, &size_b);
    if (size_a != size_b)
        fail_msg("%s has %zu bytes but %s has %zu", a, size_a, b, size_b);
    assert_memory_equal(text_a, text_b, size_a);
    free(text_a), free(text_b);
}

/* The loss CSV attnlab-train wrote: its rows, the first and last training
 * loss and the last validation loss, which must be there exactly every
 * report_every steps. */
typedef struct curve {
    int rows;
    double first, last, last_val;
} curve;

static curve read_curve(const char *csv_name, int report_every)
{
    char *text = lesson_file_text(&folder, csv_name, NULL);
    assert_true(strncmp(text, "step,train_loss,validation_loss\n", 32) == 0);
    curve c = {0};
    for (char *line = strchr(text, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        int step, used = 0;
        double loss, val = -1;
        assert_int_equal(sscanf(line, "%d,%lf,%n", &step, &loss, &used), 2);
        bool measured = line[used] != '\n';  /* an empty third field: not measured */
        if (measured)
            assert_int_equal(sscanf(line + used, "%lf", &val), 1);
        assert_int_equal(measured, step % report_every == 0);
        c.rows++;
        c.first = c.rows == 1 ? loss : c.first, c.last = loss;
        c.last_val = measured ? val : c.last_val;
    }
    free(text);
    return c;
}

/* "the cat sat on the mat ." 300 times: 2100 words, 6 words + specials. */
static void write_repeated(const char *path)
{
    static char text[300 * 32];
    text[0] = '\0';
    for (int i = 0; i < 300; i++)
        strcat(text, "the cat sat on the mat . ");
    write_file(path, text, strlen(text));
}

/* 80 steps of a small model on corpus, into model and csv, with up to two
 * more arguments (NULL: none). */
static int train(const char *corpus, const char *model, const char *csv, run_result *r,
                 const char *extra, const char *extra_value)
{
    return run_program_args(r, NULL, tool, "--corpus", corpus, "-o", model, "--loss-csv", csv,
                            "--steps", "80", "--d-model", "16", "--heads", "2", "--layers",
                            "1", "--context", "8", "--batch", "4", "--report-every", "20",
                            extra, extra_value, NULL);
}

static void a_repeated_sentence_is_learned(void **state)
{
    (void)state;
    char corpus[128], model[128], csv[128];
    path_in(corpus, sizeof corpus, "cat.txt"), path_in(model, sizeof model, "cat.safetensors");
    path_in(csv, sizeof csv, "cat.csv");
    write_repeated(corpus);
    run_result r;
    assert_int_equal(train(corpus, model, csv, &r, NULL, NULL), 0);
    if (r.exit_code != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    assert_non_null(strstr(r.out, "2100 words, vocabulary of 12; 1890 to learn from, 210 "
                                  "held out"));
    assert_non_null(strstr(r.out, "step 80/80  loss "));
    run_result_free(&r);

    /* the loss curve: 80 rows; the first about log 12, the last far lower,
     * the validation loss measured every 20 steps */
    curve c = read_curve("cat.csv", 20);
    print_message("loss at step 1 %.9g (log 12 = %.9g), step 80 %.9g, validation %.9g\n",
                  c.first, log(12.0), c.last, c.last_val);
    assert_int_equal(c.rows, 80);
    assert_true(fabs(c.first - log(12.0)) < 0.3);
    assert_true(c.last < 0.5 * c.first && c.last_val < 0.5 * c.first);

    /* the model file holds the corpus's words */
    al_transformer loaded;
    al_vocab vocab;
    assert_int_equal(al_transformer_load(&loaded, &vocab, model, NULL, NULL), AL_OK);
    assert_int_equal(vocab.size, 12);
    assert_true(al_vocab_find(&vocab, "cat") >= 0);
    assert_int_equal(loaded.config.family, AL_FAMILY_DECODER_ONLY);
    al_transformer_free(&loaded);
    al_vocab_free(&vocab);
}

static void the_same_command_writes_the_same_bytes(void **state)
{
    (void)state;
    char corpus[128], m1[128], m2[128], c1[128], c2[128];
    path_in(corpus, sizeof corpus, "again.txt");
    path_in(m1, sizeof m1, "a1.safetensors"), path_in(m2, sizeof m2, "a2.safetensors");
    path_in(c1, sizeof c1, "a1.csv"), path_in(c2, sizeof c2, "a2.csv");
    write_repeated(corpus);
    run_result r;
    assert_int_equal(train(corpus, m1, c1, &r, NULL, NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    assert_int_equal(train(corpus, m2, c2, &r, NULL, NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    expect_same_files("a1.safetensors", "a2.safetensors");
    expect_same_files("a1.csv", "a2.csv");
}

/* exit status and the one line on stderr for a corpus; the model must
 * not appear */
static void expect_corpus_refused(const char *name, const char *text, size_t length, int status,
                           const char *message)
{
    char corpus[128], model[128];
    path_in(corpus, sizeof corpus, name), path_in(model, sizeof model, "never.safetensors");
    if (text)
        write_file(corpus, text, length);
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, tool, "--corpus", corpus, "-o", model, NULL),
                     0);
    assert_int_equal(r.exit_code, status);
    if (!strstr(r.err, message))
        fail_msg("expected \"%s\" in: %s", message, r.err);
    assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    assert_int_equal(access(model, F_OK), -1);
    run_result_free(&r);
}

static void bad_corpora_are_refused(void **state)
{
    (void)state;
    expect_corpus_refused("empty.txt", "", 0, 2, "has no words");
    expect_corpus_refused("latin1.txt", "caf\xe9 au lait", 13, 2,
                          "is not UTF-8 text (line 1, byte 3)");
    expect_corpus_refused("small.txt", "one two three", 13, 2, "has 3 words: too few");
    expect_corpus_refused("missing.txt", NULL, 0, 2, "cannot open the corpus");
    /* a problem of one word is named, not called "no words" */
    static char long_word[300];
    memset(long_word, 'a', sizeof long_word - 1);
    expect_corpus_refused("long.txt", long_word, sizeof long_word - 1, 2, "longer than 200 bytes");
}

static void an_unwritable_output_fails_at_the_end(void **state)
{
    (void)state;
    char corpus[128];
    path_in(corpus, sizeof corpus, "cat.txt");
    write_repeated(corpus);
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, tool, "--corpus", corpus, "-o",
                                      "/nonexistent/m.safetensors", "--steps", "2", "--quiet",
                                      NULL), 0);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "attnlab-train: "));
    assert_non_null(strstr(r.err, "/nonexistent/m.safetensors"));
    run_result_free(&r);
    assert_int_equal(run_program_args(&r, NULL, tool, "--corpus", corpus, NULL), 0);
    assert_int_equal(r.exit_code, 2);
    assert_string_equal(r.err, "attnlab-train: give --output MODEL (see --help)\n");
    run_result_free(&r);
    static char too_long[3100];
    memset(too_long, 'm', 3001);
    assert_int_equal(run_program_args(&r, NULL, tool, "--corpus", corpus, "-o", too_long, NULL),
                     0);
    assert_int_equal(r.exit_code, 2);
    assert_string_equal(r.err, "attnlab-train: -o and --loss-curve take paths of up to 3000 "
                               "bytes\n");
    run_result_free(&r);
}

/* A run stopped by --stop-after and resumed writes the bytes of the run
 * that never stopped; a checkpoint from other settings is refused. */
static void a_stopped_run_resumes_exactly(void **state)
{
    (void)state;
    char corpus[128], full[128], full_csv[128], part[128], part_csv[128];
    path_in(corpus, sizeof corpus, "resume.txt");
    path_in(full, sizeof full, "full.safetensors"), path_in(full_csv, sizeof full_csv, "f.csv");
    path_in(part, sizeof part, "part.safetensors"), path_in(part_csv, sizeof part_csv, "p.csv");
    write_repeated(corpus);
    run_result r;
    assert_int_equal(train(corpus, full, full_csv, &r, NULL, NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    assert_int_equal(train(corpus, part, part_csv, &r, "--stop-after", "30"), 0);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.err, "stopped after step 30 of 80"));
    assert_int_equal(access(part, F_OK), -1);  /* no model yet, only the checkpoint */
    run_result_free(&r);
    assert_int_equal(train(corpus, part, part_csv, &r, "--resume", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "at step 30 of 80"));
    run_result_free(&r);
    expect_same_files("full.safetensors", "part.safetensors");
    expect_same_files("f.csv", "p.csv");
    /* the same checkpoint with another learning rate: refused, exit 2 */
    assert_int_equal(run_program_args(&r, NULL, tool, "--corpus", corpus, "-o", part, "--steps",
                                      "80", "--d-model", "16", "--heads", "2", "--layers", "1",
                                      "--context", "8", "--batch", "4", "--lr", "0.01",
                                      "--resume", NULL), 0);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "was made by a run with other settings"));
    run_result_free(&r);
}

/* Ctrl-C: the run stops after its step with status 130 and a checkpoint;
 * the same command with --resume finishes it as if nothing had happened. */
static void ctrl_c_stops_and_the_run_goes_on(void **state)
{
    (void)state;
    char corpus[128], model[128], whole[128];
    path_in(corpus, sizeof corpus, "signal.txt"), path_in(model, sizeof model, "sig.safetensors");
    path_in(whole, sizeof whole, "whole.safetensors");
    write_repeated(corpus);
    const char *args[] = {tool, "--corpus", corpus, "-o", model, "--steps", "1500",
                          "--d-model", "16", "--heads", "2", "--layers", "1", "--context", "8",
                          "--batch", "4", "--report-every", "1", NULL, NULL};
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]), close(out[1]);
        if (!freopen("/dev/null", "w", stderr))
            _exit(127);
        execv(tool, (char *const *)args);
        _exit(127);
    }
    close(out[1]);
    /* the first report comes after the handlers are in place: then Ctrl-C */
    FILE *reports = fdopen(out[0], "r");
    assert_non_null(reports);
    char line[256];
    while (fgets(line, sizeof line, reports) && !strstr(line, "step 5/1500"))
        ;
    kill(pid, SIGINT);
    while (fgets(line, sizeof line, reports))
        ;
    fclose(reports);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    char checkpoint[160];
    snprintf(checkpoint, sizeof checkpoint, "%s.checkpoint", model);
    assert_int_equal(access(checkpoint, F_OK), 0);
    run_result r;
    args[19] = "--resume";
    assert_int_equal(run_program(&r, args, NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    args[19] = NULL, args[4] = whole;
    assert_int_equal(run_program(&r, args, NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    expect_same_files("sig.safetensors", "whole.safetensors");
}

/* Encoder-only: [CLS] and the words with 15% hidden; the hidden words are
 * learned (the loss falls from about log 12 well below it) and the file
 * is an encoder-only model. */
static void an_encoder_learns_masked_words(void **state)
{
    (void)state;
    char corpus[128], model[128], csv[128];
    path_in(corpus, sizeof corpus, "bert.txt"), path_in(model, sizeof model, "bert.safetensors");
    path_in(csv, sizeof csv, "bert.csv");
    write_repeated(corpus);
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, tool, "--family", "encoder-only", "--corpus",
                                      corpus, "-o", model, "--loss-csv", csv, "--steps", "120",
                                      "--d-model", "16", "--heads", "2", "--layers", "1",
                                      "--context", "8", "--batch", "8", "--report-every", "40",
                                      "--quiet", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    curve c = read_curve("bert.csv", 40);
    print_message("masked words: loss at step 1 %.9g (log 12 = %.9g), step 120 %.9g, "
                  "validation %.9g\n", c.first, log(12.0), c.last, c.last_val);
    assert_true(fabs(c.first - log(12.0)) < 0.5);
    assert_true(c.last < 0.8 * c.first && c.last_val < 0.8 * c.first);
    al_transformer loaded;
    al_vocab vocab;
    assert_int_equal(al_transformer_load(&loaded, &vocab, model, NULL, NULL), AL_OK);
    assert_int_equal(loaded.config.family, AL_FAMILY_ENCODER_ONLY);
    al_transformer_free(&loaded);
    al_vocab_free(&vocab);
}

/* "the X sat\tX s'est assis" for X in 10 names, 20 times: 200 pairs */
static void write_pairs(const char *path)
{
    static const char *const names[] = {"ann", "bob", "cy", "dee", "eve",
                                        "fay", "gus", "hal", "ivy", "jo"};
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    for (int round = 0; round < 20; round++)
        for (int n = 0; n < 10; n++)
            fprintf(file, "%s sat down\t%s s'est assis\n", names[n], names[n]);
    fclose(file);
}

static void an_encoder_decoder_learns_pairs(void **state)
{
    (void)state;
    char pairs[128], model[128], csv[128];
    path_in(pairs, sizeof pairs, "pairs.tsv"), path_in(model, sizeof model, "ed.safetensors");
    path_in(csv, sizeof csv, "ed.csv");
    write_pairs(pairs);
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, tool, "--family", "encoder-decoder",
                                      "--corpus", pairs, "-o", model, "--loss-csv", csv,
                                      "--steps", "100", "--d-model", "32", "--context", "6",
                                      "--report-every", "50", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "200 pairs, vocabulary of 20; 180 to learn from, 20 held "
                                  "out"));
    run_result_free(&r);
    curve c = read_curve("ed.csv", 50);
    print_message("pairs: loss at step 1 %.9g (log 20 = %.9g), step 100 %.9g, validation "
                  "%.9g\n", c.first, log(20.0), c.last, c.last_val);
    assert_true(fabs(c.first - log(20.0)) < 0.5);
    assert_true(c.last < 0.25 * c.first && c.last_val < 0.25 * c.first);
    al_transformer loaded;
    al_vocab vocab;
    assert_int_equal(al_transformer_load(&loaded, &vocab, model, NULL, NULL), AL_OK);
    assert_int_equal(loaded.config.family, AL_FAMILY_ENCODER_DECODER);
    al_transformer_free(&loaded);
    al_vocab_free(&vocab);
}

/* exit 2 and one line for a broken pairs file (naming the line, if one) */
static void expect_pairs_refused(const char *text, const char *message)
{
    char pairs[128], model[128];
    path_in(pairs, sizeof pairs, "bad.tsv"), path_in(model, sizeof model, "never.safetensors");
    write_file(pairs, text, strlen(text));
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, tool, "--family", "encoder-decoder",
                                      "--corpus", pairs, "-o", model, "--context", "4", NULL),
                     0);
    assert_int_equal(r.exit_code, 2);
    if (!strstr(r.err, message))
        fail_msg("expected \"%s\" in: %s", message, r.err);
    assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    assert_int_equal(access(model, F_OK), -1);
    run_result_free(&r);
}

static void broken_pairs_are_refused(void **state)
{
    (void)state;
    expect_pairs_refused("a b\tc d\n\nno tab here\n", "bad.tsv:3: no tab between");
    expect_pairs_refused("a b\t \n", "bad.tsv:1: the target (after the tab) is empty");
    expect_pairs_refused("\tc d\n", "bad.tsv:1: the source (before the tab) is empty");
    expect_pairs_refused("a\tb\tc\n", "bad.tsv:1: more than one tab");
    expect_pairs_refused("a b c d e\tf\n", "bad.tsv:1: the source has 5 words, more than "
                                           "the context of 4");
    expect_pairs_refused("a\tb c d e\n", "bad.tsv:1: the target has 4 words, and with "
                                         "<eos> that is more than the context of 4");
    expect_pairs_refused("a\tb\n", "bad.tsv has 1 pair: too few for training");
}

/* The file's training.command, run (from the corpus's folder) with -o
 * elsewhere, writes the same bytes; the record names the corpus and steps. */
static void the_record_remakes_the_file(void **state)
{
    (void)state;
    char corpus[128], model[128], csv[128], again[128];
    path_in(corpus, sizeof corpus, "rec.txt"), path_in(model, sizeof model, "rec.safetensors");
    path_in(csv, sizeof csv, "rec.csv"), path_in(again, sizeof again, "again.safetensors");
    write_repeated(corpus);
    run_result r;
    assert_int_equal(train(corpus, model, csv, &r, "--quiet", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    al_model_file file;
    assert_int_equal(al_model_file_read(&file, model, NULL, NULL), AL_OK);
    assert_string_equal(al_model_file_metadata(&file, "training.program"), "attnlab-train");
    assert_string_equal(al_model_file_metadata(&file, "training.task"), "next word");
    assert_string_equal(al_model_file_metadata(&file, "training.steps"), "80");
    const char *corpus_id = al_model_file_metadata(&file, "training.corpus");
    assert_true(strncmp(corpus_id, corpus, strlen(corpus)) == 0);
    assert_non_null(strstr(corpus_id, "(7500 bytes, FNV-1a "));
    static char command[2048];
    snprintf(command, sizeof command, "%s", al_model_file_metadata(&file, "training.command"));
    al_model_file_free(&file);
    print_message("recorded: %s\n", command);
    assert_null(strstr(command, " -o "));
    assert_null(strstr(command, "--loss-csv"));
    /* the corpus's path has no space: the command splits at spaces */
    const char *args[64];
    int n = 0;
    for (char *word = strtok(command, " "); word && n < 60; word = strtok(NULL, " "))
        args[n++] = word;
    assert_string_equal(args[0], "attnlab-train");
    args[0] = tool;
    args[n++] = "-o", args[n++] = again, args[n++] = "--quiet", args[n] = NULL;
    assert_int_equal(run_program(&r, args, NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    expect_same_files("rec.safetensors", "again.safetensors");
}

static void a_traced_step_changes_nothing(void **state)
{
    (void)state;
    char corpus[128], plain[128], traced[128], csv[128], trace[128];
    path_in(corpus, sizeof corpus, "tr.txt"), path_in(csv, sizeof csv, "tr.csv");
    path_in(plain, sizeof plain, "plain.safetensors");
    path_in(traced, sizeof traced, "traced.safetensors");
    path_in(trace, sizeof trace, "step.jsonl");
    write_repeated(corpus);
    run_result r;
    assert_int_equal(train(corpus, plain, csv, &r, "--quiet", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    assert_int_equal(run_program_args(&r, NULL, tool, "--corpus", corpus, "-o", traced,
                                      "--steps", "80", "--d-model", "16", "--heads", "2",
                                      "--layers", "1", "--context", "8", "--batch", "4",
                                      "--trace", trace, "--trace-step", "40", "--quiet", NULL),
                     0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    expect_same_files("plain.safetensors", "traced.safetensors");
    al_trace_file *t = lesson_trace(&folder, "step.jsonl");
    assert_float_equal(al_trace_file_find(t, "train.step")->data[0], 40.0, 0.0);
    static const char *const parts[] = {
        "train.lr", "embed.table", "embed.table.m", "embed.table.v", "batch0.tokens",
        "batch3.dec.0.self_attn.h1.weights", "batch3.targets", "batch3.loss", "train.loss",
        "dec.0.ffn.w1.grad", "train.grad_norm", "train.clip_scale", "dec.0.ffn.w1.new"};
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++)
        if (!al_trace_file_find(t, parts[k]))
            fail_msg("the trace has no %s", parts[k]);
    assert_null(al_trace_file_find(t, "batch4.tokens"));   /* a batch of 4 */
    al_trace_file_free(t);

    /* stopped before the traced step: no trace */
    char stopped[128], late[128];
    path_in(stopped, sizeof stopped, "stopped.safetensors");
    path_in(late, sizeof late, "late.jsonl");
    assert_int_equal(run_program_args(&r, NULL, tool, "--corpus", corpus, "-o", stopped,
                                      "--steps", "80", "--d-model", "16", "--heads", "2",
                                      "--layers", "1", "--context", "8", "--batch", "4",
                                      "--trace", late, "--trace-step", "50", "--stop-after",
                                      "20", "--quiet", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    assert_int_equal(access(late, F_OK), -1);

    assert_int_equal(run_program_args(&r, NULL, tool, "--corpus", corpus, "-o", stopped,
                                      "--steps", "10", "--trace", late, "--trace-step", "11",
                                      NULL), 0);
    assert_int_equal(r.exit_code, 2);
    assert_string_equal(r.err, "attnlab-train: --trace-step must be at most --steps, and "
                               "--trace-step and --trace-filter need --trace\n");
    run_result_free(&r);
}

/* --family rnn-seq2seq on the pairs: the loss falls, the file is the RNN's,
 * and a stopped run resumes to the same bytes. */
static void an_rnn_seq2seq_learns_pairs_and_resumes(void **state)
{
    (void)state;
    char pairs[128], model[128], csv[128], part[128], part_csv[128];
    path_in(pairs, sizeof pairs, "rnn.tsv"), path_in(model, sizeof model, "rnn.safetensors");
    path_in(csv, sizeof csv, "rnn.csv"), path_in(part, sizeof part, "rnn-part.safetensors");
    path_in(part_csv, sizeof part_csv, "rnn-part.csv");
    write_pairs(pairs);
    const char *args[] = {tool, "--family", "rnn-seq2seq", "--corpus", pairs, "-o", model,
                          "--loss-csv", csv, "--steps", "100", "--d-model", "16",
                          "--context", "6", "--cell", "gru", "--score", "general",
                          "--report-every", "50", "--quiet", NULL, NULL, NULL};
    run_result r;
    assert_int_equal(run_program(&r, args, NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    curve c = read_curve("rnn.csv", 50);
    print_message("rnn pairs: loss at step 1 %.9g (log 20 = %.9g), step 100 %.9g, validation "
                  "%.9g\n", c.first, log(20.0), c.last, c.last_val);
    assert_true(fabs(c.first - log(20.0)) < 0.5);
    assert_true(c.last < 0.25 * c.first && c.last_val < 0.25 * c.first);
    bool rnn = false;
    assert_int_equal(al_model_file_family(model, &rnn, NULL), AL_OK);
    assert_true(rnn);

    args[6] = part, args[8] = part_csv, args[21] = "--stop-after", args[22] = "40";
    assert_int_equal(run_program(&r, args, NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    args[21] = "--resume", args[22] = NULL;
    assert_int_equal(run_program(&r, args, NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    expect_same_files("rnn.safetensors", "rnn-part.safetensors");
    expect_same_files("rnn.csv", "rnn-part.csv");

    assert_int_equal(run_program_args(&r, NULL, tool, "--corpus", pairs, "-o", model,
                                      "--score", "dot", NULL), 0);
    assert_int_equal(r.exit_code, 2);
    assert_string_equal(r.err, "attnlab-train: --cell, --score and --d-embed are for --family "
                               "rnn-seq2seq\n");
    run_result_free(&r);
}

static void the_loss_curve_is_written_and_drawn(void **state)
{
    (void)state;
    char corpus[128], model[128], stem[128];
    path_in(corpus, sizeof corpus, "curve.txt"), path_in(model, sizeof model, "cv.safetensors");
    path_in(stem, sizeof stem, "cv-loss");
    write_repeated(corpus);
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, tool, "--corpus", corpus, "-o", model,
                                      "--steps", "40", "--d-model", "16", "--heads", "2",
                                      "--layers", "1", "--context", "8", "--batch", "4",
                                      "--report-every", "10", "--loss-curve", stem, "--quiet",
                                      NULL), 0);
    if (r.exit_code != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    run_result_free(&r);
    curve c = read_curve("cv-loss.csv", 10);
    assert_int_equal(c.rows, 40);
    al_trace_file *t = lesson_trace(&folder, "cv-loss.jsonl");
    const al_trace_tensor *train = al_trace_file_find(t, "loss.train");
    const al_trace_tensor *held = al_trace_file_find(t, "loss.validation");
    assert_non_null(train), assert_non_null(held);
    assert_int_equal(train->cols, 40);
    /* the trace holds the CSV's numbers (float32 of them) */
    assert_float_equal(train->data[0], (float)c.first, 0.0);
    assert_float_equal(train->data[39], (float)c.last, 0.0);
    assert_float_equal(held->data[39], (float)c.last_val, 0.0);
    assert_true(isnan(held->data[0]));   /* not measured at step 1: null */
    al_trace_file_free(t);
    size_t png_size, svg_size;
    char *png = lesson_file_text(&folder, "cv-loss.png", &png_size);
    char *svg = lesson_file_text(&folder, "cv-loss.svg", &svg_size);
    assert_true(png_size > 8 && memcmp(png, "\x89PNG", 4) == 0);
    assert_non_null(strstr(svg, "held-out batch"));
    assert_non_null(strstr(svg, "step"));
    assert_non_null(strstr(svg, "Loss of the decoder-only model on curve.txt"));
    free(png), free(svg);
}

static int make_folder(void **state)
{
    (void)state;
    lesson_folder_make(&folder);
    return 0;
}

static int remove_folder(void **state)
{
    (void)state;
    lesson_folder_remove(&folder);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_attnlab_train PATH-TO-attnlab-train\n");
        return 2;
    }
    tool = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_repeated_sentence_is_learned),
        cmocka_unit_test(the_same_command_writes_the_same_bytes),
        cmocka_unit_test(bad_corpora_are_refused),
        cmocka_unit_test(an_unwritable_output_fails_at_the_end),
        cmocka_unit_test(a_stopped_run_resumes_exactly),
        cmocka_unit_test(ctrl_c_stops_and_the_run_goes_on),
        cmocka_unit_test(an_encoder_learns_masked_words),
        cmocka_unit_test(an_encoder_decoder_learns_pairs),
        cmocka_unit_test(broken_pairs_are_refused),
        cmocka_unit_test(the_record_remakes_the_file),
        cmocka_unit_test(a_traced_step_changes_nothing),
        cmocka_unit_test(an_rnn_seq2seq_learns_pairs_and_resumes),
        cmocka_unit_test(the_loss_curve_is_written_and_drawn),
    };
    return cmocka_run_group_tests(tests, make_folder, remove_folder);
}
