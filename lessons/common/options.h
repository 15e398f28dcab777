/* options.h: command-line options for the lessons, on the shared parser
 * (src/cli). Each lesson lists its options; the options every lesson has
 * are added here. On a bad or unknown option it prints one clear line and
 * exits with status 2; a failure after that exits 1. This is program code:
 * it prints and exits, which the library never does. */
#ifndef LESSONS_OPTIONS_H
#define LESSONS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "cli_options.h"
#include "program_locations.h"

/* A lesson's own options are a cli_option table (cli_options.h), ended by
 * {0}; a list of numbers (--keys 70,80) is a cli_numbers. */
#define LESSON_SEED_MAX (1LL << 53) /* a seed every JSON reader holds exactly */

/* The longest path a lesson takes for --trace, --figures and --data: what
 * it builds from them (a figure's name, a data file) then always fits a
 * buffer of LESSON_PATH_SIZE, so no path is ever cut short. */
#define LESSON_MAX_PATH 3000
#define LESSON_PATH_SIZE 4096

/* What every lesson understands. */
typedef struct lesson_common {
    const char *trace_path;    /* --trace PATH (default "<program>.jsonl") */
    const char *trace_level;   /* --trace-level tensors|rows               */
    const char *trace_filter;  /* --trace-filter GLOB                      */
    bool no_figures;           /* --no-figures                             */
    const char *figures_dir;   /* --figures DIR (default: beside the trace) */
    const char *print_width;   /* --print-width LENGTH: heatmaps for print  */
    bool quiet;                /* --quiet: only the final paths            */
    bool no_color;             /* --no-color (NO_COLOR is honoured too)    */
    int precision;             /* --precision N: decimals in tables        */
    program_locations where;   /* data/ and the renderers: the build tree's
                                  or the installed ones (program_locations.h);
                                  filled by parse_lesson_options          */
} lesson_common;

/* The defaults, before parsing: trace to <program>.jsonl, 4 decimals. */
#define LESSON_COMMON_DEFAULTS \
    {.trace_path = NULL, .trace_level = "tensors", .trace_filter = "*", .precision = 4}

/* A lesson's description for --help, and which of the inputs many lessons
 * share (--sentence, --seed, --data) it takes: those options are declared
 * once, in options.c; a lesson only says what they mean for it. */
typedef struct lesson_about {
    const char *program;       /* "lesson05"                               */
    const char *title;         /* "self-attention, step by step"           */
    const char *summary;       /* a few lines on what it shows             */
    const char *example;       /* a command that works as typed            */
    const char *sentence_help; /* --sentence's help; NULL: no --sentence    */
    const char *sentence;      /* the default sentence (NULL: the lesson
                                  chooses after parsing)                   */
    const char *seed_help;     /* "seed of the weights"; NULL: no --seed    */
    const char *seed_only_with;/* "random": --seed changes only a --random
                                  model, and is refused without it          */
    bool takes_data;           /* --data DIR                               */
} lesson_about;

/* Where the shared inputs go: the lesson's own variables. Before parsing
 * they are set to the defaults: about->sentence, AL_DEFAULT_SEED and the
 * data folder common->where names (the source tree's data/ for a lesson in
 * the build tree, else the installed one). */
typedef struct lesson_inputs {
    const char **sentence;     /* --sentence TEXT                          */
    uint64_t *seed;            /* --seed N, from 0 to 2^53                 */
    const char **data_dir;     /* --data DIR                               */
} lesson_inputs;

#define MAX_OPTIONS 48

/* Find the lesson's data and renderers (common->where), then parse argv
 * against the lesson's own options, the shared inputs about asks for
 * (stored through inputs; NULL when it asks for none) and the options
 * every lesson has.
 * On --help prints the help and exits 0; on an error prints
 * "<program>: <problem>" and "try '<program> --help'" and exits 2. */
void parse_lesson_options(const lesson_about *about, const cli_option *lesson_options,
                          const lesson_inputs *inputs, lesson_common *common, int argc,
                          char **argv);

/* Print one line "<program>: <message>" to stderr and exit with status 2.
 * For bad input a lesson finds after parsing (an empty sentence, ...). */
_Noreturn void lesson_usage_error(const lesson_about *about, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Print one line "<program>: <message>" to stderr and exit with status 1.
 * For a failure once the input was good: the library fails in the middle
 * of the lesson, or a file cannot be written. */
_Noreturn void lesson_runtime_error(const lesson_about *about, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif
