/* test_attnlab_trace.c: the attnlab-trace program (src/tools), run as a
 * student would run it, on the hand-written traces in tests/data/:
 *   two_tokens.jsonl                 "The cat", one head, causal mask, level rows
 *   two_tokens_changed_1e-8.jsonl    scaled (0,1) is 0.10000001 instead of 0.1
 *   two_tokens_changed_1e-3.jsonl    weights (1,0) is 0.251 instead of 0.25
 *   two_tokens_without_out.jsonl     enc.0.attn.h0.out left out
 *   malformed.jsonl                  line 4 is cut off in the middle
 * It checks what the program prints and its exit status; it does not test
 * the reader's every refusal (test_trace_file.c does).
 *
 * Arguments (from tests/meson.build): the attnlab-trace program, the
 * tests/data directory. $SRCDIR is the source tree, for the --help examples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_program.h"

/* Where the program and the sample traces are; every test's state. */
typedef struct test_paths {
    const char *program;
    const char *data;
} test_paths;

#define PATH_SIZE 4096

/* The full path of a file in tests/data. */
static const char *data_file(char path[PATH_SIZE], const test_paths *paths, const char *name)
{
    snprintf(path, PATH_SIZE, "%s/%s", paths->data, name);
    return path;
}

/* Run attnlab-trace with the arguments after paths, ending with NULL. */
#define run_tool(result, paths, ...)                                                      \
    assert_int_equal(run_program_args(&(result), NULL, (paths)->program, __VA_ARGS__, NULL), 0)

#define assert_contains(text, expected)                                                   \
    do {                                                                                  \
        if (!strstr((text), (expected))) {                                                \
            fail_msg("output does not contain \"%s\"; it is:\n%s", (expected), (text));   \
        }                                                                                 \
    } while (0)

#define assert_not_contains(text, unexpected)                                             \
    do {                                                                                  \
        if (strstr((text), (unexpected))) {                                               \
            fail_msg("output contains \"%s\"; it is:\n%s", (unexpected), (text));         \
        }                                                                                 \
    } while (0)

/* A failure as the program promises it: exit 2, nothing on stdout, and one
 * line on stderr that starts with the program's name. */
static void assert_usage_failure(const run_result *r)
{
    assert_int_equal(r->exit_code, 2);
    assert_int_equal(r->out_length, 0);
    assert_true(strncmp(r->err, "attnlab-trace: ", 15) == 0);
    assert_non_null(strchr(r->err, '\n'));
    assert_true(strchr(r->err, '\n') == r->err + r->err_length - 1);
}

/* ---- list ------------------------------------------------------------------ */

static void list_prints_one_aligned_line_per_tensor(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    run_tool(r, paths, "list", data_file(path, paths, "two_tokens.jsonl"));
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_length, 0);
    assert_contains(r.out, "name                   shape  role        op            inputs\n");
    assert_contains(r.out, "\ntokens                 1x2    input       given\n");
    assert_contains(r.out, "\nenc.0.attn.h0.masked   2x2    activation  apply_mask    "
                           "enc.0.attn.h0.scaled, enc.0.attn.mask\n");
    assert_contains(r.out, "\nenc.0.attn.h0.out      2x2    output      matmul        "
                           "enc.0.attn.h0.weights, x\n");
    assert_contains(r.out, "\n7 tensors, 2 softmax rows");
    run_result_free(&r);
}

/* ---- show ------------------------------------------------------------------ */

static void show_prints_labels_and_four_decimals(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    run_tool(r, paths, "show", data_file(path, paths, "two_tokens.jsonl"), "enc.0.attn.h0.weights");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_length, 0);
    assert_contains(r.out, "enc.0.attn.h0.weights  (2x2, softmax_rows(enc.0.attn.h0.masked))\n");
    assert_contains(r.out, "note: each row sums to 1; 'The' sees only itself\n");
    /* Column labels over right-aligned numbers; 0.75000006 shows as 0.7500. */
    assert_contains(r.out, "\n        The     cat\n"
                           "The  1.0000  0.0000\n"
                           "cat  0.2500  0.7500\n");
    run_result_free(&r);
}

/* An op's parameters are shown under its title: take_row's row. */
static void show_prints_the_attrs(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    data_file(path, paths, "ops_wrong_value.jsonl");
    run_tool(r, paths, "show", path, "row");
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "row  (1x2, take_row(w))\nattrs: row = 1\nnote: right: row 1 of w\n");
    run_result_free(&r);
}

