/* flow_run_dot.c: running Graphviz dot on the DOT file. The program is
 * started directly with posix_spawn (posix_spawnp for a bare name, which
 * searches PATH), never through a shell, so no file name is ever parsed
 * as shell syntax. Its picture goes to a temporary name and is renamed
 * into place only when dot succeeded (a PDF's date pinned first). It
 * knows nothing of graphs. */
#include "flow.h"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attnlab/atomic_file.h"
#include "attnlab/cleanup.h"

extern char **environ;

/* Cairo (1.16), which draws dot's PDF, stamps it with the time it was
 * made: "/CreationDate (D:20261123124824Z)". Same input, same bytes: the
 * digits are replaced, in place, by those of 1970-01-01 00:00:00, so the
 * file keeps its length and its cross-reference table stays right. */
static al_status pin_pdf_date(const char *path, al_error *err)
{
    FILE *file = fopen(path, "r+b");
    if (!file) {
        return al_fail(err, AL_ERR_IO, "cannot reopen dot's PDF %s: %s", path, strerror(errno));
    }
    static const char key[] = "/CreationDate (D:", epoch[] = "19700101000000";
    size_t matched = 0;
    long digits_at = -1;
    for (int c; digits_at < 0 && (c = fgetc(file)) != EOF;) {
        matched = c == key[matched] ? matched + 1 : c == key[0] ? 1 : 0;
        if (matched == sizeof key - 1) {
            digits_at = ftell(file);
        }
    }
    if (digits_at >= 0 && fseek(file, digits_at, SEEK_SET) == 0) {
        char digits[sizeof epoch - 1];
        size_t got = fread(digits, 1, sizeof digits, file);
        size_t n = 0;
        while (n < got && digits[n] >= '0' && digits[n] <= '9') {
            n++;
        }
        if (fseek(file, digits_at, SEEK_SET) == 0) {
            fwrite(epoch, 1, n, file);
        }
    }
    bool failed = ferror(file) != 0;
    failed |= fclose(file) != 0;
    return failed ? al_fail(err, AL_ERR_IO, "cannot rewrite the date in %s", path) : AL_OK;
}

dot_result flow_run_dot(const char *dot_program, const char *format, const char *dot_path,
                        const char *out_path, const char *image_directory, int dpi,
                        al_error *err)
{
    char format_arg[32], imagepath_arg[1100], dpi_arg[32];
    snprintf(format_arg, sizeof format_arg, "-T%s", format);
    snprintf(imagepath_arg, sizeof imagepath_arg, "-Gimagepath=%s", image_directory);
    snprintf(dpi_arg, sizeof dpi_arg, "-Gdpi=%d", dpi);
    /* dot writes the picture into an (empty) temporary file of ours, which
     * is renamed over out_path only when dot succeeded. */
    al_atomic_file picture;
    if (al_atomic_begin(&picture, out_path, err) != AL_OK ||
        al_atomic_finish(&picture, err) != AL_OK) {
        al_atomic_discard(&picture);
        return DOT_FAILED;
    }
    char *temporary = picture.temporary_path;
    char dot_name[] = "dot", output_flag[] = "-o";
    char *argv[8];
    int n = 0;
    argv[n++] = dot_name;
    argv[n++] = format_arg;
    argv[n++] = imagepath_arg;
    if (strcmp(format, "png") == 0) {
        argv[n++] = dpi_arg;  /* only bitmaps: in SVG and PDF it would scale the page */
    }
    argv[n++] = output_flag;
    argv[n++] = temporary;
    argv[n++] = (char *)dot_path;
    argv[n] = NULL;
    pid_t pid;
    bool bare_name = strchr(dot_program, '/') == NULL;
    int spawned = bare_name ? posix_spawnp(&pid, dot_program, NULL, NULL, argv, environ)
                            : posix_spawn(&pid, dot_program, NULL, NULL, argv, environ);
    if (spawned != 0) {
        al_fail(err, AL_ERR_IO, "Graphviz dot could not be started as '%s': %s", dot_program,
                strerror(spawned));
        al_atomic_discard(&picture);
        return DOT_NOT_FOUND;
    }
    al_cleanup_add_child(pid);   /* ended by a signal, the renderer ends dot too */
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            al_cleanup_forget_child(pid);
            al_fail(err, AL_ERR_IO, "lost track of dot: %s", strerror(errno));
            al_atomic_discard(&picture);
            return DOT_FAILED;
        }
    }
    al_cleanup_forget_child(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        al_atomic_discard(&picture);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
            al_fail(err, AL_ERR_IO, "Graphviz dot could not be started as '%s'", dot_program);
            return DOT_NOT_FOUND;
        }
        al_fail(err, AL_ERR_IO, "dot failed making %s (see its message above)", out_path);
        return DOT_FAILED;
    }
    if (strcmp(format, "pdf") == 0 && pin_pdf_date(temporary, err) != AL_OK) {
        al_atomic_discard(&picture);
        return DOT_FAILED;
    }
    if (al_atomic_commit(&picture, err) != AL_OK)
        return DOT_FAILED;
    return DOT_DONE;
}
