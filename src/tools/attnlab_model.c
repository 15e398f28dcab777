/* attnlab-model: what a model file holds. `attnlab-model show FILE` prints
 * its configuration in words, its vocabulary's size and first words, and
 * every tensor with its shape and parameter count, in model_layout.h's
 * order, with the total: what "the model file" of the chapter contains.
 * Exit status 0, 2 for bad usage, 1 for a file that cannot be read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/model_file.h"
#include "attnlab/transformer.h"
#include "cli_options.h"

#define PROGRAM "attnlab-model"
#define FIRST_WORDS 12

static const char help_top[] =
    "usage: attnlab-model show FILE\n"
    "Print what a model file (.safetensors, written by attnlab) holds: the\n"
    "configuration, the vocabulary's size and first words, and every tensor\n"
    "with its shape and number of parameters.\n"
    "\n"
    "example:\n"
    "  attnlab-model show model.safetensors\n"
    "\n";

static const char *yes_no(bool value)
{
    return value ? "yes" : "no";
}

/* The configuration, in words. */
static void print_config(const char *path, const al_model_config *c)
{
    const char *family = al_family_name(c->family);
    printf("%s: %s %s Transformer, %s-norm\n", path, family[0] == 'e' ? "an" : "a", family,
           al_norm_name(c->norm));
    printf("  d_model %d, %d heads of %d, d_ff %d\n", c->d_model, c->heads,
           c->d_model / c->heads, c->d_ff);
    printf("  layers: %d encoder, %d decoder\n", c->encoder_layers, c->decoder_layers);
    if (c->positions == AL_POSITIONS_LEARNED)
        printf("  positions: learned, up to %d tokens\n", c->max_positions);
    else
        printf("  positions: sinusoidal\n");
    printf("  biases %s, output tied to the embeddings %s, output bias %s, segments %d,\n"
           "  embedding norm %s, pooler %s, layer-norm epsilon %g\n",
           yes_no(c->biases), yes_no(c->tied_output), yes_no(c->output_bias), c->segments,
           yes_no(c->embedding_norm), yes_no(c->pooler), (double)c->norm_epsilon);
}

static void print_vocab(const al_vocab *vocab)
{
    printf("  vocabulary: %d words:", vocab->size);
    for (int id = 0; id < vocab->size && id < FIRST_WORDS; id++)
        printf(" %s", al_vocab_word(vocab, id));
    printf("%s\n", vocab->size > FIRST_WORDS ? " ..." : "");
}

/* One line per tensor, then the total. */
static void print_tensors(al_transformer *model, al_matrix **values,
                          char (*names)[AL_NAME_SIZE], int count)
{
    al_transformer_param_list(model, values, names, count);
    printf("\n  %-32s %12s %12s\n", "tensor", "shape", "parameters");
    long long total = 0;
    for (int k = 0; k < count; k++) {
        char shape[32];
        snprintf(shape, sizeof shape, "%d x %d", values[k]->rows, values[k]->cols);
        long long n = (long long)values[k]->rows * values[k]->cols;
        printf("  %-32s %12s %12lld\n", names[k], shape, n);
        total += n;
    }
    printf("  %-32s %12s %12lld\n", "total", "", total);
}

static int show(const char *path)
{
    al_transformer model;
    al_vocab vocab;
    al_error err;
    if (al_transformer_load(&model, &vocab, path, NULL, &err) != AL_OK) {
        cli_report(PROGRAM, "%s", err.message);
        return 1;
    }
    print_config(path, &model.config);
    print_vocab(&vocab);
    printf("  training: not recorded in this file\n");
    int count = al_transformer_param_list(&model, NULL, NULL, 0);
    al_matrix **values = calloc((size_t)count, sizeof *values);
    char (*names)[AL_NAME_SIZE] = calloc((size_t)count, sizeof *names);
    int status = 0;
    if (values && names)
        print_tensors(&model, values, names, count);
    else
        cli_report(PROGRAM, "no memory to list %d tensors", count), status = 1;
    free(values);
    free(names);
    al_transformer_free(&model);
    al_vocab_free(&vocab);
    return status;
}

int main(int argc, char **argv)
{
    const cli_option options[] = {
        CLI_HELP_OPTION,
        {0},
    };
    const char *items[4];
    cli_list operands = {.items = items, .capacity = 4};
    const cli_program program = {PROGRAM, help_top, NULL};
    int parsed = cli_parse_program(&program, options, &operands, argc, argv);
    if (parsed >= 0)
        return parsed;
    if (operands.count != 2 || strcmp(operands.items[0], "show") != 0) {
        cli_report(PROGRAM, "give 'show FILE' (see --help)");
        return 2;
    }
    return show(operands.items[1]);
}
