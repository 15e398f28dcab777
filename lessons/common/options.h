/* options.h: command-line options for the lessons, table-driven.
 * Each lesson lists its options (the common ones come from
 * lesson_common_options); the parser fills the variables, and on a bad or
 * unknown option prints one clear line and exits with status 2. This is
 * program code: it prints and exits, which the library never does. */
#ifndef LESSONS_OPTIONS_H
#define LESSONS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum option_kind {
    OPTION_FLAG,     /* --quiet: sets a bool to true          */
    OPTION_INT,      /* --heads 2                             */
    OPTION_SEED,     /* --seed 42 (uint64_t)                  */
    OPTION_FLOAT,    /* --temperature 0.5                     */
    OPTION_STRING,   /* --sentence "The cat walks"            */
    OPTION_CHOICE,   /* --score dot: one of a "|"-separated list */
    OPTION_NUMBERS   /* --keys 70,80: comma-separated numbers (option_numbers) */
} option_kind;

/* The target of an OPTION_NUMBERS option: min to max numbers (min >= 1,
 * max <= OPTION_MAX_NUMBERS), each finite. */
#define OPTION_MAX_NUMBERS 32
typedef struct option_numbers {
    int count;
    float values[OPTION_MAX_NUMBERS];
} option_numbers;

typedef struct option_spec {
    const char *name;      /* without the leading "--"                  */
    option_kind kind;
    void *target;          /* bool, int, uint64_t, float or const char * */
    const char *value_name;/* "N", "TEXT", ... for --help; NULL for flags */
    const char *help;      /* one line                                   */
    const char *choices;   /* OPTION_CHOICE: "additive|dot|general"      */
    int min, max;          /* OPTION_INT: allowed range (inclusive);
                              OPTION_NUMBERS: how many numbers         */
} option_spec;

/* What every lesson understands. */
typedef struct lesson_common {
    const char *trace_path;    /* --trace PATH (default "<program>.jsonl") */
    const char *trace_level;   /* --trace-level tensors|rows               */
    const char *trace_filter;  /* --trace-filter GLOB                      */
    bool no_figures;           /* --no-figures                             */
    const char *figures_dir;   /* --figures DIR (default: beside the trace) */
    bool quiet;                /* --quiet: only the final paths            */
    bool no_color;             /* --no-color (NO_COLOR is honoured too)    */
    int precision;             /* --precision N: decimals in tables        */
    bool help;
} lesson_common;

/* The defaults, before parsing: trace to <program>.jsonl, 4 decimals. */
#define LESSON_COMMON_DEFAULTS \
    {.trace_path = NULL, .trace_level = "tensors", .trace_filter = "*", .precision = 4}

/* A lesson's description for --help. */
typedef struct lesson_about {
    const char *program;       /* "lesson05"                               */
    const char *title;         /* "self-attention, step by step"           */
    const char *summary;       /* a few lines on what it shows             */
    const char *example;       /* a command that works as typed            */
} lesson_about;

#define MAX_OPTIONS 40

/* Parse argv against the lesson's own options followed by the common ones.
 * On --help prints the help and exits 0; on an error prints
 * "<program>: <problem>" and "try '<program> --help'" and exits 2. */
void parse_lesson_options(const lesson_about *about, const option_spec *lesson_options,
                          lesson_common *common, int argc, char **argv);

/* Print one line "<program>: <message>" to stderr and exit with status 2.
 * For bad input a lesson finds after parsing (an empty sentence, ...). */
_Noreturn void lesson_usage_error(const lesson_about *about, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif
