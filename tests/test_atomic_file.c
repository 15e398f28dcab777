/* test_atomic_file.c: a file appears whole or not at all: committed bytes
 * land at the destination, a discarded write leaves the old file and no
 * temporary behind, and a missing folder fails cleanly. A new file's mode
 * follows the umask, a replaced file keeps its mode, and a FIFO, a
 * symbolic link or a folder at the path is refused and left as it was. A
 * full disk (the stream's descriptor moved onto /dev/full) fails naming the
 * path and the reason, and leaves the old file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
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
    mode_t mask = umask(022);
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
    umask(mask);
}

static mode_t written_mode(const char *path)
{
    al_atomic_file out;
    assert_int_equal(al_atomic_begin(&out, path, NULL), AL_OK);
    fputs("new", out.stream);
    assert_int_equal(al_atomic_finish(&out, NULL), AL_OK);
    assert_int_equal(al_atomic_commit(&out, NULL), AL_OK);
    struct stat info;
    assert_int_equal(stat(path, &info), 0);
    return info.st_mode & 07777;
}

/* umask 077 gives a new file 0600; a file of mode 0640 keeps 0640. */
static void the_mode_follows_the_umask_or_the_old_file(void **state)
{
    folder *f = *state;
    mode_t mask = umask(077);
    assert_int_equal(written_mode(f->file), 0600);
    umask(022);
    assert_int_equal(chmod(f->file, 0640), 0);
    assert_int_equal(written_mode(f->file), 0640);
    umask(mask);
}

/* Each refused with its kind named; what was there is still there. */
static void only_a_regular_file_is_replaced(void **state)
{
    folder *f = *state;
    char fifo[128], link[128], sub[128];
    snprintf(fifo, sizeof fifo, "%s/pipe", f->path);
    snprintf(link, sizeof link, "%s/link", f->path);
    snprintf(sub, sizeof sub, "%s/sub", f->path);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(symlink("out.txt", link), 0);
    assert_int_equal(mkdir(sub, 0700), 0);
    const char *paths[] = {fifo, link, sub};
    const char *kinds[] = {"is a FIFO", "is a symbolic link", "is a folder"};
    for (int k = 0; k < 3; k++) {
        al_atomic_file out;
        al_error err = {0};
        assert_int_equal(al_atomic_begin(&out, paths[k], &err), AL_ERR_IO);
        char expected[256];
        snprintf(expected, sizeof expected, "%s %s; attnlab replaces only regular files",
                 paths[k], kinds[k]);
        assert_string_equal(err.message, expected);
        assert_null(out.stream);
    }
    struct stat info;
    assert_int_equal(lstat(fifo, &info), 0);
    assert_true(S_ISFIFO(info.st_mode));
    assert_int_equal(lstat(link, &info), 0);
    assert_true(S_ISLNK(info.st_mode));
    remove(fifo), remove(link), rmdir(sub);
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

/* Every write to /dev/full fails with ENOSPC, as on a full disk: the
 * temporary's descriptor is moved onto it after al_atomic_begin. */
static void a_full_disk_fails_naming_the_path_and_the_reason(void **state)
{
    folder *f = *state;
    FILE *old = fopen(f->file, "w");
    fputs("old", old);
    fclose(old);
    al_atomic_file out;
    al_error err = {0};
    assert_int_equal(al_atomic_begin(&out, f->file, NULL), AL_OK);
    int full = open("/dev/full", O_WRONLY);
    assert_true(full >= 0);
    assert_true(dup2(full, fileno(out.stream)) >= 0);
    close(full);
    for (int i = 0; i < 100000; i++) {
        fputs("a line of a trace that will not fit\n", out.stream);
    }
    assert_int_equal(al_atomic_finish(&out, &err), AL_ERR_IO);
    char expected[160];
    snprintf(expected, sizeof expected, "cannot write %s: No space left on device", f->file);
    print_message("message: %s\n", err.message);
    assert_string_equal(err.message, expected);
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
        cmocka_unit_test_setup_teardown(a_full_disk_fails_naming_the_path_and_the_reason,
                                        make_folder, remove_folder),
        cmocka_unit_test_setup_teardown(the_mode_follows_the_umask_or_the_old_file,
                                        make_folder, remove_folder),
        cmocka_unit_test_setup_teardown(only_a_regular_file_is_replaced, make_folder,
                                        remove_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
