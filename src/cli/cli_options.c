/* cli_options.c: reading argv against an option table (cli_options.h).
 * Each mistake becomes one sentence naming the option and what it needs;
 * the --help lines are written from the same table in cli_help.c. No
 * printing, no exiting: the program decides what a mistake costs. */
#include "cli_options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static cli_result bad_usage(cli_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static cli_result bad_usage(cli_error *error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
    return CLI_BAD_USAGE;
}

/* A word is an option when it starts with '-', unless it reads as a
 * negative number: attnlab-calc's scores are typed as they are ("-1.5"). */
static bool is_option_word(const char *word)
{
    if (word[0] != '-' || word[1] == '\0')
        return false;
    return !(isdigit((unsigned char)word[1]) || word[1] == '.');
}

/* "2^53" rather than 9007199254740992: the bound a reader remembers. */
static void write_bound(char *text, size_t size, long long bound)
{
    for (int power = 31; power < 63; power++)
        if (bound == 1LL << power) {
            snprintf(text, size, "2^%d", power);
            return;
        }
    snprintf(text, size, "%lld", bound);
}

static cli_result bad_whole_number(cli_error *error, const cli_option *option, const char *value)
{
    char low[24], high[24];
    write_bound(low, sizeof low, option->min);
    write_bound(high, sizeof high, option->max);
    return bad_usage(error, "--%s needs a whole number from %s to %s, not '%s'", option->name,
                     low, high, value);
}

/* Is word one of the "|"-separated choices? */
static bool is_choice(const char *choices, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t length = bar ? (size_t)(bar - p) : strlen(p);
        if (length == n && strncmp(p, word, n) == 0)
            return true;
        p += length + (bar != NULL);
    }
    return false;
}

/* "70,80" into option->min to option->max finite numbers. */
static cli_result set_numbers(const cli_option *option, const char *value, cli_error *error)
{
    cli_numbers *numbers = option->target;
    numbers->count = 0;
    for (const char *p = value;;) {
        char *end = NULL;
        errno = 0;
        float x = strtof(p, &end);
        if (errno || end == p || (*end && *end != ',') || !isfinite(x) ||
            numbers->count == option->max)
            break;
        numbers->values[numbers->count++] = x;
        if (*end == '\0') {
            if (numbers->count >= option->min)
                return CLI_PARSED;
            break;
        }
        p = end + 1;
    }
    return bad_usage(error, "--%s needs %lld to %lld numbers separated by commas, not '%s'",
                     option->name, option->min, option->max, value);
}

static cli_result set_whole_number(const cli_option *option, const char *value, cli_error *error)
{
    char *end = NULL;
    errno = 0;
    long long x = strtoll(value, &end, 10);
    if (errno || end == value || *end || x < option->min || x > option->max)
        return bad_whole_number(error, option, value);
    if (option->kind == CLI_INT)
        *(int *)option->target = (int)x;
    else
        *(uint64_t *)option->target = (uint64_t)x;
    return CLI_PARSED;
}

/* Store value (NULL for a flag) where option says. */
static cli_result set_value(const cli_option *option, const char *value, cli_error *error)
{
    switch (option->kind) {
    case CLI_FLAG:
    case CLI_HELP:
        *(bool *)option->target = true;
        return CLI_PARSED;
    case CLI_INT:
    case CLI_UINT64:
        return set_whole_number(option, value, error);
    case CLI_NUMBER: {
        char *end = NULL;
        errno = 0;
        float x = strtof(value, &end);
        if (errno || end == value || *end || !isfinite(x))
            return bad_usage(error, "--%s needs a number, not '%s'", option->name, value);
        *(float *)option->target = x;
        return CLI_PARSED;
    }
    case CLI_STRING:
        *(const char **)option->target = value;
        return CLI_PARSED;
    case CLI_CHOICE:
        if (!is_choice(option->choices, value))
            return bad_usage(error, "--%s must be one of %s, not '%s'", option->name,
                             option->choices, value);
        *(const char **)option->target = value;
        return CLI_PARSED;
    case CLI_LIST: {
        cli_list *list = option->target;
        if (list->count == list->capacity)
            return bad_usage(error, "--%s is given more than %d times", option->name,
                             list->capacity);
        list->items[list->count++] = value;
        return CLI_PARSED;
    }
    case CLI_NUMBERS:
        return set_numbers(option, value, error);
    case CLI_CUSTOM:
        if (!option->parse(option->target, value))
            return bad_usage(error, "--%s needs %s, not '%s'", option->name, option->needs, value);
        return CLI_PARSED;
    }
    return bad_usage(error, "--%s has an unknown kind", option->name);
}

