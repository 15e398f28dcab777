/* test_golden_catches.c: the golden comparison is loose enough for every
 * CPU (test_golden_kernels.c) and still tight enough to catch a real
 * change. Each case copies data/ to a temporary folder, adds 1e-4 to one
 * weight of one table there, runs the lesson on the copy and compares its
 * trace with the golden one: the changed parameter must fail (parameters
 * are compared bit for bit) and so must a tensor computed from it (the
 * rule for computed tensors is far tighter than 1e-4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lesson_check.h"

#define PATH_SIZE 1024
#define CHANGE 1e-4   /* a hundred times the rule's allowance at these tensors' scale */

static const char *source_dir, *build_dir, *trace_tool;

/* One weight changed, and what the comparison must then say. */
typedef struct changed_weight {
    const char *lesson, *golden;     /* the program, and traces/<golden>.jsonl */
    const char *option;              /* the book line's one option, or NULL */
    const char *table;               /* under data/ */
    const char *row;                 /* the row label */
    int column;                      /* from 0, after the label */
    const char *param_line;          /* diff's line for the parameter */
    const char *computed_line;       /* the start of a computed tensor's DIFFERS line */
} changed_weight;

/* Rewrite the table at path with entry (row, column) increased by delta;
 * the other lines are kept as they are. */
static void change_table_entry(const char *path, const char *row, int column, double delta)
{
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    char line[4096];
    int changed = 0;
    while (fgets(line, sizeof line, in)) {
        size_t label = strcspn(line, " \t\n");
        if (line[0] == '#' || label != strlen(row) || strncmp(line, row, label) != 0) {
            fputs(line, out);
            continue;
        }
        fprintf(out, "%s", row);
        char *cursor = line + label, *end;
        for (int j = 0;; j++) {
            double value = strtod(cursor, &end);
            if (end == cursor)
                break;
            fprintf(out, "  %.9g", j == column ? value + delta : value);
            cursor = end;
            changed += j == column;
        }
        fputc('\n', out);
    }
    fclose(in);
    fclose(out);
    assert_int_equal(changed, 1);
    FILE *rewrite = fopen(path, "w");
    assert_non_null(rewrite);
    assert_int_equal(fwrite(text, 1, size, rewrite), size);
    assert_int_equal(fclose(rewrite), 0);
    free(text);
}

static void expect_change_fails(const changed_weight *c)
{
    lesson_folder folder;
    lesson_folder_make(&folder);
    char data[PATH_SIZE / 2], source_data[PATH_SIZE / 2], table[PATH_SIZE], exe[PATH_SIZE],
        trace[PATH_SIZE], golden[PATH_SIZE];
    snprintf(source_data, sizeof source_data, "%s/data", source_dir);
    snprintf(data, sizeof data, "%s/data", folder.path);
    snprintf(table, sizeof table, "%s/%s", data, c->table);
    snprintf(exe, sizeof exe, "%s/lessons/%s", build_dir, c->lesson);
    snprintf(trace, sizeof trace, "%s/changed.jsonl", folder.path);
    snprintf(golden, sizeof golden, "%s/traces/%s.jsonl", source_dir, c->golden);

    run_result r;
    assert_int_equal(run_program_args(&r, NULL, "/bin/cp", "-R", source_data, data, NULL), 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    change_table_entry(table, c->row, c->column, CHANGE);

    assert_int_equal(run_program_args(&r, NULL, exe, "--quiet", "--no-figures", "--data", data,
                                      "--trace", trace, c->option, NULL), 0);
    if (r.exit_code != 0)
        fail_msg("%s on the changed data exited %d: %s", c->lesson, r.exit_code, r.err);
    run_result_free(&r);

    assert_int_equal(run_program_args(&r, NULL, trace_tool, "diff", "--quiet", trace, golden,
                                      NULL), 0);
    printf("%s %s (%s, column %d) + %g; attnlab-trace diff --quiet says:\n%s", c->table, c->row,
           c->lesson, c->column, CHANGE, r.out);
    assert_int_equal(r.exit_code, 1);
    if (!strstr(r.out, c->param_line))
        fail_msg("the diff does not say \"%s\"", c->param_line);
    if (!strstr(r.out, c->computed_line))
        fail_msg("the diff does not name the computed tensor: \"%s\"", c->computed_line);
    run_result_free(&r);
    lesson_folder_remove(&folder);
}

/* W_Q[action][place] = 2 makes "walks" ask for a place (data/lesson05/w_q.txt). */
static void changing_w_q_of_lesson05_fails(void **state)
{
    (void)state;
    expect_change_fails(&(changed_weight){
        "lesson05", "lesson05", NULL, "lesson05/w_q.txt", "action", 2,
        "enc.0.attn.w_q DIFFERS at (1,2): 2.0001 vs 2 (a param must be bit-identical)",
        "enc.0.attn.h0.weights DIFFERS"});
}

/* W_a[pos1][h.pos1] = 20 aligns the decoder's count with the encoder's
 * position (data/lesson04/s2s.attn.w_a.txt, the model of lesson04
 * --hand-made); s2s.step1.scores is the
 * tensor whose entries cancel to about 1e-6, where the scale term of the
 * rule is largest next to the entries. */
static void changing_w_a_of_lesson04_fails(void **state)
{
    (void)state;
    expect_change_fails(&(changed_weight){
        "lesson04", "lesson04-hand-made", "--hand-made", "lesson04/s2s.attn.w_a.txt", "s.pos1", 9,
        "s2s.attn.w_a DIFFERS at (9,9): 20.0001 vs 20 (a param must be bit-identical)",
        "s2s.step1.scores DIFFERS"});
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_golden_catches SOURCE_DIR BUILD_DIR ATTNLAB_TRACE\n");
        return 2;
    }
    source_dir = argv[1];
    build_dir = argv[2];
    trace_tool = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(changing_w_q_of_lesson05_fails),
        cmocka_unit_test(changing_w_a_of_lesson04_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
