/* attnlab_trace.c: the attnlab-trace program, a viewer for trace files:
 * `list` what a trace holds, `show` one tensor as a labelled table, `diff`
 * two traces. This file reads the command line, prints help, loads the
 * traces and hands over to trace_show.c and trace_diff.c.
 * It never computes: it reads traces (trace_file.h) and prints them.
 *
 * Results go to stdout; an error is one line "attnlab-trace: ..." on
 * stderr. Exit status 0 done, 1 diff found a difference, 2 bad usage or an
 * unreadable trace. */
#include "trace_tool.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab_config.h"
#include "cli_options.h"

/* ---- help ------------------------------------------------------------------ */

static const char program_help[] =
    "attnlab-trace: look inside attnlab trace files (format: traces/FORMAT.md)\n"
    "\n"
    "usage:\n"
    "  attnlab-trace list TRACE                 every tensor: name, shape, role, op, inputs\n"
    "  attnlab-trace show TRACE NAME [options]  one tensor as a table with its labels\n"
    "  attnlab-trace diff A B [options]         compare two traces tensor by tensor\n"
    "  attnlab-trace SUBCOMMAND --help          the options of one subcommand\n"
    "  attnlab-trace --version\n"
    "\n"
    "example (from the top of the source tree):\n"
    "  attnlab-trace show traces/sample.jsonl enc.0.attn.h0.weights\n"
    "\n"
    "exit status: 0 done (for diff: every tensor agrees), 1 diff found a\n"
    "difference, 2 bad arguments or a trace that cannot be read.\n";

static const char list_help[] =
    "usage: attnlab-trace list TRACE\n"
    "\n"
    "Print one line per tensor of TRACE, in the order they were computed: its\n"
    "name, shape (rows x cols), role (input, param, activation, output), the\n"
    "operation that made it and the tensors it was made from. Then the number\n"
    "of tensors, and of softmax row records if the trace has them.\n"
    "\n"
    "example:\n"
    "  attnlab-trace list traces/sample.jsonl\n";

static const char show_help[] =
    "usage: attnlab-trace show TRACE NAME [--precision N] [--rows]\n"
    "\n"
    "Print tensor NAME of TRACE as a table: row labels on the left, column\n"
    "labels on top (indices where the trace has none). A masked entry (null in\n"
    "the trace) is shown as \"-\". Above the table: the name, the shape, the\n"
    "operation and its inputs, then the operation's parameters (attrs), the\n"
    "mask, note and warnings if any.\n"
    "\n"
    "options:\n";

static const char show_examples[] =
    "\n"
    "examples:\n"
    "  attnlab-trace show traces/sample.jsonl enc.0.attn.h0.weights\n"
    "  attnlab-trace show traces/sample.jsonl enc.0.attn.h0.weights --rows --precision 6\n";

static const char diff_help[] =
    "usage: attnlab-trace diff A B [--atol X] [--rtol Y] [--stol Z] [--quiet]\n"
    "\n"
    "Compare trace A with trace B (the reference, e.g. a golden trace) tensor\n"
    "by tensor, in A's order. Names, shapes, labels, roles, ops, inputs, attrs,\n"
    "masks, notes, warnings and the positions of masked (null) entries must\n"
    "agree exactly. Inputs and parameters must be the same float32 bits. Every\n"
    "number of a computed tensor must satisfy\n"
    "  |a - b| <= atol + rtol * |b| + stol * max|b|\n"
    "with max|b| the largest magnitude in the tensor: OpenBLAS adds in another\n"
    "order on another CPU, and an entry that cancels to near 0 keeps the\n"
    "rounding noise of the tensor's scale (traces/FORMAT.md says more).\n"
    "One line per tensor, e.g.\n"
    "  enc.0.attn.w_q OK exact\n"
    "  enc.0.attn.q OK maxdiff 3e-08\n"
    "  enc.0.attn.h0.weights DIFFERS maxdiff 0.01 at (2,3): 0.5 vs 0.51, allowed 1.6e-05\n"
    "  enc.0.attn.k shape 2x3 vs 3x2\n"
    "  enc.0.attn.v only in A\n"
    "then a summary line. maxdiff is the largest |a - b| of the tensor; on a\n"
    "DIFFERS line, the difference at the entry furthest outside the rule, with\n"
    "where it is, the two numbers and what the rule allows there. Softmax row\n"
    "records and headers are not compared.\n"
    "\n"
    "options:\n";

