/* options.c: the lessons' table-driven option parser and --help printer.
 * Accepts "--name value" and "--name=value". Not a general library: just
 * enough for the lessons, with one clear message per mistake. */
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void lesson_usage_error(const lesson_about *about, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s: ", about->program);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(2);
}

/* The options every lesson has, bound to common. */
static int common_options(option_spec *out, lesson_common *common)
{
    const option_spec specs[] = {
        {"trace", OPTION_STRING, &common->trace_path, "PATH",
         "where to write the trace (default <lesson>.jsonl here)", NULL, 0, 0},
        {"trace-level", OPTION_CHOICE, &common->trace_level, "LEVEL",
         "tensors, or rows to add every softmax row's steps", "tensors|rows", 0, 0},
        {"trace-filter", OPTION_STRING, &common->trace_filter, "GLOB",
         "trace only names matching GLOB, e.g. '*.weights'", NULL, 0, 0},
        {"no-figures", OPTION_FLAG, &common->no_figures, NULL, "do not draw figures", NULL, 0, 0},
        {"figures", OPTION_STRING, &common->figures_dir, "DIR",
         "draw the figures into DIR (default: beside the trace)", NULL, 0, 0},
        {"precision", OPTION_INT, &common->precision, "N", "decimals in printed tables (default 4)",
         NULL, 0, 9},
        {"no-color", OPTION_FLAG, &common->no_color, NULL,
         "no colour in the printout (NO_COLOR is honoured too)", NULL, 0, 0},
        {"quiet", OPTION_FLAG, &common->quiet, NULL, "print only the files written", NULL, 0, 0},
        {"help", OPTION_FLAG, &common->help, NULL, "show this help", NULL, 0, 0},
    };
    int n = (int)(sizeof specs / sizeof specs[0]);
    memcpy(out, specs, sizeof specs);
    return n;
}

static void print_help(const lesson_about *about, const option_spec *specs, int n)
{
    printf("%s: %s\n\n%s\n\nOptions:\n", about->program, about->title, about->summary);
    for (int i = 0; i < n; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", specs[i].name, specs[i].value_name ? " " : "",
                 specs[i].value_name ? specs[i].value_name : "");
        printf("  %-26s %s", left, specs[i].help);
        if (specs[i].kind == OPTION_CHOICE)
            printf(" (%s)", specs[i].choices);
        putchar('\n');
    }
    printf("\nExample:\n  %s\n", about->example);
}

/* Is word one of the "|"-separated choices? */
static bool is_choice(const char *choices, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0)
            return true;
        p += len + (bar != NULL);
    }
    return false;
}

/* "70,80" into numbers: spec->min to spec->max finite numbers. */
static void set_numbers(const lesson_about *about, const option_spec *spec, const char *value)
{
    option_numbers *numbers = spec->target;
    numbers->count = 0;
    const char *p = value;
    for (;;) {
        char *end = NULL;
        errno = 0;
        float v = strtof(p, &end);
        if (errno || end == p || (*end && *end != ',') || !isfinite(v) ||
            numbers->count == spec->max)
            lesson_usage_error(about, "--%s needs %d to %d numbers separated by commas, "
                                      "not '%s'", spec->name, spec->min, spec->max, value);
        numbers->values[numbers->count++] = v;
        if (*end == '\0')
            break;
        p = end + 1;
    }
    if (numbers->count < spec->min)
        lesson_usage_error(about, "--%s needs %d to %d numbers separated by commas, not '%s'",
                           spec->name, spec->min, spec->max, value);
}

static void set_value(const lesson_about *about, const option_spec *spec, const char *value)
{
    char *end = NULL;
    errno = 0;
    switch (spec->kind) {
    case OPTION_FLAG:
        *(bool *)spec->target = true;
        return;
    case OPTION_STRING:
        *(const char **)spec->target = value;
        return;
    case OPTION_CHOICE:
        if (!is_choice(spec->choices, value))
            lesson_usage_error(about, "--%s must be one of %s, not '%s'", spec->name,
                               spec->choices, value);
        *(const char **)spec->target = value;
        return;
    case OPTION_INT: {
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < spec->min || v > spec->max)
            lesson_usage_error(about, "--%s needs a whole number from %d to %d, not '%s'",
                               spec->name, spec->min, spec->max, value);
        *(int *)spec->target = (int)v;
        return;
    }
    case OPTION_SEED: {
        unsigned long long v = strtoull(value, &end, 10);
        if (errno || end == value || *end || value[0] == '-')
            lesson_usage_error(about, "--%s needs a non-negative whole number, not '%s'",
                               spec->name, value);
        *(uint64_t *)spec->target = v;
        return;
    }
    case OPTION_FLOAT: {
        float v = strtof(value, &end);
        if (errno || end == value || *end || !isfinite(v))
            lesson_usage_error(about, "--%s needs a number, not '%s'", spec->name, value);
        *(float *)spec->target = v;
        return;
    }
    case OPTION_NUMBERS:
        set_numbers(about, spec, value);
        return;
    }
}

static const option_spec *find_option(const option_spec *specs, int n, const char *name,
                                      size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(specs[i].name) == len && strncmp(specs[i].name, name, len) == 0)
            return &specs[i];
    return NULL;
}

void parse_lesson_options(const lesson_about *about, const option_spec *lesson_options,
                          lesson_common *common, int argc, char **argv)
{
    option_spec specs[MAX_OPTIONS];
    int n = 0;
    while (lesson_options && lesson_options[n].name)
        n++;
    memcpy(specs, lesson_options, (size_t)n * sizeof *specs);
    n += common_options(specs + n, common);

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0)
            lesson_usage_error(about, "unexpected argument '%s' (options start with --; try "
                                      "'%s --help')", arg, about->program);
        const char *name = arg + 2, *equals = strchr(name, '=');
        size_t len = equals ? (size_t)(equals - name) : strlen(name);
        const option_spec *spec = find_option(specs, n, name, len);
        if (!spec)
            lesson_usage_error(about, "unknown option '%.*s' (try '%s --help')", (int)len + 2,
                               arg, about->program);
        const char *value = equals ? equals + 1 : NULL;
        if (spec->kind == OPTION_FLAG && value)
            lesson_usage_error(about, "--%s takes no value", spec->name);
        if (spec->kind != OPTION_FLAG && !value) {
            if (i + 1 >= argc)
                lesson_usage_error(about, "--%s needs a value (%s)", spec->name, spec->value_name);
            value = argv[++i];
        }
        set_value(about, spec, value);
    }
    if (common->help) {
        print_help(about, specs, n);
        exit(0);
    }
}
