/* test_cli_options.c: the shared option parser (src/cli): each kind of
 * option, both spellings of a value, "--", operands, and the one sentence
 * each mistake gets; and the --help lines generated from the same table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_options.h"

/* What a small program's table fills. */
typedef struct settings {
    bool quiet;
    int heads;
    uint64_t seed;
    float temperature;
    const char *sentence, *score;
    cli_numbers keys;
    const char *selects[3];
    cli_list select;
} settings;

static bool parse_even(void *target, const char *value)
{
    int x = atoi(value);
    *(int *)target = x;
    return x % 2 == 0;
}

typedef struct program {
    settings s;
    int even;
    const char *operand_items[4];
    cli_list operands;
    cli_option options[12];
    cli_error error;
} program;

static void program_init(program *p)
{
    *p = (program){.s = {.heads = 1, .seed = 42, .sentence = "default"}};
    p->s.select = (cli_list){.items = p->s.selects, .capacity = 3};
    p->operands = (cli_list){.items = p->operand_items, .capacity = 4};
    const cli_option options[] = {
        {.name = "quiet", .short_name = 'q', .kind = CLI_FLAG, .target = &p->s.quiet,
         .help = "say less"},
        {.name = "heads", .kind = CLI_INT, .target = &p->s.heads, .value_name = "N",
         .help = "how many heads", .min = 1, .max = 16},
        {.name = "seed", .kind = CLI_UINT64, .target = &p->s.seed, .value_name = "N",
         .help = "the seed", .max = 1LL << 53},
        {.name = "temperature", .kind = CLI_NUMBER, .target = &p->s.temperature, .value_name = "T",
         .help = "softness"},
        {.name = "sentence", .kind = CLI_STRING, .target = &p->s.sentence, .value_name = "TEXT",
         .help = "the words", .once = true},
        {.name = "score", .kind = CLI_CHOICE, .target = &p->s.score, .value_name = "KIND",
         .help = "how to score", .choices = "dot|additive"},
        {.name = "keys", .kind = CLI_NUMBERS, .target = &p->s.keys, .value_name = "LIST",
         .help = "the keys", .min = 1, .max = 3},
        {.name = "select", .kind = CLI_LIST, .target = &p->s.select, .value_name = "NAME",
         .help = "a tensor;\nrepeat for more"},
        {.name = "even", .kind = CLI_CUSTOM, .target = &p->even, .value_name = "N",
         .help = "an even number", .parse = parse_even, .needs = "an even number"},
        {.name = "help", .short_name = 'h', .kind = CLI_HELP, .help = "this help"},
        {0},
    };
    memcpy(p->options, options, sizeof options);
}

/* Parse the NULL-terminated words as argv[1...]. */
static cli_result parse(program *p, const char *const *words)
{
    char *argv[32] = {"program"};
    int argc = 1;
    while (words[argc - 1])
        argv[argc] = (char *)words[argc - 1], argc++;
    return cli_parse(p->options, &p->operands, 1, argc, argv, &p->error);
}

static void expect_error(const char *const *words, const char *message)
{
    program p;
    program_init(&p);
    assert_int_equal(parse(&p, words), CLI_BAD_USAGE);
    assert_string_equal(p.error.message, message);
}

static void test_every_kind(void **state)
{
    (void)state;
    program p;
    program_init(&p);
    const char *words[] = {"-q", "--heads", "3", "--seed=7", "--temperature", "0.5",
                           "--sentence", "the cat", "--score=additive", "--keys", "70,80",
                           "--select", "a", "--select=b", "--even", "4", NULL};
    assert_int_equal(parse(&p, words), CLI_PARSED);
    assert_true(p.s.quiet);
    assert_int_equal(p.s.heads, 3);
    assert_int_equal(p.s.seed, 7);
    assert_true(p.s.temperature == 0.5f); /* 0.5 is exact in float */
    assert_string_equal(p.s.sentence, "the cat");
    assert_string_equal(p.s.score, "additive");
    assert_int_equal(p.s.keys.count, 2);
    assert_true(p.s.keys.values[0] == 70.0f && p.s.keys.values[1] == 80.0f);
    assert_int_equal(p.s.select.count, 2);
    assert_string_equal(p.s.selects[1], "b");
    assert_int_equal(p.even, 4);
    assert_int_equal(p.operands.count, 0);
}

static void test_defaults_stay(void **state)
{
    (void)state;
    program p;
    program_init(&p);
    const char *words[] = {NULL};
    assert_int_equal(parse(&p, words), CLI_PARSED);
    assert_int_equal(p.s.heads, 1);
    assert_int_equal(p.s.seed, 42);
    assert_string_equal(p.s.sentence, "default");
}

static void test_operands_and_double_dash(void **state)
{
    (void)state;
    program p;
    program_init(&p);
    const char *words[] = {"trace.jsonl", "-1.5", "--", "--quiet", NULL};
    assert_int_equal(parse(&p, words), CLI_PARSED);
    assert_int_equal(p.operands.count, 3);
    assert_string_equal(p.operand_items[0], "trace.jsonl");
    assert_string_equal(p.operand_items[1], "-1.5"); /* a negative number, not an option */
    assert_string_equal(p.operand_items[2], "--quiet");
    assert_false(p.s.quiet);
}