/* The option that word names: "--name", "--name=...", or "-n". */
static int find_option(const cli_option *options, const char *word, size_t length)
{
    for (int k = 0; options[k].name; k++) {
        bool long_form = word[1] == '-' && strlen(options[k].name) == length - 2 &&
                         strncmp(options[k].name, word + 2, length - 2) == 0;
        bool short_form = word[1] != '-' && length == 2 && options[k].short_name == word[1];
        if (long_form || short_form)
            return k;
    }
    return -1;
}

#define CLI_MAX_OPTIONS 64

cli_result cli_parse(const cli_option *options, cli_list *operands, int first, int argc,
                     char **argv, cli_error *error)
{
    bool given[CLI_MAX_OPTIONS] = {false};
    bool options_ended = false;
    for (int i = first; i < argc; i++) {
        const char *word = argv[i];
        if (!options_ended && strcmp(word, "--") == 0) {
            options_ended = true;
            continue;
        }
        if (options_ended || !is_option_word(word)) {
            if (!operands)
                return bad_usage(error, "unexpected argument '%s' (options start with --)", word);
            if (operands->count == operands->capacity)
                return bad_usage(error, "too many arguments: '%s'", word);
            operands->items[operands->count++] = word;
            continue;
        }
        const char *equals = word[1] == '-' ? strchr(word, '=') : NULL;
        size_t length = equals ? (size_t)(equals - word) : strlen(word);
        int k = find_option(options, word, length);
        if (k < 0)
            return bad_usage(error, "unknown option '%.*s'", (int)length, word);
        const cli_option *option = &options[k];
        const char *value = equals ? equals + 1 : NULL;
        bool takes_value = option->kind != CLI_FLAG && option->kind != CLI_HELP;
        if (!takes_value && value)
            return bad_usage(error, "--%s takes no value", option->name);
        if (option->kind == CLI_HELP)
            return CLI_HELP_ASKED;
        if (takes_value && !value) {
            if (i + 1 >= argc)
                return bad_usage(error, "--%s needs a value (%s)", option->name,
                                 option->value_name);
            value = argv[++i];
        }
        if (option->once && k < CLI_MAX_OPTIONS && given[k])
            return bad_usage(error, "--%s is given twice", option->name);
        if (k < CLI_MAX_OPTIONS)
            given[k] = true;
        cli_result result = set_value(option, value, error);
        if (result != CLI_PARSED)
            return result;
    }
    for (int k = 0; options[k].name && k < CLI_MAX_OPTIONS; k++)
        if (options[k].required && !given[k])
            return bad_usage(error, "give --%s %s", options[k].name,
                             options[k].value_name ? options[k].value_name : "");
    /* an option that changes only what a flag turns on needs that flag */
    for (int k = 0; options[k].name && k < CLI_MAX_OPTIONS; k++) {
        if (!given[k] || !options[k].only_with)
            continue;
        int flag = 0;
        while (options[flag].name && strcmp(options[flag].name, options[k].only_with) != 0)
            flag++;
        if (!options[flag].name || flag >= CLI_MAX_OPTIONS || !given[flag])
            return bad_usage(error, "--%s only applies with --%s", options[k].name,
                             options[k].only_with);
    }
    return CLI_PARSED;
}
