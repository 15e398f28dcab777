/* fuzz_cli_options.c: any words (the input split at NUL bytes) as a
 * command line for the shared option parser every program uses, over a
 * table of every kind of option: it returns parsed, help or bad usage
 * with one sentence, never exits or writes past its lists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_options.h"
#include "fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WORDS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_input_text(data, size);
    if (!text)
        return 0;
    char *argv[MAX_WORDS + 1] = {"fuzz"};
    int argc = 1;
    for (size_t i = 0; i <= size && argc < MAX_WORDS;) {
        argv[argc++] = text + i;
        i += strlen(text + i) + 1;
    }
    bool flag = false;
    int heads = 0;
    uint64_t seed = 0;
    float temperature = 0;
    const char *sentence = NULL, *score = NULL;
    const char *items[MAX_WORDS], *operand_items[MAX_WORDS];
    cli_list selects = {.items = items, .capacity = MAX_WORDS};
    cli_list operands = {.items = operand_items, .capacity = MAX_WORDS};
    cli_numbers keys = {0};
    const cli_option options[] = {
        {.name = "random", .kind = CLI_FLAG, .target = &flag, .help = "a flag"},
        {.name = "heads", .kind = CLI_INT, .target = &heads, .value_name = "N", .help = "int",
         .min = 1, .max = 16, .only_with = "random"},
        {.name = "seed", .kind = CLI_UINT64, .target = &seed, .value_name = "N", .help = "seed",
         .max = 1LL << 53, .once = true},
        {.name = "temperature", .kind = CLI_NUMBER, .target = &temperature, .value_name = "T",
         .help = "number"},
        {.name = "sentence", .kind = CLI_STRING, .target = &sentence, .value_name = "TEXT",
         .help = "text", .short_name = 's'},
        {.name = "score", .kind = CLI_CHOICE, .target = &score, .value_name = "S",
         .help = "choice", .choices = "additive|dot|general"},
        {.name = "select", .kind = CLI_LIST, .target = &selects, .value_name = "NAME",
         .help = "list"},
        {.name = "keys", .kind = CLI_NUMBERS, .target = &keys, .value_name = "K",
         .help = "numbers", .min = 1, .max = CLI_MAX_NUMBERS},
        CLI_HELP_OPTION,
        {0},
    };
    cli_error error;
    cli_result result = cli_parse(options, &operands, 1, argc, argv, &error);
    if (result == CLI_BAD_USAGE && !memchr(error.message, '\0', sizeof error.message))
        abort();  /* the message must be one terminated sentence */
    if (selects.count > selects.capacity || operands.count > operands.capacity)
        abort();
    free(text);
    return 0;
}
