/* outputs.h: what a lesson leaves behind: its trace, and its figures drawn
 * by running the renderer programs on that trace. Also the closing lines
 * that list the files written and the command to redraw each figure.
 * Program code: it prints and exits on failure, unlike the library. */
#ifndef LESSONS_OUTPUTS_H
#define LESSONS_OUTPUTS_H

#include "attnlab/trace.h"
#include "options.h"
#include "printout.h"

#define MAX_FIGURES 16
#define MAX_FIGURE_ARGS 64
#define OUTPUT_PATH_SIZE LESSON_PATH_SIZE

typedef struct lesson_outputs {
    const lesson_about *about;
    const lesson_common *common;
    char trace_path[OUTPUT_PATH_SIZE];
    al_trace *trace;
    int n_figures;
    char figure_paths[MAX_FIGURES][OUTPUT_PATH_SIZE];
    char redraw_commands[MAX_FIGURES][3 * LESSON_PATH_SIZE];
    int failures;          /* figures that could not be drawn */
    struct al_trace_file *written;  /* with --trace-filter: the names written, read back */
} lesson_outputs;

/* Open the lesson's trace (common->trace_path, or "<program>.jsonl" in the
 * current folder) with its level and filter, recording program, arguments
 * and seed. On failure prints one line and exits: 1 when the file cannot
 * be written, 2 for a bad option (--figures, --trace-filter). */
void outputs_open(lesson_outputs *outputs, const lesson_about *about,
                  const lesson_common *common, int argc, char **argv, uint64_t seed);

/* Print "<program>: <message>", discard the trace (no file is left) and
 * exit 1. For an error from the library in the middle of a lesson. */
_Noreturn void outputs_fail(lesson_outputs *outputs, const al_error *err);

/* Close the trace (it appears whole, or the lesson fails with exit 1). */
void outputs_close_trace(lesson_outputs *outputs);

/* Draw a figure from the trace with a renderer ("attnlab-heatmap" or
 * "attnlab-flow"): suffix names the file beside the trace
 * ("-weights.png" gives lesson05-weights.png); args are the renderer's
 * options after the trace and before "-o", NULL-terminated. Does nothing
 * with --no-figures. A figure whose tensors --trace-filter left out is
 * not drawn, with one line saying so; a renderer that fails is reported,
 * and makes the lesson's exit status 1. */
void outputs_draw(lesson_outputs *outputs, const char *renderer, const char *suffix,
                  const char *const *args);

/* A renderer's arguments built up one at a time, for a figure whose
 * options depend on the run (a panel title per head): figure_arg adds a
 * string the caller keeps alive, figure_argf one formatted into the
 * builder's own room. argv stays NULL-terminated; past MAX_FIGURE_ARGS
 * arguments are dropped (and outputs_draw would drop them anyway). */
typedef struct figure_args {
    const char *argv[MAX_FIGURE_ARGS + 1];
    int n;
    char text[MAX_FIGURE_ARGS][128];
} figure_args;

void figure_arg(figure_args *a, const char *arg);
/* Every argument of the NULL-terminated list args. */
void figure_args_add(figure_args *a, const char *const *args);
void figure_argf(figure_args *a, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* "--panel-title" and a title for each panel of a figure of layers x heads
 * attention maps, in the trace's order: "layer 0, head 1" (or "head 1"
 * when layers is 1; "encoder-only, head 1" with a prefix). */
void figure_head_titles(figure_args *a, const char *prefix, int layers, int heads);

/* "--panel-title" "T = 0.5" for each of a sweep's temperatures, in order. */
void figure_temperature_titles(figure_args *a, const float *temperatures, int count);

/* The closing lines: every file written and (unless --quiet) how to
 * redraw the figures. Returns the lesson's exit status: 0, or 1 if a
 * figure failed. */
int outputs_finish(lesson_outputs *outputs, printout *p);

#endif