static void show_marks_masked_entries(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    run_tool(r, paths, "show", data_file(path, paths, "two_tokens.jsonl"), "enc.0.attn.h0.masked");
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "mask: enc.0.attn.mask\n");
    assert_contains(r.out, "\nThe  0.5000     -\n");
    assert_contains(r.out, "\ncat  0.0000  1.0986\n");
    assert_contains(r.out, "- = masked");
    run_result_free(&r);
}

static void show_uses_indices_without_labels(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    /* x has row labels but no column labels. */
    run_tool(r, paths, "show", data_file(path, paths, "two_tokens.jsonl"), "x");
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "x  (2x2, given)\n\n          0       1\n"
                           "The  1.0000  0.0000\n"
                           "cat  0.5000  1.0000\n");
    run_result_free(&r);
}

static void show_precision_sets_the_decimals(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    run_tool(r, paths, "show", data_file(path, paths, "two_tokens.jsonl"), "enc.0.attn.h0.weights",
             "--precision", "2");
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "\ncat  0.25  0.75\n");
    assert_not_contains(r.out, "0.2500");
    run_result_free(&r);
}

static void show_rows_prints_the_softmax_steps(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    run_tool(r, paths, "show", data_file(path, paths, "two_tokens.jsonl"), "enc.0.attn.h0.weights",
             "--rows");
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "\nrow 1 \"cat\"  (temperature 1)\n");
    /* exp(0 - ln 3) = 1/3; sum 1 + 1/3; weights 1/4 and 3/4. */
    assert_contains(r.out, "\nscores   0.0000  1.0986\n"
                           "exp      0.3333  1.0000\n"
                           "weights  0.2500  0.7500\n"
                           "max 1.0986   sum 1.3333\n");
    /* Row 0's second score is masked. */
    assert_contains(r.out, "\nscores   0.5000     -\n");
    run_result_free(&r);
}

static void show_of_a_missing_name_lists_near_names(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    run_tool(r, paths, "show", data_file(path, paths, "two_tokens.jsonl"), "enc.0.attn.h0.weight");
    assert_usage_failure(&r);
    assert_contains(r.err, "no tensor 'enc.0.attn.h0.weight'");
    assert_contains(r.err, "near names: enc.0.attn.h0.weights\n");
    run_result_free(&r);

    /* A prefix lists the tensors under it. */
    run_tool(r, paths, "show", path, "enc.0.attn.h0");
    assert_usage_failure(&r);
    assert_contains(r.err, "near names: enc.0.attn.h0.scaled, enc.0.attn.h0.masked, "
                           "enc.0.attn.h0.weights, enc.0.attn.h0.out\n");
    run_result_free(&r);
}

/* ---- diff ------------------------------------------------------------------ */

static void diff_of_a_trace_with_itself_is_all_ok(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    data_file(path, paths, "two_tokens.jsonl");
    run_tool(r, paths, "diff", path, path);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_length, 0);
    assert_contains(r.out, "enc.0.attn.h0.weights OK maxdiff 0\n");
    assert_contains(r.out, "x OK exact\n");
    assert_contains(r.out, "\n7 tensors: 7 OK\n");
    assert_not_contains(r.out, "DIFFERS");
    run_result_free(&r);
}

/* One float apart at 0.25 (2^-25, about 3e-8) in a computed tensor is far
 * inside the default rule, 1e-6 + 1e-5 * 0.25 + 1e-6 * 1; with no
 * tolerance at all it differs. */
static void diff_accepts_a_change_within_tolerance(void **state)
{
    const test_paths *paths = *state;
    char path_a[PATH_SIZE], path_b[PATH_SIZE], expected[128];
    run_result r;
    data_file(path_a, paths, "two_tokens.jsonl");
    data_file(path_b, paths, "two_tokens_changed_1e-8.jsonl");
    snprintf(expected, sizeof expected, "enc.0.attn.h0.weights OK maxdiff %.2g\n",
             (double)0.25000003f - 0.25);
    run_tool(r, paths, "diff", path_a, path_b);
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, expected);
    assert_contains(r.out, "7 tensors: 7 OK\n");
    run_result_free(&r);

    run_tool(r, paths, "diff", path_a, path_b, "--atol", "0", "--rtol=0", "--stol", "0");
    assert_int_equal(r.exit_code, 1);
    assert_contains(r.out, "enc.0.attn.h0.weights DIFFERS");
    run_result_free(&r);
}

