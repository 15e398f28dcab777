/* calc.h: the parts of attnlab-calc, the hand-calculation checker, and
 * what they share: the command line and its numbers (calc_args.c), the
 * trace (calc_main.c), and one file per subcommand (calc_softmax.c, ...).
 * Internal to src/tools. The maths is the library's: these files parse
 * what was typed, call the library, and print (calc_print.h). */
#ifndef ATTNLAB_CALC_H
#define ATTNLAB_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "attnlab/matrix.h"
#include "attnlab/trace.h"
#include "cli_options.h"

/* Exit statuses, as documented in --help. */
enum {
    CALC_OK = 0,    /* done                                                   */
    CALC_USAGE = 2  /* bad input: one line on stderr, nothing on stdout       */
};

/* An option a subcommand accepts besides the common ones (--latex,
 * --trace, --precision, --help). The same entry is what the parser reads
 * and what --help lists (calc_help.c), so the two cannot drift apart. */
typedef struct calc_option {
    const char *name;        /* "--keys"                                   */
    const char *value_name;  /* "LIST"; NULL for a flag such as --no-scale */
    const char *help;        /* its --help text; "\n" starts another line  */
    bool required;           /* shown without [ ] in the usage line; the
                                subcommand's parse checks it (calc_required) */
} calc_option;

#define CALC_MAX_OPTIONS 20

typedef struct calc_args calc_args;
typedef struct calc_printer calc_printer;  /* calc_print.h */

/* One subcommand: its words for --help and its steps. Its --help is
 * written by calc_help.c from these fields and the option table: the usage
 * line, description, the option lines, notes, examples. calc_main.c runs
 * every subcommand alike: it allocates calc_size zeroed bytes for the
 * subcommand's own struct (what was typed and what the library computed
 * from it), calls parse, then compute, then print_latex with --latex or
 * else print_text, and last free_calc, whatever happened. parse and
 * compute return CALC_OK, or CALC_USAGE after printing the problem; the
 * printing steps only print what compute computed. */
typedef struct calc_command {
    const char *name;             /* "softmax"                                 */
    const char *summary;          /* one line for the overall --help           */
    const char *description;      /* --help: what it computes, before the
                                     options                                   */
    const char *notes;            /* --help, after the options: what its trace
                                     holds (NULL: nothing)                     */
    const char *examples;         /* --help, last: commands that work as
                                     typed, one a line, without the indent     */
    const calc_option *options;   /* its own options, ended by {NULL}          */
    const char *operands_name;    /* "SCORES" if it takes numbers after its
                                     name, else NULL                           */
    bool traces;                  /* whether --trace makes sense for it        */
    size_t calc_size;             /* sizeof the subcommand's struct            */
    int (*parse)(void *calc, const calc_args *args);
    int (*compute)(void *calc, const calc_args *args);
    void (*print_text)(calc_printer *p, const void *calc);
    void (*print_latex)(calc_printer *p, const calc_args *args, const void *calc);
    void (*free_calc)(void *calc); /* what parse and compute allocated; NULL:
                                     nothing                                   */
} calc_command;

/* Everything the command line said. Values point into argv. */
struct calc_args {
    const calc_command *command;
    const char *values[CALC_MAX_OPTIONS];  /* by index in command->options;
                                              NULL: not given, "" for a flag */
    const char **operands;                 /* n_operands words, malloc'd     */
    int n_operands;
    bool help;
    bool latex;                            /* --latex: an align* block only  */
    const char *trace_path;                /* --trace FILE, or NULL          */
    int precision;                         /* --precision N, decimals        */
    int argc;                              /* the whole command line, for the */
    char **argv;                           /* trace header and LaTeX comment  */
};

/* The subcommands (each in its own file). */
extern const calc_command calc_softmax_command;
extern const calc_command calc_retrieve_command;
extern const calc_command calc_attention_command;
extern const calc_command calc_sample_command;
extern const calc_command calc_params_command;

/* ---- the subcommands and their help (calc_help.c) -------------------------- */

/* Every subcommand, in the order --help lists them, ended by NULL. */
extern const calc_command *const calc_commands[];

/* The subcommand called name, or NULL. */
const calc_command *calc_find_command(const char *name);

/* The program's --help: what it is, the subcommands and their summaries,
 * the options every subcommand takes (from the table the parser reads),
 * examples and exit status. */
