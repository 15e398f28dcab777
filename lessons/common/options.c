/* options.c: the lessons' command line on the shared parser (src/cli):
 * the options every lesson has, the --help page around the generated
 * option lines, and the two ways a lesson stops (usage: 2, runtime: 1). */
#include "options.h"

#include "attnlab/rng.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void stop(int exit_status, const lesson_about *about, const char *format,
                           va_list args) __attribute__((format(printf, 3, 0)));

static _Noreturn void stop(int exit_status, const lesson_about *about, const char *format,
                           va_list args)
{
    cli_vreport(about->program, format, args);
    exit(exit_status);
}

_Noreturn void lesson_usage_error(const lesson_about *about, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    stop(2, about, format, args);
}

_Noreturn void lesson_runtime_error(const lesson_about *about, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    stop(1, about, format, args);
}

/* --sentence, when about asks for it, at out[n]; set to its default
 * first. Returns the new count. */
static int add_sentence(cli_option *out, int n, const lesson_about *about,
                        const lesson_inputs *inputs)
{
    if (!about->sentence_help)
        return n;
    *inputs->sentence = about->sentence;
    out[n++] = (cli_option){.name = "sentence", .kind = CLI_STRING,
                            .target = (void *)inputs->sentence, .value_name = "TEXT",
                            .help = about->sentence_help};
    return n;
}

/* Room for --seed's and --data's help, which name their defaults. */
typedef struct default_helps {
    char seed[160];                        /* "<about's words> (default 42)"   */
    char data[PROGRAM_LOCATION_SIZE + 64];  /* "the data folder (default: DIR)" */
} default_helps;

/* --seed and --data, as about asks, at out[n...]; each set to its default
 * first: 42, and where->data_dir. */
static int add_seed_and_data(cli_option *out, int n, const lesson_about *about,
                             const lesson_inputs *inputs, const program_locations *where,
                             default_helps *helps)
{
    if (about->seed_help) {
        *inputs->seed = AL_DEFAULT_SEED;
        snprintf(helps->seed, sizeof helps->seed, "%s (default %llu)", about->seed_help,
                 (unsigned long long)AL_DEFAULT_SEED);
        out[n++] = (cli_option){.name = "seed", .kind = CLI_UINT64, .target = inputs->seed,
                                .value_name = "N", .help = helps->seed,
                                .max = LESSON_SEED_MAX, .only_with = about->seed_only_with};
    }
    if (about->takes_data) {
        *inputs->data_dir = where->data_dir;
        snprintf(helps->data, sizeof helps->data, "the data folder (default: %s)",
                 where->data_dir);
        out[n++] = (cli_option){.name = "data", .kind = CLI_STRING,
                                .target = (void *)inputs->data_dir, .value_name = "DIR",
                                .help = helps->data};
    }
    return n;
}

/* The options every lesson has, bound to common, after out[0, n). */
static int add_common_options(cli_option *out, int n, lesson_common *common)
{
    const cli_option options[] = {
        {.name = "trace", .kind = CLI_STRING, .target = &common->trace_path, .value_name = "PATH",
         .help = "where to write the trace (default <lesson>.jsonl here)"},
        {.name = "trace-level", .kind = CLI_CHOICE, .target = &common->trace_level,
         .value_name = "LEVEL", .help = "tensors, or rows to add every softmax row's steps",
         .choices = "tensors|rows"},
        {.name = "trace-filter", .kind = CLI_STRING, .target = &common->trace_filter,
         .value_name = "GLOB", .help = "trace only names matching GLOB, e.g. '*.weights'"},
        {.name = "no-figures", .kind = CLI_FLAG, .target = &common->no_figures,
         .help = "do not draw figures"},
        {.name = "figures", .kind = CLI_STRING, .target = &common->figures_dir,
         .value_name = "DIR", .help = "draw the figures into DIR (default: beside the trace)"},
        {.name = "print-width", .kind = CLI_STRING, .target = &common->print_width,
         .value_name = "LENGTH",
         .help = "draw the heatmaps for print: LENGTH wide at 300 dpi (3.3in or\n"
                 "84mm for a book's column, 6.9in or 175mm for its full width)"},
        {.name = "precision", .kind = CLI_INT, .target = &common->precision, .value_name = "N",
         .help = "decimals in printed tables (default 4)", .max = 9},
        {.name = "no-color", .kind = CLI_FLAG, .target = &common->no_color,
         .help = "no colour in the printout (NO_COLOR is honoured too)"},
        {.name = "quiet", .kind = CLI_FLAG, .target = &common->quiet,
         .help = "print only the files written"},
        {.name = "help", .kind = CLI_HELP, .help = "show this help"},
        {0},
    };
    memcpy(out + n, options, sizeof options);
    return n + (int)(sizeof options / sizeof options[0]) - 1;
}

/* The --help page: title, summary, the generated option lines, example. */
static void print_help(const lesson_about *about, const cli_option *options)
{
    printf("%s: %s\n\n%s\n\nOptions:\n", about->program, about->title, about->summary);
    cli_print_options(stdout, options, 27);
    printf("\nExample:\n  %s\n", about->example);
}

/* A path longer than LESSON_MAX_PATH is refused, not cut. */
static void check_path_length(const lesson_about *about, const char *option, const char *path)
{
    if (path && strlen(path) > LESSON_MAX_PATH)
        lesson_usage_error(about, "%s: the path has %zu bytes; paths of up to %d bytes are "
                           "taken", option, strlen(path), LESSON_MAX_PATH);
}

static void check_path_lengths(const lesson_about *about, const lesson_inputs *inputs,
                               const lesson_common *common)
{
    check_path_length(about, "--trace", common->trace_path);
    check_path_length(about, "--figures", common->figures_dir);
    if (inputs && inputs->data_dir)
        check_path_length(about, "--data", *inputs->data_dir);
}

/* --print-width: a positive number and a unit, refused here (exit 2)
 * before anything is computed; attnlab-heatmap checks the same. */
static void check_print_width(const lesson_about *about, const char *width)
{
    if (!width)
        return;
    char *unit;
    double length = strtod(width, &unit);
    bool known = strcmp(unit, "in") == 0 || strcmp(unit, "mm") == 0 || strcmp(unit, "cm") == 0;
    if (unit == width || !known || !(length > 0) || length > 1000)
        lesson_usage_error(about, "--print-width needs a length with its unit, as 3.3in, 84mm "
                           "or 8.4cm, not '%s'", width);
}

void parse_lesson_options(const lesson_about *about, const cli_option *lesson_options,
                          const lesson_inputs *inputs, lesson_common *common, int argc,
                          char **argv)
{
    program_locations_find(&common->where);
    cli_option options[MAX_OPTIONS];
    default_helps helps;
    int n = add_sentence(options, 0, about, inputs);
    for (int k = 0; lesson_options && lesson_options[k].name; k++)
        options[n++] = lesson_options[k];
    n = add_seed_and_data(options, n, about, inputs, &common->where, &helps);
    add_common_options(options, n, common);

    cli_error error;
    switch (cli_parse(options, NULL, 1, argc, argv, &error)) {
    case CLI_PARSED:
        check_path_lengths(about, inputs, common);
        check_print_width(about, common->print_width);
        return;
    case CLI_HELP_ASKED:
        print_help(about, options);
        exit(0);
    case CLI_BAD_USAGE:
        break;
    }
    lesson_usage_error(about, "%s; try '%s --help'", error.message, about->program);
}