/* Inputs and parameters never pass through BLAS: one float apart (0.5 and
 * 0.50000006) is a real change, though far inside any tolerance. */
static void diff_wants_inputs_bit_identical(void **state)
{
    const test_paths *paths = *state;
    char path_a[PATH_SIZE], path_b[PATH_SIZE];
    run_result r;
    data_file(path_a, paths, "two_tokens.jsonl");
    data_file(path_b, paths, "two_tokens_input_one_float_apart.jsonl");
    run_tool(r, paths, "diff", path_a, path_b, "--atol", "1");
    assert_int_equal(r.exit_code, 1);
    assert_contains(r.out, "x DIFFERS at (1,0): 0.5 vs 0.50000006 "
                           "(an input must be bit-identical)\n");
    assert_contains(r.out, "tokens OK exact\n");
    assert_contains(r.out, "7 tensors: 6 OK, 1 differs\n");
    run_result_free(&r);
}

/* attnlab-trace diff on two files of tests/data, with one option (and its
 * value) or none (option NULL): it must exit with exit_code and print
 * expected. */
static void expect_diff(const test_paths *paths, const char *file_a, const char *file_b,
                        const char *option, const char *value, int exit_code,
                        const char *expected)
{
    char path_a[PATH_SIZE], path_b[PATH_SIZE];
    data_file(path_a, paths, file_a);
    data_file(path_b, paths, file_b);
    run_result r;
    run_tool(r, paths, "diff", path_a, path_b, option, value);
    assert_int_equal(r.exit_code, exit_code);
    assert_contains(r.out, expected);
    run_result_free(&r);
}

/* An entry that cancels to about 0 keeps the rounding noise of its
 * tensor's scale: 0 against 1.5e-6 in a tensor whose largest entry is 1
 * passes by the scale term (allowed 1e-6 + 0 + 1e-6 * 1 = 2e-6), and
 * differs without it (allowed 1e-6 + 1e-5 * 1.5e-6, about 1.00002e-6). */
static void diff_allows_a_cancelling_entry_the_noise_of_its_scale(void **state)
{
    const char *cancelling = "two_tokens_cancelling_entry.jsonl";
    expect_diff(*state, "two_tokens.jsonl", cancelling, NULL, NULL, 0,
                "enc.0.attn.h0.out OK maxdiff 1.5e-06\n");
    expect_diff(*state, "two_tokens.jsonl", cancelling, "--stol", "0", 1,
                "enc.0.attn.h0.out DIFFERS maxdiff 1.5e-06 at (0,1): 0 vs 1.5e-06, "
                "allowed 1e-06\n");
}

/* The same numbers made by another op are another computation. */
static void diff_reports_another_op(void **state)
{
    expect_diff(*state, "two_tokens.jsonl", "two_tokens_other_op.jsonl", NULL, NULL, 1,
                "enc.0.attn.h0.weights op differs: \"softmax_rows\" vs \"normalize_sum\"\n");
}

/* The same numbers from another row: the op's parameters differ. */
static void diff_reports_other_attrs(void **state)
{
    expect_diff(*state, "ops_wrong_value.jsonl", "ops_other_row.jsonl", "--quiet", NULL, 1,
                "row attrs differ: {row: 1} vs {row: 0}\n");
}

static void diff_reports_a_change_beyond_tolerance(void **state)
{
    const test_paths *paths = *state;
    char path_a[PATH_SIZE], path_b[PATH_SIZE], expected[160];
    run_result r;
    data_file(path_a, paths, "two_tokens.jsonl");
    data_file(path_b, paths, "two_tokens_changed_1e-3.jsonl");
    /* allowed at (1,0): 1e-6 + 1e-5 * 0.251 + 1e-6 * 1 (the largest entry) */
    snprintf(expected, sizeof expected,
             "enc.0.attn.h0.weights DIFFERS maxdiff %.2g at (1,0): 0.25 vs 0.251, "
             "allowed %.2g\n", (double)0.251f - 0.25, 1e-6 + 1e-5 * (double)0.251f + 1e-6);
    run_tool(r, paths, "diff", path_a, path_b);
    assert_int_equal(r.exit_code, 1);
    assert_contains(r.out, expected);
    assert_contains(r.out, "enc.0.attn.h0.out OK maxdiff 0\n");
    assert_contains(r.out, "\n7 tensors: 6 OK, 1 differs\n");
    run_result_free(&r);

    /* --quiet: only what differs, and the summary. */
    run_tool(r, paths, "diff", path_a, path_b, "--quiet");
    assert_int_equal(r.exit_code, 1);
    char quiet[320];
    snprintf(quiet, sizeof quiet, "%s7 tensors: 6 OK, 1 differs\n", expected);
    assert_string_equal(r.out, quiet);
    run_result_free(&r);

    /* A looser tolerance lets it pass. */
    run_tool(r, paths, "diff", path_a, path_b, "--atol", "0.01");
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
}

