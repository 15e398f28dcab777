/* cli_help.c: the option lines of --help, written from the same table the
 * parser reads (cli_options.h), so the help cannot drift from what is
 * accepted. Only the lines of the options: each program writes its own
 * usage line, description and examples around them. */
#include "cli_options.h"

#include <string.h>

/* "-o, --output FILE", "--seed N" or "--quiet" into text. */
static void write_left_side(char *text, size_t size, const cli_option *option)
{
    char short_form[8] = "";
    if (option->short_name)
        snprintf(short_form, sizeof short_form, "-%c, ", option->short_name);
    snprintf(text, size, "%s--%s%s%s", short_form, option->name, option->value_name ? " " : "",
             option->value_name ? option->value_name : "");
}

/* How many choices "a|b|c" lists. */
static int count_choices(const char *choices)
{
    int n = 1;
    for (const char *c = choices; *c; c++)
        n += *c == '|';
    return n;
}

void cli_print_options(FILE *out, const cli_option *options, int min_width)
{
    int width = min_width;
    char left[128];
    for (int k = 0; options[k].name; k++) {
        if (!options[k].help)
            continue; /* an alias (--grey for --gray) is accepted, not listed */
        write_left_side(left, sizeof left, &options[k]);
        int needed = (int)strlen(left) + 2; /* two spaces at least before the text */
        width = needed > width ? needed : width;
    }
    for (int k = 0; options[k].name; k++) {
        const cli_option *option = &options[k];
        if (!option->help)
            continue;
        write_left_side(left, sizeof left, option);
        fprintf(out, "  %-*s", width - 1, left);
        /* Every line of a help text starts in the same column. */
        int length = 0;
        for (const char *line = option->help;;) {
            const char *newline = strchr(line, '\n');
            length = newline ? (int)(newline - line) : (int)strlen(line);
            fprintf(out, " %.*s", length, line);
            if (!newline)
                break;
            fprintf(out, "\n  %-*s", width - 1, "");
            line = newline + 1;
        }
        /* A single choice is already the value name (--collapse heads);
         * choices that would pass column 80 get a line of their own. */
        if (option->kind == CLI_CHOICE && count_choices(option->choices) > 1) {
            if (width + 2 + length + 3 + (int)strlen(option->choices) > 80)
                fprintf(out, "\n  %-*s", width - 1, "");
            fprintf(out, " (%s)", option->choices);
        }
        fputc('\n', out);
    }
}

int cli_parse_program(const cli_program *program, const cli_option *options,
                      cli_list *operands, int argc, char **argv)
{
    cli_error error;
    switch (cli_parse(options, operands, 1, argc, argv, &error)) {
    case CLI_PARSED:
        return -1;
    case CLI_HELP_ASKED:
        fputs(program->help_top, stdout);
        cli_print_options(stdout, options, 0);
        if (program->help_bottom)
            fputs(program->help_bottom, stdout);
        return 0;
    case CLI_BAD_USAGE:
        break;
    }
    cli_report(program->name, "%s (see --help)", error.message);
    return 2;
}
