/* heatmap_fixture.h: what the tests of attnlab-heatmap share (test_heatmap.c,
 * test_heatmap_book.c): the program and data folder they are given, a
 * fresh scratch folder for each test, paths in both, and running the
 * program and decoding its PNG. Include after <cmocka.h>, run_program.h
 * and test_heatmap_png.h. */
#ifndef ATTNLAB_TESTS_HEATMAP_FIXTURE_H
#define ATTNLAB_TESTS_HEATMAP_FIXTURE_H

#define PATH_SIZE 4096

typedef struct heatmap_test {
    const char *program;
    const char *data;
    const char *name;                  /* the scratch folders' name: "heatmap" */
    char folder[SCRATCH_FOLDER_SIZE];  /* a fresh scratch folder for each test */
} heatmap_test;

static inline int make_folder(void **state)
{
    heatmap_test *t = *state;
    return make_scratch_folder(t->folder, t->name) ? 0 : -1;
}

static inline int remove_scratch(void **state)
{
    heatmap_test *t = *state;
    remove_folder(t->folder);
    return 0;
}

static inline const char *data_file(char path[PATH_SIZE], const heatmap_test *t,
                                    const char *name)
{
    snprintf(path, PATH_SIZE, "%s/%s", t->data, name);
    return path;
}

static inline const char *scratch_file(char path[PATH_SIZE], const heatmap_test *t,
                                       const char *name)
{
    snprintf(path, PATH_SIZE, "%s/%s", t->folder, name);
    return path;
}

/* Run attnlab-heatmap with the arguments after t, ending with NULL. */
#define run_heatmap(result, t, ...)                                                       \
    assert_int_equal(run_program_args(&(result), NULL, (t)->program, __VA_ARGS__, NULL), 0)

/* Run the program, expect success, and decode the PNG it wrote at out. */
#define draw(picture, t, out, ...)                                                        \
    do {                                                                                  \
        run_result r_;                                                                    \
        run_heatmap(r_, t, __VA_ARGS__, "-o", out);                                       \
        if (r_.exit_code != 0) {                                                          \
            fail_msg("attnlab-heatmap exited %d: %s", r_.exit_code, r_.err);              \
        }                                                                                 \
        run_result_free(&r_);                                                             \
        assert_true(png_picture_read(&(picture), out));                                   \
    } while (0)

#endif
