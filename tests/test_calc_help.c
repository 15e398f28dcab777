/* test_calc_help.c: attnlab-calc's --help is written from the option
 * tables its parser reads: every option of every subcommand (its own and
 * the common ones) is listed with its help text and in the usage line, the
 * program's --help lists every subcommand and the common options, and the
 * program prints exactly what calc_help.c writes. The option tables are
 * read from the calc library itself, so an option added without help
 * fails here. Not a test of what the subcommands compute
 * (test_attnlab_calc.c).
 *
 * Argument (from tests/meson.build): the attnlab-calc program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calc.h"
#include "run_program.h"

/* What `program subcommand --help` (or `program --help` when subcommand is
 * NULL) prints, checked to be a success. The caller frees it with
 * run_result_free. */
static run_result help_of(const char *program, const char *subcommand)
{
    run_result r;
    int started = subcommand ? run_program_args(&r, NULL, program, subcommand, "--help", NULL)
                             : run_program_args(&r, NULL, program, "--help", NULL);
    assert_int_equal(started, 0);
    if (r.exit_code != 0 || r.err_length != 0)
        fail_msg("%s --help: exit %d, stderr %s", subcommand ? subcommand : "", r.exit_code,
                 r.err);
    return r;
}

/* "  -h, --help" or "  --keys LIST": how an option's line starts. */
static void option_line_start(char *text, size_t size, const cli_option *option)
{
    char short_form[8] = "";
    if (option->short_name)
        snprintf(short_form, sizeof short_form, "-%c, ", option->short_name);
    snprintf(text, size, "\n  %s--%s%s%s ", short_form, option->name,
             option->value_name ? " " : "", option->value_name ? option->value_name : "");
}

/* The first line of an option's help text. */
static void first_help_line(char *text, size_t size, const cli_option *option)
{
    snprintf(text, size, "%.*s", (int)strcspn(option->help, "\n"), option->help);
}

static void every_option_of_every_subcommand_is_in_its_help(void **state)
{
    for (int k = 0; calc_commands[k]; k++) {
        const calc_command *command = calc_commands[k];
        calc_args args = {.command = command};
        cli_option table[CALC_TABLE_SIZE];
        bool flags[CALC_MAX_OPTIONS];
        calc_option_table(table, &args, flags);
        run_result r = help_of(*state, command->name);
        const char *options = strstr(r.out, "\noptions:\n");
        if (!options)
            fail_msg("%s --help has no options section:\n%s", command->name, r.out);
        /* The usage line, and its continuation lines, end at the first blank line. */
        const char *usage_end = strstr(r.out, "\n\n");
        size_t usage_length = usage_end ? (size_t)(usage_end - r.out) : strlen(r.out);
        int listed = 0;
        for (int i = 0; table[i].name; i++) {
            char start[128], help[256], usage_word[128];
            option_line_start(start, sizeof start, &table[i]);
            if (!table[i].help) {
                /* An option accepted only to explain why not is never listed. */
                snprintf(usage_word, sizeof usage_word, "\n  --%s ", table[i].name);
                if (strstr(options, usage_word))
                    fail_msg("%s --help lists --%s, which has no help", command->name,
                             table[i].name);
                continue;
            }
            const char *line = strstr(options, start);
            if (!line)
                fail_msg("%s --help has no line \"%s\":\n%s", command->name, start + 1, r.out);
            first_help_line(help, sizeof help, &table[i]);
            const char *text = line + strlen(start) + strspn(line + strlen(start), " ");
            if (strncmp(text, help, strlen(help)) != 0)
                fail_msg("%s --help: --%s's line does not say \"%s\"", command->name,
                         table[i].name, help);
            snprintf(usage_word, sizeof usage_word, "--%s", table[i].name);
            char *usage = strndup(r.out, usage_length);
            assert_non_null(usage);
            if (table[i].kind != CLI_HELP && !strstr(usage, usage_word))
                fail_msg("%s's usage line has no %s:\n%s", command->name, usage_word, usage);
            free(usage);
            listed++;
        }
        /* Its own options, and --precision, --latex, --help (and --trace). */
        int own = 0;
        while (command->options[own].name)
            own++;
        int expected = own + 3 + (command->traces ? 1 : 0);
        if (listed != expected)
            fail_msg("%s --help lists %d options, not %d: is one without help?", command->name,
                     listed, expected);
        run_result_free(&r);
    }
}

static void program_help_lists_every_subcommand_and_the_common_options(void **state)
{
    run_result r = help_of(*state, NULL);
    for (int k = 0; calc_commands[k]; k++) {
        char line[256];
        snprintf(line, sizeof line, "\n  %-10s %s\n", calc_commands[k]->name,
                 calc_commands[k]->summary);
        if (!strstr(r.out, line))
            fail_msg("attnlab-calc --help does not list %s:\n%s", calc_commands[k]->name, r.out);
    }
    calc_args args = {0};
    cli_option common[5];
    calc_common_options(common, &args, "", "");
    for (int i = 0; common[i].name; i++) {
        char start[128];
        option_line_start(start, sizeof start, &common[i]);
        if (!strstr(r.out, start))
            fail_msg("attnlab-calc --help has no line \"%s\":\n%s", start + 1, r.out);
    }
    run_result_free(&r);
}

/* The program's help is calc_print_command_help's, byte for byte: nothing
 * hand-written is printed beside the tables. */
static void the_program_prints_the_generated_help(void **state)
{
    for (int k = 0; calc_commands[k]; k++) {
        char *expected = NULL;
        size_t length = 0;
        FILE *out = open_memstream(&expected, &length);
        assert_non_null(out);
        calc_print_command_help(out, calc_commands[k]);
        assert_int_equal(fclose(out), 0);
        run_result r = help_of(*state, calc_commands[k]->name);
        assert_string_equal(r.out, expected);
        run_result_free(&r);
        free(expected);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s ATTNLAB_CALC_PROGRAM\n", argv[0]);
        return 2;
    }
    char *program = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(every_option_of_every_subcommand_is_in_its_help, program),
        cmocka_unit_test_prestate(program_help_lists_every_subcommand_and_the_common_options,
                                  program),
        cmocka_unit_test_prestate(the_program_prints_the_generated_help, program),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
