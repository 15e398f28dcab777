/* calc_args.c: attnlab-calc's command line: the options of a subcommand,
 * and the numbers, lists, matrices and labels typed into them, each with a
 * one-line message naming the option and the problem.
 * It does no maths: it turns text into floats and matrices. */
#include "calc.h"
#include "cli_options.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int calc_fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    cli_vreport("attnlab-calc", format, args);
    va_end(args);
    return CALC_USAGE;
}

/* ---- options ------------------------------------------------------------- */

static int find_option(const calc_option *options, const char *name, size_t length)
{
    for (int k = 0; options[k].name; k++)
        if (strlen(options[k].name) == length && strncmp(options[k].name, name, length) == 0)
            return k;
    return -1;
}

void calc_common_options(cli_option *table, calc_args *args, const char *trace_help,
                         const char *help_help)
{
    const cli_option common[] = {
        {.name = "precision", .kind = CLI_INT, .target = &args->precision, .value_name = "N",
         .help = "decimals of computed numbers, 0 to 9 (default 4)", .min = 0, .max = 9},
        {.name = "latex", .kind = CLI_FLAG, .target = &args->latex,
         .help = "print the steps as a LaTeX align* block, not tables"},
        {.name = "trace", .kind = CLI_STRING, .target = &args->trace_path, .value_name = "FILE",
         .help = trace_help},
        {.name = "help", .short_name = 'h', .kind = CLI_HELP, .help = help_help},
        {0},
    };
    memcpy(table, common, sizeof common);
}

void calc_option_table(cli_option *table, calc_args *args, bool *flags)
{
    const calc_option *own = args->command->options;
    int n = 0;
    for (; own[n].name; n++) {
        bool flag = own[n].value_name == NULL;
        table[n] = (cli_option){.name = own[n].name + 2, /* past the "--" */
                                .kind = flag ? CLI_FLAG : CLI_STRING,
                                .target = flag ? (void *)&flags[n] : (void *)&args->values[n],
                                .value_name = own[n].value_name, .help = own[n].help,
                                .once = true};
    }
    calc_common_options(table + n, args, args->command->traces ? CALC_TRACE_HELP : NULL,
                        "this help");
}

int calc_parse_command_line(calc_args *args, const calc_command *command, int argc, char **argv)
{
    *args = (calc_args){.command = command, .precision = 4, .argc = argc, .argv = argv};
    args->operands = malloc((size_t)argc * sizeof *args->operands);
    if (!args->operands)
        return calc_fail("out of memory reading the command line");
    cli_option table[CALC_TABLE_SIZE];
    bool flags[CALC_MAX_OPTIONS] = {false};
    calc_option_table(table, args, flags);
    cli_list operands = {.items = args->operands, .capacity = argc};
    cli_error error;
    cli_result result = cli_parse(table, &operands, 2, argc, argv, &error);
    args->n_operands = operands.count;
    for (int k = 0; command->options[k].name; k++)
        if (flags[k])
            args->values[k] = "";
    if (result == CLI_HELP_ASKED) {
        args->help = true;
        return CALC_OK;
    }
    if (result == CLI_BAD_USAGE)
        return calc_fail("%s; see 'attnlab-calc %s --help'", error.message, command->name);
    if (args->n_operands > 0 && !command->operands_name)
        return calc_fail("%s takes no argument '%s' (its inputs are options); "
                         "see 'attnlab-calc %s --help'",
                         command->name, args->operands[0], command->name);
    if (args->trace_path && !command->traces)
        return calc_fail("%s computes no tensors, so it has no --trace", command->name);
    if (args->trace_path && args->trace_path[0] == '\0')
        return calc_fail("--trace needs a file name");
    return CALC_OK;
}

const char *calc_value(const calc_args *args, const char *name)
{
    int k = find_option(args->command->options, name, strlen(name));
    return k >= 0 ? args->values[k] : NULL;
}

bool calc_given(const calc_args *args, const char *name)
{
    return calc_value(args, name) != NULL;
}

const char *calc_required(const calc_args *args, const char *name)
{
    const calc_option *options = args->command->options;
    int k = find_option(options, name, strlen(name));
    if (k >= 0 && args->values[k])
        return args->values[k];
    calc_fail("%s needs %s %s; see 'attnlab-calc %s --help'", args->command->name, name,
              k >= 0 && options[k].value_name ? options[k].value_name : "",
              args->command->name);
    return NULL;
}

/* ---- numbers ------------------------------------------------------------- */

/* Parse the number in text[0, length) into *x. */
static int parse_number_token(float *x, const char *what, const char *text, size_t length)
{
    char token[64];
    if (length >= sizeof token)
        return calc_fail("%s: '%.*s' is not a number", what, (int)length, text);
    memcpy(token, text, length);
    token[length] = '\0';
    char *end;
    errno = 0;
    double value = strtod(token, &end);
    if (end == token || *end != '\0')
        return calc_fail("%s: '%s' is not a number", what, token);
    /* strtod also reads C's hexadecimal floats (0x10 = 16); the calculator
     * reads decimal numbers only, as params and the lessons do */
    if (strpbrk(token, "xX"))
        return calc_fail("%s: '%s' is not a decimal number (hexadecimal is not read)", what,
                         token);
    if (!isfinite(value) || fabs(value) > FLT_MAX)
        return calc_fail("%s: '%s' is not a finite float32 number", what, token);
    *x = (float)value;
    return CALC_OK;
}

