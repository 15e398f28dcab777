/* test_atomic_file.c: a file appears whole or not at all: committed bytes
 * land at the destination, a discarded write leaves the old file and no
 * temporary behind, and a missing folder fails cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/atomic_file.h"

typedef struct folder {
    char path[64];
    char file[96];
} folder;

static int make_folder(void **state)
{
    folder *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/attnlab-atomic-XXXXXX");
    assert_non_null(mkdtemp(f->path));
    snprintf(f->file, sizeof f->file, "%s/out.txt", f->path);
    *state = f;
    return 0;
}

/* rmdir fails if anything but out.txt was left (a stray temporary). */
static int remove_folder(void **state)
{
    folder *f = *state;
    remove(f->file);
    int removed = rmdir(f->path);
    free(f);
    return removed;
}

static const char *contents(const char *path)
{
    static char text[256];
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    size_t n = fread(text, 1, sizeof text - 1, file);
    text[n] = '\0';
    fclose(file);
    return text;
}

static void committed_bytes_appear_only_at_commit(void **state)
{
    folder *f = *state;
    al_atomic_file out;
    assert_int_equal(al_atomic_begin(&out, f->file, NULL), AL_OK);
    fputs("whole", out.stream);
    assert_null(contents(f->file));
    assert_int_equal(al_atomic_finish(&out, NULL), AL_OK);
    assert_null(contents(f->file));
    assert_int_equal(al_atomic_commit(&out, NULL), AL_OK);
    assert_string_equal(contents(f->file), "whole");
    struct stat info;
    assert_int_equal(stat(f->file, &info), 0);
    assert_int_equal(info.st_mode & 0777, 0644);
    al_atomic_discard(&out); /* harmless after a commit */
    assert_string_equal(contents(f->file), "whole");
}

static void a_discarded_write_leaves_the_old_file(void **state)
{
    folder *f = *state;
    FILE *old = fopen(f->file, "w");
    fputs("old", old);
    fclose(old);
    al_atomic_file out;
    assert_int_equal(al_atomic_begin(&out, f->file, NULL), AL_OK);
    fputs("half of the new", out.stream);
    al_atomic_discard(&out);
    assert_string_equal(contents(f->file), "old");
}

static void a_missing_folder_fails_naming_the_path(void **state)
{
    (void)state;
    al_atomic_file out;
    al_error err = {0};
    assert_int_equal(al_atomic_begin(&out, "/nonexistent-attnlab/x.png", &err), AL_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent-attnlab/x.png"));
    assert_null(out.stream);
    al_atomic_discard(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(committed_bytes_appear_only_at_commit, make_folder,
                                        remove_folder),
        cmocka_unit_test_setup_teardown(a_discarded_write_leaves_the_old_file, make_folder,
                                        remove_folder),
        cmocka_unit_test(a_missing_folder_fails_naming_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