static const char diff_exit_status[] =
    "\n"
    "exit status: 0 every tensor agrees, 1 some differ, 2 bad arguments or a\n"
    "trace that cannot be read.\n"
    "\n"
    "example:\n"
    "  attnlab-trace diff traces/sample.jsonl traces/sample.jsonl\n";

/* ---- the command line ------------------------------------------------------ */

typedef enum command { COMMAND_LIST, COMMAND_SHOW, COMMAND_DIFF } command;

/* What one subcommand takes; its options are in command_options. */
typedef struct command_spec {
    const char *name;
    command which;
    int n_operands;             /* TRACE, or TRACE NAME, or A B */
    const char *operand_names;  /* for the message when some are missing */
    const char *help;           /* the --help text above the option lines */
    const char *help_end;       /* and below them (NULL: none) */
} command_spec;

static const command_spec commands[] = {
    {"list", COMMAND_LIST, 1, "TRACE", list_help, NULL},
    {"show", COMMAND_SHOW, 2, "TRACE and NAME", show_help, show_examples},
    {"diff", COMMAND_DIFF, 2, "two traces A and B", diff_help, diff_exit_status},
};

/* Everything the command line asked for. */
typedef struct command_line {
    const command_spec *spec;
    const char *operands[3];    /* one more than any subcommand takes, to
                                   name the first word too many */
    int n_operands;
    int precision;
    bool show_rows;
    bool quiet;
    trace_tolerance tolerance;
} command_line;

/* Print "attnlab-trace: ..." on stderr and return EXIT_USAGE. */
static int usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    cli_vreport("attnlab-trace", format, args);
    va_end(args);
    return EXIT_USAGE;
}

static const command_spec *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

/* --atol, --rtol, --stol: a finite number >= 0. */
static bool parse_tolerance(void *target, const char *text)
{
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(value) || value < 0) {
        return false;
    }
    *(double *)target = value;
    return true;
}

/* The options of line's subcommand, bound to line, into options (room for
 * 8). --precision stops at 9: float32 holds about nine significant digits;
 * more would print noise. */
static void command_options(cli_option *options, command_line *line)
{
    const char *tolerance = "a number >= 0 such as 1e-6";
    const cli_option show[] = {
        {.name = "precision", .kind = CLI_INT, .target = &line->precision, .value_name = "N",
         .help = "decimals to print, 0 to 9 (default 4)", .min = 0, .max = 9},
        {.name = "rows", .kind = CLI_FLAG, .target = &line->show_rows,
         .help = "print the steps of softmax for each row of NAME instead:\n"
                 "scores, exp, weights, max and sum (traces written at\n"
                 "level \"rows\" have them)"},
        {0},
    };
    const cli_option diff[] = {
        {.name = "atol", .kind = CLI_CUSTOM, .target = &line->tolerance.atol, .value_name = "X",
         .help = "absolute tolerance (default 1e-6)", .parse = parse_tolerance,
         .needs = tolerance},
        {.name = "rtol", .kind = CLI_CUSTOM, .target = &line->tolerance.rtol, .value_name = "Y",
         .help = "tolerance relative to the entry (default 1e-5)", .parse = parse_tolerance,
         .needs = tolerance},
        {.name = "stol", .kind = CLI_CUSTOM, .target = &line->tolerance.stol, .value_name = "Z",
         .help = "tolerance relative to the tensor's largest entry (default 1e-6)",
         .parse = parse_tolerance, .needs = tolerance},
        {.name = "quiet", .kind = CLI_FLAG, .target = &line->quiet,
         .help = "print only the tensors that differ, and the summary"},
        {0},
    };
    const cli_option none[] = {{0}}; /* list takes no options */
    const cli_option *own = line->spec->which == COMMAND_SHOW   ? show
                            : line->spec->which == COMMAND_DIFF ? diff
                                                                : none;
    int n = 0;
    for (; own[n].name; n++) {
        options[n] = own[n];
    }
    /* --help is accepted everywhere but listed nowhere: the help is shown. */
    options[n++] = (cli_option){.name = "help", .short_name = 'h', .kind = CLI_HELP};
    options[n] = (cli_option){0};
}