void calc_print_program_help(FILE *out);

/* command's --help: a usage line and option lines written from the table
 * the parser reads (calc_option_table), around its text fields. */
void calc_print_command_help(FILE *out, const calc_command *command);

/* ---- the command line (calc_args.c) --------------------------------------- */

/* Print "attnlab-calc: <message>" on stderr; returns CALC_USAGE. */
int calc_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* The shared parser's table for args->command (src/cli): its own options,
 * each taken once and kept as text for the subcommand to read (a matrix,
 * a list, a choice), then the options every subcommand has (--latex,
 * --trace, --precision, --help), all bound to *args; flags[k] records the
 * subcommand's own flag k. --trace is accepted but not listed for a
 * subcommand that writes no trace, so that using it gets a sentence
 * saying why. table has room for CALC_TABLE_SIZE entries, ended by {0}. */
#define CALC_TABLE_SIZE (CALC_MAX_OPTIONS + 5)
#define CALC_TRACE_HELP "also write every tensor to FILE (traces/FORMAT.md);\n" \
                        "read it with 'attnlab-trace list FILE'"
void calc_option_table(cli_option *table, calc_args *args, bool *flags);

/* The options every subcommand has, bound to *args, at table[0...], ended
 * by {0}; trace_help and help_help are the help of --trace and --help
 * (trace_help NULL: accepted, not listed). Room for 5 entries. */
void calc_common_options(cli_option *table, calc_args *args, const char *trace_help,
                         const char *help_help);

/* Fill *args from argv[2...] for command, with the shared parser
 * (src/cli): options anywhere, written "--name value" or "--name=value",
 * each of the subcommand's own at most once; words that are not options
 * are operands (a word such as "-1.5" is a number, not an option). Returns
 * CALC_OK, or CALC_USAGE after printing the problem. The caller frees
 * args->operands. */
int calc_parse_command_line(calc_args *args, const calc_command *command, int argc, char **argv);

/* The value of option name ("--keys"), "" for a given flag, or NULL. */
const char *calc_value(const calc_args *args, const char *name);

/* Whether option name was given. */
bool calc_given(const calc_args *args, const char *name);

/* The value of a required option, or NULL after printing
 * "<command> needs <name> <VALUE>". */
const char *calc_required(const calc_args *args, const char *name);

/* Numbers typed on the command line. Each returns CALC_OK or prints one
 * line naming what (e.g. "--keys") and the problem, and returns CALC_USAGE.
 * Every number must be finite and fit in a float. */
int calc_parse_number(float *x, const char *what, const char *text);

/* A number > 0 (a temperature, a kernel width). */
int calc_parse_positive(float *x, const char *what, const char *text);

/* A whole number in [min, max]. */
int calc_parse_int(int *x, const char *what, const char *text, int min, int max);

/* A matrix: rows separated by ';', numbers by commas or spaces ("1 0; 0 1",
 * "1,0;0,1"); one trailing ';' is allowed. Rows must have equal lengths.
 * A list without ';' ("70,80") is one row, or with as_column one number per
 * row (2 x 1): how keys and values are typed. On success *m is allocated
 * and the caller frees it with al_matrix_free. */
int calc_parse_matrix(al_matrix *m, const char *what, const char *text, bool as_column);

/* Labels separated by commas ("The,cat"), spaces around them dropped; there
 * must be exactly count. *labels is malloc'd (pointers into one block that
 * holds the text too): the caller frees it with free(). */
int calc_parse_labels(char ***labels, const char *what, const char *text, int count);

/* The index of text in the NULL-terminated choices, or CALC_USAGE after
 * printing "<what> must be one of a, b or c, not 'x'". */
int calc_parse_choice(int *index, const char *what, const char *text,
                      const char *const *choices);

/* ---- the trace (calc_trace.c) ---------------------------------------------- */

/* Open the trace args->trace_path asks for (level rows, so softmax steps
 * are recorded), recording the command line; *trace is NULL when no
 * --trace was given. Returns CALC_OK or CALC_USAGE after printing why. */
int calc_trace_open(al_trace **trace, const calc_args *args);

/* End the computation: if status is not AL_OK, discard the trace (no file
 * is left) and print err's message; otherwise close the trace (it appears
 * whole). Returns CALC_OK or CALC_USAGE. */
int calc_trace_finish(al_trace *trace, al_status status, const al_error *err);

#endif
