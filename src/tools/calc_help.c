/* calc_help.c: attnlab-calc's --help pages, written from the tables the
 * parser reads (calc_option_table, calc_common_options): the usage line
 * and the option lines come from the tables, so what --help lists is what
 * is accepted; the prose (description, notes, examples) comes from each
 * subcommand's text fields. Printing only: no parsing, no maths. */
#include "calc.h"

#include <string.h>

const calc_command *const calc_commands[] = {
    &calc_softmax_command, &calc_retrieve_command, &calc_attention_command,
    &calc_sample_command, &calc_params_command, NULL,
};

const calc_command *calc_find_command(const char *name)
{
    for (int k = 0; calc_commands[k]; k++)
        if (strcmp(calc_commands[k]->name, name) == 0)
            return calc_commands[k];
    return NULL;
}

/* The program's own words for its --help. */
static const struct {
    const char *title, *usage, *examples, *exit_status;
} program = {
    .title = "attnlab-calc: check a hand calculation of attention, step by step",
    .usage = "attnlab-calc SUBCOMMAND [options]",
    .examples = "attnlab-calc softmax 2.0 1.0 0.1\n"
                "attnlab-calc retrieve --keys 70,80 --values 1000,1500 --query 75\n"
                "attnlab-calc attention --q \"1 0; 0 1\" --k \"1 0; 0 1\" --v \"1 2; 3 4\""
                " --mask causal\n"
                "attnlab-calc sample --probs 0.5,0.2,0.3 --draw 0.6\n"
                "attnlab-calc params --preset transformer-base\n",
    .exit_status = "exit status: 0 done, 2 bad input (one line on stderr, nothing on stdout).\n",
};

/* Every line of text, indented by two spaces. */
static void print_indented(FILE *out, const char *text)
{
    for (const char *line = text; *line;) {
        size_t length = strcspn(line, "\n");
        fprintf(out, "  %.*s\n", (int)length, line);
        line += length + (line[length] == '\n');
    }
}

#define USAGE_WIDTH 79 /* the last column a usage line may fill */

/* Append " word" to the usage line, first starting a new line whose words
 * start at column indent when it would pass USAGE_WIDTH (and the line has
 * a word already); *column is where the line ends. */
static void usage_word(FILE *out, int *column, int indent, const char *word)
{
    int length = (int)strlen(word);
    if (*column >= indent && *column + 1 + length > USAGE_WIDTH) {
        fprintf(out, "\n%*s", indent - 1, "");
        *column = indent - 1;
    }
    fprintf(out, " %s", word);
    *column += 1 + length;
}

/* "usage: attnlab-calc NAME OPERANDS... --keys LIST [--sigma S] ...": every
 * option of the table that --help lists, a required one (of command's own
 * options) without brackets. */
static void print_usage(FILE *out, const calc_command *command, const cli_option *table)
{
    char start[64], word[96];
    int column = snprintf(start, sizeof start, "usage: attnlab-calc %s", command->name);
    int indent = column + 1;
    fputs(start, out);
    if (command->operands_name) {
        snprintf(word, sizeof word, "%s...", command->operands_name);
        usage_word(out, &column, indent, word);
    }
    for (int k = 0; table[k].name; k++) {
        const cli_option *option = &table[k];
        if (!option->help || option->kind == CLI_HELP)
            continue;
        bool required = false;
        for (int i = 0; command->options[i].name; i++)
            if (strcmp(command->options[i].name + 2, option->name) == 0)
                required = command->options[i].required;
        snprintf(word, sizeof word, "%s--%s%s%s%s", required ? "" : "[", option->name,
                 option->value_name ? " " : "", option->value_name ? option->value_name : "",
                 required ? "" : "]");
        usage_word(out, &column, indent, word);
    }
    fputc('\n', out);
}

void calc_print_command_help(FILE *out, const calc_command *command)
{
    calc_args args = {.command = command};
    cli_option table[CALC_TABLE_SIZE];
    bool flags[CALC_MAX_OPTIONS];
    calc_option_table(table, &args, flags);
    print_usage(out, command, table);
    fprintf(out, "\n%s\noptions:\n", command->description);
    cli_print_options(out, table, 20);
    if (command->notes)
        fprintf(out, "\n%s", command->notes);
    fputs("\nexamples:\n", out);
    print_indented(out, command->examples);
}

void calc_print_program_help(FILE *out)
{
    fprintf(out, "%s\n\nusage: %s\n\nsubcommands:\n", program.title, program.usage);
    for (int k = 0; calc_commands[k]; k++)
        fprintf(out, "  %-10s %s\n", calc_commands[k]->name, calc_commands[k]->summary);

    /* --trace's help names the subcommands that write no trace. */
    char trace_help[256] = CALC_TRACE_HELP;
    int untraced = 0;
    for (int k = 0; calc_commands[k]; k++) {
        if (calc_commands[k]->traces)
            continue;
        size_t used = strlen(trace_help);
        snprintf(trace_help + used, sizeof trace_help - used, "%s%s",
                 untraced++ ? ", " : " (not for ", calc_commands[k]->name);
    }
    if (untraced) {
        size_t used = strlen(trace_help);
        snprintf(trace_help + used, sizeof trace_help - used, ")");
    }

    calc_args args = {0};
    cli_option common[5];
    calc_common_options(common, &args, trace_help,
                        "the options and examples of one subcommand:\n"
                        "attnlab-calc SUBCOMMAND --help");
    fputs("\noptions every subcommand takes:\n", out);
    cli_print_options(out, common, 15);
    fputs("\nexamples:\n", out);
    print_indented(out, program.examples);
    fprintf(out, "\n%s", program.exit_status);
}
