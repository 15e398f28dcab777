/* cli_options.h: the one command-line parser of every attnlab program
 * (lessons, attnlab-calc, attnlab-trace, attnlab-bench, the renderers).
 * A program lists its options in a table; the parser reads argv into the
 * variables the table names, and the same table writes the --help lines.
 * The parser neither prints nor exits: it returns a result and one
 * sentence; the program prints "<program>: <sentence>" (cli_report) and
 * exits 2. Plain C, linked
 * without the computing library, so renderers can use it too. */
#ifndef ATTNLAB_CLI_OPTIONS_H
#define ATTNLAB_CLI_OPTIONS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum cli_kind {
    CLI_FLAG,     /* --quiet: sets a bool to true                         */
    CLI_HELP,     /* --help: stops parsing, cli_parse returns CLI_HELP_ASKED */
    CLI_INT,      /* --heads 2: an int from min to max                    */
    CLI_UINT64,   /* --seed 42: a uint64_t from min to max                */
    CLI_NUMBER,   /* --temperature 0.5: a finite float                    */
    CLI_STRING,   /* --sentence "The cat": a const char * into argv        */
    CLI_CHOICE,   /* --score dot: one of the "|"-separated choices         */
    CLI_LIST,     /* --select NAME, repeatable: every value (cli_list)     */
    CLI_NUMBERS,  /* --keys 70,80: min to max comma-separated floats       */
    CLI_CUSTOM    /* --range 0,1: the option's parse function decides      */
} cli_kind;

/* Where CLI_LIST values (and a program's operands) go: the caller gives
 * the array and its capacity; the parser fills items[0, count). */
typedef struct cli_list {
    const char **items;
    int count, capacity;
} cli_list;

/* The target of a CLI_NUMBERS option. */
#define CLI_MAX_NUMBERS 32
typedef struct cli_numbers {
    int count;
    float values[CLI_MAX_NUMBERS];
} cli_numbers;

typedef struct cli_option {
    const char *name;        /* "seed", written --seed; NULL ends a table   */
    char short_name;         /* 'o' for -o, or 0                             */
    cli_kind kind;
    void *target;            /* bool, int, uint64_t, float, const char *,
                                cli_list, cli_numbers, or the custom type   */
    const char *value_name;  /* "N", "TEXT" in --help; NULL for flags       */
    const char *help;        /* its --help text; "\n" starts another line;
                                NULL: an alias, accepted but not listed     */
    const char *choices;     /* CLI_CHOICE: "additive|dot|general"          */
    long long min, max;      /* CLI_INT, CLI_UINT64: the range (inclusive);
                                CLI_NUMBERS: how many numbers               */
    bool (*parse)(void *target, const char *value); /* CLI_CUSTOM          */
    const char *needs;       /* CLI_CUSTOM: what the value must be, for the
                                message "--range needs <needs>, not 'x'"    */
    bool once;               /* giving it twice is a mistake               */
    bool required;           /* leaving it out is a mistake: "give --model FILE" */
    const char *only_with;   /* the flag it needs ("random": --d-model changes
                                only a --random model); given without that
                                flag it is a mistake, not silently ignored  */
} cli_option;

/* The -h, --help entry every program's table ends with (before {0}). */
#define CLI_HELP_OPTION {.name = "help", .short_name = 'h', .kind = CLI_HELP, .help = "this help"}

typedef enum cli_result {
    CLI_PARSED,      /* every word read; go on                              */
    CLI_HELP_ASKED,  /* a CLI_HELP option was met: print the help, exit 0    */
    CLI_BAD_USAGE    /* error holds one sentence naming the problem: exit 2 */
} cli_result;

#define CLI_ERROR_SIZE 512
typedef struct cli_error {
    char message[CLI_ERROR_SIZE];
} cli_error;

/* Read argv[first, argc) against options (ended by an entry whose name is
 * NULL). Options are "--name value", "--name=value" or "-n value"; a word
 * after "--" is never an option, and neither is one that reads as a
 * negative number ("-1.5", "-.5"). Other words go to operands, or are a
 * mistake when operands is NULL. Targets of options not given keep their
 * values, so the caller sets the defaults first. Values point into argv. */
cli_result cli_parse(const cli_option *options, cli_list *operands, int first, int argc,
                     char **argv, cli_error *error);

/* The options' lines of --help, generated from the table: "  -o, --output
 * FILE" then the help text (and the choices, when there are two or more).
 * Every text starts min_width columns after the indent, or further when
 * an option's left side needs it (then two spaces after the longest). */
void cli_print_options(FILE *out, const cli_option *options, int min_width);

/* What a small program says around its option lines. */
typedef struct cli_program {
    const char *name;         /* "attnlab-train"                              */
    const char *help_top;     /* the usage line and what it does              */
    const char *help_bottom;  /* examples, exit status; or NULL               */
} cli_program;

/* The usual handling of cli_parse for a program whose arguments start at
 * argv[1]: on --help print help_top, the option lines and help_bottom on
 * stdout and return 0; on bad usage print "<name>: <problem> (see --help)"
 * and return 2; when every word was read return -1, and the program goes
 * on. main() returns anything but -1. */
int cli_parse_program(const cli_program *program, const cli_option *options,
                      cli_list *operands, int argc, char **argv);

/* Append " word" to the NUL-terminated command (size bytes in all, cut
 * short rather than overrun), in single quotes if a shell would need them;
 * a quote inside becomes '\'' (close, escaped quote, reopen). */
void cli_shell_append(char *command, size_t size, const char *word);

/* Print the one line "<program>: <message>" on stderr (cli_report.c), for a
 * program about to stop: after a CLI_BAD_USAGE, or when its work failed. */
void cli_report(const char *program, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void cli_vreport(const char *program, const char *format, va_list args)
    __attribute__((format(printf, 2, 0)));

#endif