/* The words after the subcommand: options anywhere, operands in order;
 * "--" ends the options (for a trace whose name starts with "-").
 * Returns EXIT_ALL_OK to run, EXIT_USAGE after the message, or -1 after
 * printing the subcommand's help. */
static int parse_arguments(command_line *line, int argc, char **argv)
{
    cli_option options[8];
    command_options(options, line);
    cli_list operands = {.items = line->operands, .capacity = line->spec->n_operands + 1};
    cli_error error;
    cli_result result = cli_parse(options, &operands, 2, argc, argv, &error);
    line->n_operands = operands.count;
    if (result == CLI_HELP_ASKED) {
        fputs(line->spec->help, stdout);
        if (line->spec->help_end) {
            cli_print_options(stdout, options, 0);
            fputs(line->spec->help_end, stdout);
        }
        return -1;
    }
    if (result == CLI_BAD_USAGE) {
        return usage_error("%s; see 'attnlab-trace %s --help'", error.message, line->spec->name);
    }
    if (line->n_operands > line->spec->n_operands) {
        return usage_error("too many arguments for %s: '%s'; see 'attnlab-trace %s --help'",
                           line->spec->name, line->operands[line->spec->n_operands],
                           line->spec->name);
    }
    if (line->n_operands < line->spec->n_operands) {
        return usage_error("%s needs %s; see 'attnlab-trace %s --help'", line->spec->name,
                           line->spec->operand_names, line->spec->name);
    }
    return EXIT_ALL_OK;
}

/* ---- running a subcommand --------------------------------------------------- */

/* The trace at path, or NULL after printing why it cannot be read. */
static al_trace_file *load_trace(const char *path)
{
    al_trace_file *trace = NULL;
    al_error err = {0};
    if (al_trace_file_read(&trace, path, &err) != AL_OK) {
        usage_error("%s", err.message);
    }
    return trace;
}

/* Load the traces the subcommand names, run it, free them. */
static int run_command(const command_line *line)
{
    al_trace_file *first = load_trace(line->operands[0]);
    if (!first) {
        return EXIT_USAGE;
    }
    int status = EXIT_USAGE;
    if (line->spec->which == COMMAND_LIST) {
        status = trace_list(first);
    } else if (line->spec->which == COMMAND_SHOW) {
        status = trace_show(first, line->operands[0], line->operands[1], line->precision,
                            line->show_rows);
    } else {
        al_trace_file *second = load_trace(line->operands[1]);
        if (second) {
            status = trace_diff(first, second, &line->tolerance, line->quiet);
        }
        al_trace_file_free(second);
    }
    al_trace_file_free(first);
    return status;
}

/* Output that could not be written (a full disk, a closed pipe) must not
 * pass for success. */
static int finish_output(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        return usage_error("cannot write the output: %s", strerror(errno));
    }
    return status;
}

/* The first word: a subcommand, --help or --version. */
static int run_first_word(int argc, char **argv)
{
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0 || strcmp(first, "help") == 0) {
        fputs(program_help, stdout);
        return EXIT_ALL_OK;
    }
    if (strcmp(first, "--version") == 0) {
        printf("attnlab-trace (attnlab %s), reads trace format version 1\n", AL_VERSION);
        return EXIT_ALL_OK;
    }
    command_line line = {.spec = find_command(first), .precision = 4,
                         .tolerance = {.atol = 1e-6, .rtol = 1e-5, .stol = 1e-6}};
    if (!line.spec) {
        return usage_error("unknown subcommand '%s'; expected list, show or diff "
                           "(see 'attnlab-trace --help')", first);
    }
    int status = parse_arguments(&line, argc, argv);
    if (status != EXIT_ALL_OK) {
        return status < 0 ? EXIT_ALL_OK : status;
    }
    return run_command(&line);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        return usage_error("missing subcommand: list, show or diff (see 'attnlab-trace --help')");
    }
    return finish_output(run_first_word(argc, argv));
}
