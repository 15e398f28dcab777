/* outputs.c: a lesson's trace file and figures (see outputs.h).
 * Renderers are separate programs, started directly (no shell) from the
 * folder program_locations.h chose (the build tree's, or the installed bindir),
 * or from PATH when they are not there. */
#include "outputs.h"

#include <fnmatch.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attnlab/cleanup.h"
#include "attnlab/trace_file.h"

extern char **environ;

void outputs_open(lesson_outputs *outputs, const lesson_about *about,
                  const lesson_common *common, int argc, char **argv, uint64_t seed)
{
    *outputs = (lesson_outputs){.about = about, .common = common};
    if (common->trace_path)
        snprintf(outputs->trace_path, sizeof outputs->trace_path, "%s", common->trace_path);
    else
        snprintf(outputs->trace_path, sizeof outputs->trace_path, "%s.jsonl", about->program);
    al_trace_options options = {
        .program = about->program,
        .argc = argc - 1,
        .argv = (const char *const *)argv + 1,
        .seed = seed,
        .level = strcmp(common->trace_level, "rows") == 0 ? AL_TRACE_ROWS : AL_TRACE_TENSORS,
        .filter = common->trace_filter,
    };
    struct stat folder;
    if (common->figures_dir && !common->no_figures &&
        (stat(common->figures_dir, &folder) != 0 || !S_ISDIR(folder.st_mode) ||
         access(common->figures_dir, W_OK) != 0))
        lesson_usage_error(about, "--figures %s: no such folder, or not writable",
                           common->figures_dir);
    al_error err = {0};
    if (al_trace_open(&outputs->trace, outputs->trace_path, &options, &err) == AL_OK)
        return;
    /* A file that cannot be created is a runtime failure; a bad --trace-filter is usage. */
    if (err.status == AL_ERR_IO || err.status == AL_ERR_NOMEM)
        lesson_runtime_error(about, "%s", err.message);
    lesson_usage_error(about, "%s", err.message);
}

_Noreturn void outputs_fail(lesson_outputs *outputs, const al_error *err)
{
    al_trace_discard(outputs->trace);
    outputs->trace = NULL;
    lesson_runtime_error(outputs->about, "%s", err->message);
}

void outputs_close_trace(lesson_outputs *outputs)
{
    al_error err = {0};
    al_trace *trace = outputs->trace;
    outputs->trace = NULL;
    if (al_trace_close(trace, &err) != AL_OK)
        lesson_runtime_error(outputs->about, "%s", err.message);
}

/* The figure's file: the trace path without ".jsonl", then suffix; in
 * figures_dir instead of the trace's folder when one is given. */
static void figure_path(char *buf, size_t size, const char *trace_path, const char *figures_dir,
                        const char *suffix)
{
    const char *stem = trace_path;
    if (figures_dir) {
        const char *slash = strrchr(trace_path, '/');
        stem = slash ? slash + 1 : trace_path;
    }
    size_t n = strlen(stem);
    if (n > 6 && strcmp(stem + n - 6, ".jsonl") == 0)
        n -= 6;
    if (figures_dir)
        snprintf(buf, size, "%s/%.*s%s", figures_dir, (int)n, stem, suffix);
    else
        snprintf(buf, size, "%.*s%s", (int)n, stem, suffix);
}