int calc_parse_number(float *x, const char *what, const char *text)
{
    size_t start = strspn(text, " \t"), length = strcspn(text + start, " \t");
    if (length == 0)
        return calc_fail("%s needs a number, not an empty text", what);
    if (text[start + length + strspn(text + start + length, " \t")] != '\0')
        return calc_fail("%s needs one number, not '%s'", what, text);
    return parse_number_token(x, what, text + start, length);
}

int calc_parse_positive(float *x, const char *what, const char *text)
{
    int status = calc_parse_number(x, what, text);
    if (status == CALC_OK && !(*x > 0.0f))
        return calc_fail("%s must be a number > 0, not %s", what, text);
    return status;
}

int calc_parse_int(int *x, const char *what, const char *text, int min, int max)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || end == text || *end || value < min || value > max)
        return calc_fail("%s needs a whole number from %d to %d, not '%s'", what, min, max,
                         text);
    *x = (int)value;
    return CALC_OK;
}

/* ---- lists and matrices -------------------------------------------------- */

/* One row of text[0, length): numbers separated by commas and/or spaces.
 * With values NULL only counts them into *count. An empty entry (",,", a
 * leading or trailing comma) is an error. */
static int parse_row(float *values, int *count, const char *what, const char *text,
                     size_t length)
{
    const char *separators = ", \t";
    size_t at = 0;
    int n = 0;
    bool need_number = false;  /* just after a comma */
    while (true) {
        at += strspn(text + at, " \t");
        if (at >= length)
            break;
        if (text[at] == ',')
            return calc_fail("%s has an empty entry in '%.*s'", what, (int)length, text);
        size_t token = strcspn(text + at, separators);
        if (token > length - at)
            token = length - at;
        float x;
        if (parse_number_token(&x, what, text + at, token) != CALC_OK)
            return CALC_USAGE;
        if (values)
            values[n] = x;
        n++;
        at += token;
        at += strspn(text + at, " \t");
        need_number = at < length && text[at] == ',';
        at += need_number;
    }
    if (need_number)
        return calc_fail("%s has an empty entry in '%.*s'", what, (int)length, text);
    *count = n;
    return CALC_OK;
}

/* The length of the row that starts at row (rows are split by ';'). */
static size_t row_length(const char *row)
{
    return strcspn(row, ";");
}

/* Count rows and columns, checking every row has the same number. */
static int measure_matrix(int *rows, int *cols, const char *what, const char *text)
{
    *rows = 0;
    *cols = 0;
    if (text[strspn(text, " \t")] == '\0')
        return calc_fail("%s is empty", what);
    for (const char *row = text;; row += row_length(row) + 1) {
        size_t length = row_length(row);
        bool last = row[length] == '\0';
        int n;
        if (parse_row(NULL, &n, what, row, length) != CALC_OK)
            return CALC_USAGE;
        if (n == 0 && last && *rows > 0)
            break;  /* one trailing ';' */
        if (n == 0)
            return calc_fail("%s: row %d is empty", what, *rows);
        if (*rows > 0 && n != *cols)
            return calc_fail("%s: row %d has %d number%s but row 0 has %d (rows are "
                             "separated by ';')", what, *rows, n, n == 1 ? "" : "s", *cols);
        *cols = n;
        ++*rows;
        if (last)
            break;
    }
    return CALC_OK;
}

int calc_parse_matrix(al_matrix *m, const char *what, const char *text, bool as_column)
{
    *m = (al_matrix){0};
    int rows, cols;
    if (measure_matrix(&rows, &cols, what, text) != CALC_OK)
        return CALC_USAGE;
    bool column = as_column && !strchr(text, ';');
    al_error err;
    if (al_matrix_alloc(m, column ? cols : rows, column ? 1 : cols, &err) != AL_OK)
        return calc_fail("%s: %s", what, err.message);
    const char *row = text;
    for (int i = 0; i < rows; i++, row += row_length(row) + 1) {
        int n;
        parse_row(al_at(m, column ? 0 : i, 0), &n, what, row, row_length(row));
    }
    return CALC_OK;
}

/* ---- labels and choices -------------------------------------------------- */

int calc_parse_labels(char ***labels, const char *what, const char *text, int count)
{
    *labels = NULL;
    int n = 1;
    for (const char *c = text; *c; c++)
        n += *c == ',';
    if (n != count)
        return calc_fail("%s has %d label%s but there %s %d", what, n, n == 1 ? "" : "s",
                         count == 1 ? "is" : "are", count);
    size_t length = strlen(text);
    char **block = malloc((size_t)count * sizeof *block + length + 1);
    if (!block)
        return calc_fail("out of memory for %s", what);
    char *copy = (char *)(block + count);
    memcpy(copy, text, length + 1);
    for (int k = 0; k < count; k++) {
        char *end = strchr(copy, ',');
        if (end)
            *end = '\0';
        copy += strspn(copy, " \t");
        size_t trimmed = strlen(copy);
        while (trimmed > 0 && isspace((unsigned char)copy[trimmed - 1]))
            copy[--trimmed] = '\0';
        if (trimmed == 0) {
            free(block);
            return calc_fail("%s: label %d is empty", what, k);
        }
        block[k] = copy;
        copy = end ? end + 1 : copy + trimmed;
    }
    *labels = block;
    return CALC_OK;
}

int calc_parse_choice(int *index, const char *what, const char *text,
                      const char *const *choices)
{
    int n = 0;
    for (; choices[n]; n++) {
        if (strcmp(choices[n], text) == 0) {
            *index = n;
            return CALC_OK;
        }
    }
    char list[256] = "";
    for (int k = 0; k < n; k++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", k == 0 ? "" : k == n - 1 ? " or " : ", ",
                 choices[k]);
    }
    return calc_fail("%s must be %s, not '%s'", what, list, text);
}