static void test_help_stops_parsing(void **state)
{
    (void)state;
    program p;
    program_init(&p);
    const char *words[] = {"-h", "--no-such-option", NULL};
    assert_int_equal(parse(&p, words), CLI_HELP_ASKED);
}

static void test_one_sentence_per_mistake(void **state)
{
    (void)state;
    expect_error((const char *[]){"--seed", "x", NULL},
                 "--seed needs a whole number from 0 to 2^53, not 'x'");
    expect_error((const char *[]){"--seed", "-1", NULL},
                 "--seed needs a whole number from 0 to 2^53, not '-1'");
    expect_error((const char *[]){"--heads", "17", NULL},
                 "--heads needs a whole number from 1 to 16, not '17'");
    expect_error((const char *[]){"--temperature", "warm", NULL},
                 "--temperature needs a number, not 'warm'");
    expect_error((const char *[]){"--score", "gaussian", NULL},
                 "--score must be one of dot|additive, not 'gaussian'");
    expect_error((const char *[]){"--keys", "1,,2", NULL},
                 "--keys needs 1 to 3 numbers separated by commas, not '1,,2'");
    expect_error((const char *[]){"--keys", "1,2,3,4", NULL},
                 "--keys needs 1 to 3 numbers separated by commas, not '1,2,3,4'");
    expect_error((const char *[]){"--even", "3", NULL}, "--even needs an even number, not '3'");
    expect_error((const char *[]){"--nope", NULL}, "unknown option '--nope'");
    expect_error((const char *[]){"--nope=1", NULL}, "unknown option '--nope'");
    expect_error((const char *[]){"--quiet=yes", NULL}, "--quiet takes no value");
    expect_error((const char *[]){"--heads", NULL}, "--heads needs a value (N)");
    expect_error((const char *[]){"--sentence", "a", "--sentence", "b", NULL},
                 "--sentence is given twice");
    expect_error((const char *[]){"--select", "a", "--select", "b", "--select", "c", "--select",
                                  "d", NULL},
                 "--select is given more than 3 times");
}

static void test_no_operands_wanted(void **state)
{
    (void)state;
    program p;
    program_init(&p);
    char *argv[] = {"program", "word", NULL};
    assert_int_equal(cli_parse(p.options, NULL, 1, 2, argv, &p.error), CLI_BAD_USAGE);
    assert_string_equal(p.error.message, "unexpected argument 'word' (options start with --)");
}

/* The generated lines: the text two spaces after the longest left side,
 * "--temperature T" (15 characters), so in column 2 + 15 + 2 = 19. */
static void test_help_lines(void **state)
{
    (void)state;
    program p;
    program_init(&p);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cli_print_options(out, p.options, 0);
    fclose(out);
    assert_non_null(strstr(text, "  -q, --quiet      say less\n"));
    assert_non_null(strstr(text, "  --temperature T  softness\n"));
    assert_non_null(strstr(text, "  --score KIND     how to score (dot|additive)\n"));
    assert_non_null(strstr(text, "  --select NAME    a tensor;\n"
                                 "                   repeat for more\n"));
    assert_non_null(strstr(text, "  -h, --help       this help\n"));
    free(text);
}

static void test_help_min_width(void **state)
{
    (void)state;
    const cli_option options[] = {{.name = "quiet", .kind = CLI_FLAG, .help = "say less"}, {0}};
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cli_print_options(out, options, 12); /* text in column 2 + 12 = 14 */
    fclose(out);
    assert_string_equal(text, "  --quiet     say less\n");
    free(text);
}

/* An option that only changes what a flag turns on is refused without it. */
static void test_only_with_needs_its_flag(void **state)
{
    (void)state;
    program p;
    program_init(&p);
    p.options[1].only_with = "quiet";   /* --heads */
    const char *alone[] = {"--heads", "3", NULL};
    assert_int_equal(parse(&p, alone), CLI_BAD_USAGE);
    assert_string_equal(p.error.message, "--heads only applies with --quiet");
    program_init(&p);
    p.options[1].only_with = "quiet";
    const char *with[] = {"--heads", "3", "-q", NULL};
    assert_int_equal(parse(&p, with), CLI_PARSED);
    assert_int_equal(p.s.heads, 3);
    const char *neither[] = {"--seed", "3", NULL};   /* --heads not given: nothing to say */
    program_init(&p);
    p.options[1].only_with = "quiet";
    assert_int_equal(parse(&p, neither), CLI_PARSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_defaults_stay),
        cmocka_unit_test(test_operands_and_double_dash),
        cmocka_unit_test(test_help_stops_parsing),
        cmocka_unit_test(test_one_sentence_per_mistake),
        cmocka_unit_test(test_no_operands_wanted),
        cmocka_unit_test(test_help_lines),
        cmocka_unit_test(test_help_min_width),
        cmocka_unit_test(test_only_with_needs_its_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