static int run(const char *path, char *const *argv)
{
    pid_t pid;
    if (posix_spawnp(&pid, path, NULL, NULL, argv, environ) != 0)
        return -1;
    al_cleanup_add_child(pid);   /* a lesson ended by a signal ends its renderer too */
    int status;
    int waited = waitpid(pid, &status, 0);
    al_cleanup_forget_child(pid);
    if (waited < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static bool keep_no_data(void *context, const char *name, const char *op, int rows, int cols)
{
    return false;
}

/* With --trace-filter, a figure may need tensors the filter left out. The
 * names written are read back from the trace (its numbers skipped), once;
 * the first --select or --x pattern that matches none of them is returned,
 * or NULL when every one matches something (or the trace holds everything). */
static const char *left_out_by_the_filter(lesson_outputs *outputs, const char *const *args)
{
    if (strcmp(outputs->common->trace_filter, "*") == 0)
        return NULL;
    if (!outputs->written) {
        al_trace_read_options names_only = {.keep_data = keep_no_data};
        al_error err = {0};
        if (al_trace_file_read_with(&outputs->written, outputs->trace_path, &names_only, &err) !=
            AL_OK)
            return NULL;  /* the renderer will say what is wrong with the file */
    }
    for (int i = 0; args && args[i] && args[i + 1]; i++) {
        if (strcmp(args[i], "--select") != 0 && strcmp(args[i], "--x") != 0)
            continue;
        const char *pattern = args[++i];
        bool found = false;
        for (int t = 0; t < outputs->written->n_tensors && !found; t++)
            found = fnmatch(pattern, outputs->written->tensors[t].name, 0) == 0;
        if (!found)
            return pattern;
    }
    return NULL;
}

/* List among the files written the one a renderer wrote beside out:
 * out with its extension replaced by extension (".svg"). */
static void add_sibling(lesson_outputs *outputs, const char *out, const char *extension)
{
    if (outputs->n_figures == MAX_FIGURES)
        return;
    char *sibling = outputs->figure_paths[outputs->n_figures];
    const char *dot = strrchr(out, '.');
    size_t stem = dot ? (size_t)(dot - out) : strlen(out);
    snprintf(sibling, OUTPUT_PATH_SIZE, "%.*s%s", (int)stem, out, extension);
    outputs->redraw_commands[outputs->n_figures][0] = '\0';
    outputs->n_figures++;
}

void outputs_draw(lesson_outputs *outputs, const char *renderer, const char *suffix,
                  const char *const *args)
{
    if (outputs->common->no_figures || outputs->n_figures == MAX_FIGURES)
        return;
    int index = outputs->n_figures;
    char *out = outputs->figure_paths[index], *command = outputs->redraw_commands[index];
    figure_path(out, OUTPUT_PATH_SIZE, outputs->trace_path, outputs->common->figures_dir, suffix);
    const char *missing = left_out_by_the_filter(outputs, args);
    if (missing) {
        fprintf(stderr, "%s: %s not drawn: --trace-filter '%s' left out %s\n",
                outputs->about->program, out, outputs->common->trace_filter, missing);
        return;
    }

    char path[PROGRAM_LOCATION_SIZE + 32];
    program_renderer_path(path, sizeof path, &outputs->common->where, renderer);
    const char *argv[MAX_FIGURE_ARGS + 9] = {renderer, outputs->trace_path};
    int n = 2;
    snprintf(command, sizeof outputs->redraw_commands[0], "%s", path);
    cli_shell_append(command, sizeof outputs->redraw_commands[0], outputs->trace_path);
    for (int i = 0; args && args[i] && n < MAX_FIGURE_ARGS; i++) {
        argv[n++] = args[i];
        cli_shell_append(command, sizeof outputs->redraw_commands[0], args[i]);
    }
    /* --print-width: the book's size, at the resolution print needs */
    const char *print[] = {"--print-width", outputs->common->print_width, "--dpi", "300"};
    for (int i = 0; outputs->common->print_width && strcmp(renderer, "attnlab-heatmap") == 0 &&
                    i < 4; i++) {
        argv[n++] = print[i];
        cli_shell_append(command, sizeof outputs->redraw_commands[0], print[i]);
    }
    argv[n++] = "-o";
    argv[n++] = out;
    cli_shell_append(command, sizeof outputs->redraw_commands[0], "-o");
    cli_shell_append(command, sizeof outputs->redraw_commands[0], out);

    int status = run(path, (char *const *)argv);
    if (status != 0) {
        fprintf(stderr, "%s: could not draw %s (%s %s)\n", outputs->about->program, out, renderer,
                status < 0 ? "could not be started" : "failed");
        outputs->failures++;
        return;
    }
    outputs->n_figures++;
    /* attnlab-heatmap --svg writes the same figure as .svg beside the .png,
     * and attnlab-flow the DOT it drew the picture from beside it */
    bool svg = false;
    for (int i = 0; args && args[i]; i++)
        svg |= strcmp(args[i], "--svg") == 0;
    if (svg)
        add_sibling(outputs, out, ".svg");
    if (strcmp(renderer, "attnlab-flow") == 0)
        add_sibling(outputs, out, ".dot");
}

void figure_arg(figure_args *a, const char *arg)
{
    if (a->n < MAX_FIGURE_ARGS) {
        a->argv[a->n++] = arg;
        a->argv[a->n] = NULL;
    }
}

void figure_args_add(figure_args *a, const char *const *args)
{
    for (int k = 0; args[k]; k++)
        figure_arg(a, args[k]);
}

void figure_temperature_titles(figure_args *a, const float *temperatures, int count)
{
    for (int t = 0; t < count; t++) {
        figure_arg(a, "--panel-title");
        figure_argf(a, "T = %g", (double)temperatures[t]);
    }
}

void figure_argf(figure_args *a, const char *format, ...)
{
    if (a->n >= MAX_FIGURE_ARGS)
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(a->text[a->n], sizeof a->text[0], format, args);
    va_end(args);
    figure_arg(a, a->text[a->n]);
}

void figure_head_titles(figure_args *a, const char *prefix, int layers, int heads)
{
    for (int layer = 0; layer < layers; layer++)
        for (int head = 0; head < heads; head++) {
            figure_arg(a, "--panel-title");
            if (layers > 1)
                figure_argf(a, "%s%slayer %d, head %d", prefix ? prefix : "", prefix ? ", " : "",
                            layer, head);
            else
                figure_argf(a, "%s%shead %d", prefix ? prefix : "", prefix ? ", " : "", head);
        }
}

int outputs_finish(lesson_outputs *outputs, printout *p)
{
    al_trace_file_free(outputs->written);
    outputs->written = NULL;
    print_always(p, "%sWrote %s", outputs->common->quiet ? "" : "\n", outputs->trace_path);
    for (int i = 0; i < outputs->n_figures; i++)
        print_always(p, "Wrote %s", outputs->figure_paths[i]);
    if (outputs->n_figures > 0 && !outputs->common->quiet) {
        print_always(p, "Redraw with:");
        for (int i = 0; i < outputs->n_figures; i++)
            if (outputs->redraw_commands[i][0])
                print_always(p, "  %s", outputs->redraw_commands[i]);
    }
    return outputs->failures ? 1 : 0;
}