static void diff_reports_a_tensor_on_one_side_only(void **state)
{
    const test_paths *paths = *state;
    char path_a[PATH_SIZE], path_b[PATH_SIZE];
    run_result r;
    data_file(path_a, paths, "two_tokens.jsonl");
    data_file(path_b, paths, "two_tokens_without_out.jsonl");
    run_tool(r, paths, "diff", path_a, path_b);
    assert_int_equal(r.exit_code, 1);
    assert_contains(r.out, "enc.0.attn.h0.out only in A\n");
    assert_contains(r.out, "7 tensors: 6 OK, 1 differs\n");
    run_result_free(&r);

    run_tool(r, paths, "diff", path_b, path_a);
    assert_int_equal(r.exit_code, 1);
    assert_contains(r.out, "enc.0.attn.h0.out only in B\n");
    run_result_free(&r);
}

/* ---- failures ---------------------------------------------------------------- */

static void a_malformed_trace_exits_2_naming_the_line(void **state)
{
    const test_paths *paths = *state;
    char good[PATH_SIZE], bad[PATH_SIZE], expected[PATH_SIZE + 64];
    run_result r;
    data_file(good, paths, "two_tokens.jsonl");
    data_file(bad, paths, "malformed.jsonl");
    snprintf(expected, sizeof expected, "attnlab-trace: %s:4: malformed JSON", bad);
    run_tool(r, paths, "list", bad);
    assert_usage_failure(&r);
    assert_contains(r.err, expected);
    run_result_free(&r);

    /* diff reads both traces before printing anything. */
    run_tool(r, paths, "diff", good, bad);
    assert_usage_failure(&r);
    assert_contains(r.err, expected);
    run_result_free(&r);
}

static void bad_usage_exits_2_with_one_line(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    data_file(path, paths, "two_tokens.jsonl");
    struct {
        const char *args[4];
        const char *message;
    } cases[] = {
        {{NULL}, "missing subcommand"},
        {{"draw", path, NULL}, "unknown subcommand 'draw'"},
        {{"show", path, NULL}, "show needs TRACE and NAME"},
        {{"list", path, "--bogus", NULL}, "unknown option '--bogus'; see 'attnlab-trace list --help'"},
        {{"diff", path, path, "--precision"}, "unknown option '--precision'; see 'attnlab-trace diff --help'"},
        {{"show", path, "x", "--precision"}, "--precision needs a value"},
        {{"diff", path, path, "--atol=-1"}, "--atol needs a number >= 0"},
        {{"diff", path, path, "--stol=nan"}, "--stol needs a number >= 0"},
        {{"diff", path, path, "--quiet=1"}, "--quiet takes no value"},
        {{"list", path, path, NULL}, "too many arguments for list"},
        {{"list", "/nonexistent/t.jsonl", NULL}, "/nonexistent/t.jsonl: cannot open"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *argv[6] = {paths->program};
        memcpy(argv + 1, cases[k].args, sizeof cases[k].args);
        assert_int_equal(run_program(&r, argv, NULL), 0);
        assert_int_equal(r.signal, 0);
        assert_usage_failure(&r);
        assert_contains(r.err, cases[k].message);
        run_result_free(&r);
    }
}

/* ---- help -------------------------------------------------------------------- */

/* Run every "  attnlab-trace ..." line under "example" in help as typed,
 * from the top of the source tree, and expect success. Returns how many. */
static int run_help_examples(const test_paths *paths, const char *help)
{
    int examples = 0;
    const char *example = strstr(help, "\nexample");
    for (const char *line = example; line && (line = strstr(line, "\n  attnlab-trace "));) {
        char words[512], *argv[16] = {(char *)paths->program}, *save;
        size_t length = strcspn(line + 1, "\n");
        snprintf(words, sizeof words, "%.*s", (int)length, line + 1);
        int argc = 1;
        strtok_r(words, " ", &save);  /* "attnlab-trace": run the built one */
        for (char *word; argc < 15 && (word = strtok_r(NULL, " ", &save));) {
            argv[argc++] = word;
        }
        argv[argc] = NULL;
        run_result r;
        assert_int_equal(run_program(&r, (const char *const *)argv, NULL), 0);
        if (r.exit_code != 0) {
            fail_msg("help example \"%.*s\" exited %d: %s", (int)length, line + 1, r.exit_code,
                     r.err);
        }
        assert_true(r.out_length > 0);
        run_result_free(&r);
        examples++;
        line += 1 + length;
    }
    return examples;
}

static void help_examples_work_as_typed(void **state)
{
    const test_paths *paths = *state;
    const char *source_root = getenv("SRCDIR");
    if (!source_root) {
        skip();
    }
    char here[PATH_SIZE];
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(source_root), 0);
    const char *subcommands[] = {NULL, "list", "show", "diff"};
    for (size_t k = 0; k < sizeof subcommands / sizeof subcommands[0]; k++) {
        run_result r;
        if (subcommands[k]) {
            run_tool(r, paths, subcommands[k], "--help");
        } else {
            run_tool(r, paths, "--help");
        }
        assert_int_equal(r.exit_code, 0);
        assert_contains(r.out, "usage");
        assert_true(run_help_examples(paths, r.out) >= 1);
        run_result_free(&r);
    }
    assert_int_equal(chdir(here), 0);
}

