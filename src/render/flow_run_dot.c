/* flow_run_dot.c: running Graphviz dot on the DOT file. The program is
 * started directly with posix_spawn (posix_spawnp for a bare name, which
 * searches PATH), never through a shell, so no file name is ever parsed
 * as shell syntax. Its picture goes to a temporary name and is renamed
 * into place only when dot succeeded. It knows nothing of graphs. */
#include "flow.h"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

dot_result flow_run_dot(const char *dot_program, const char *format, const char *dot_path,
                        const char *out_path, const char *image_directory, int dpi,
                        al_error *err)
{
    char format_arg[32], imagepath_arg[1100], dpi_arg[32], temporary[1100];
    snprintf(format_arg, sizeof format_arg, "-T%s", format);
    snprintf(imagepath_arg, sizeof imagepath_arg, "-Gimagepath=%s", image_directory);
    snprintf(dpi_arg, sizeof dpi_arg, "-Gdpi=%d", dpi);
    snprintf(temporary, sizeof temporary, "%s.%ld.tmp", out_path, (long)getpid());
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
        return DOT_NOT_FOUND;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            unlink(temporary);
            al_fail(err, AL_ERR_IO, "lost track of dot: %s", strerror(errno));
            return DOT_FAILED;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        unlink(temporary);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
            al_fail(err, AL_ERR_IO, "Graphviz dot could not be started as '%s'", dot_program);
            return DOT_NOT_FOUND;
        }
        al_fail(err, AL_ERR_IO, "dot failed making %s (see its message above)", out_path);
        return DOT_FAILED;
    }
    if (rename(temporary, out_path) != 0) {
        al_fail(err, AL_ERR_IO, "cannot rename dot's picture to %s: %s", out_path, strerror(errno));
        unlink(temporary);
        return DOT_FAILED;
    }
    return DOT_DONE;
}