/* path made absolute (help_examples_work_as_typed changes directory). */
static const char *absolute_path(char absolute[PATH_SIZE], const char *path)
{
    char here[PATH_SIZE];
    int length = path[0] == '/' ? snprintf(absolute, PATH_SIZE, "%s", path)
                 : getcwd(here, sizeof here) ? snprintf(absolute, PATH_SIZE, "%s/%s", here, path)
                                             : -1;
    return length >= 0 && length < PATH_SIZE ? absolute : NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s ATTNLAB_TRACE_PROGRAM TESTS_DATA_DIR\n", argv[0]);
        return 2;
    }
    char program[PATH_SIZE], data[PATH_SIZE];
    if (!absolute_path(program, argv[1]) || !absolute_path(data, argv[2])) {
        fprintf(stderr, "%s: cannot make %s and %s absolute paths\n", argv[0], argv[1], argv[2]);
        return 2;
    }
    test_paths paths = {program, data};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(list_prints_one_aligned_line_per_tensor, &paths),
        cmocka_unit_test_prestate(show_prints_labels_and_four_decimals, &paths),
        cmocka_unit_test_prestate(show_marks_masked_entries, &paths),
        cmocka_unit_test_prestate(show_prints_the_attrs, &paths),
        cmocka_unit_test_prestate(show_uses_indices_without_labels, &paths),
        cmocka_unit_test_prestate(show_precision_sets_the_decimals, &paths),
        cmocka_unit_test_prestate(show_rows_prints_the_softmax_steps, &paths),
        cmocka_unit_test_prestate(show_of_a_missing_name_lists_near_names, &paths),
        cmocka_unit_test_prestate(diff_of_a_trace_with_itself_is_all_ok, &paths),
        cmocka_unit_test_prestate(diff_accepts_a_change_within_tolerance, &paths),
        cmocka_unit_test_prestate(diff_reports_a_change_beyond_tolerance, &paths),
        cmocka_unit_test_prestate(diff_wants_inputs_bit_identical, &paths),
        cmocka_unit_test_prestate(diff_allows_a_cancelling_entry_the_noise_of_its_scale, &paths),
        cmocka_unit_test_prestate(diff_reports_another_op, &paths),
        cmocka_unit_test_prestate(diff_reports_other_attrs, &paths),
        cmocka_unit_test_prestate(diff_reports_a_tensor_on_one_side_only, &paths),
        cmocka_unit_test_prestate(a_malformed_trace_exits_2_naming_the_line, &paths),
        cmocka_unit_test_prestate(bad_usage_exits_2_with_one_line, &paths),
        cmocka_unit_test_prestate(help_examples_work_as_typed, &paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
