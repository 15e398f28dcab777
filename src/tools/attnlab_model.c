/* attnlab-model: what a model file holds. `attnlab-model show FILE` prints
 * its configuration in words, its vocabulary's size and first words, the
 * training run that made it (if the file records one), and every tensor
 * with its shape and parameter count, in model_layout.h's order, with the
 * total: what "the model file" of the chapter contains.
 * Exit status 0, 2 for bad usage, 1 for a file that cannot be read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/model_file.h"
#include "attnlab/seq2seq_file.h"
#include "cli_options.h"

#define PROGRAM "attnlab-model"
#define FIRST_WORDS 12

static const char help_top[] =
    "usage: attnlab-model show FILE\n"
    "Print what a model file (.safetensors, written by attnlab) holds: the\n"
    "configuration, the vocabulary's size and first words, how it was trained\n"
    "(when attnlab-train made it), and every tensor with its shape and number\n"
    "of parameters.\n"
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

/* command, then "-o path", as shell lines of at most 80 columns joined by
 * backslashes (a word longer than a line stands alone on its line). */
static void print_wrapped(const char *command, const char *path)
{
    int column = printf("    ");
    for (const char *word = command; *word;) {
        /* an option and its value stay together: "--seed 42" */
        int length = (int)strcspn(word, " ");
        if (word[0] == '-' && word[length] == ' ' && word[length + 1] != '-')
            length += 1 + (int)strcspn(word + length + 1, " ");
        if (column > 4 && column + 1 + length > 78)
            column = printf(" \\\n      ");
        else if (column > 4)
            column += printf(" ");
        column += printf("%.*s", length, word);
        word += length + (word[length] == ' ');
    }
    printf("%s-o %s\n", column + 4 + (int)strlen(path) > 78 ? " \\\n      " : " ", path);
}

/* The training record (model_file.h), or that there is none. */
static void print_training(const al_safetensors *file, const char *path)
{
    const char *command = al_safetensors_metadata(file, "training.command");
    if (!command) {
        printf("  training: not recorded in this file\n");
        return;
    }
    const char *steps = al_safetensors_metadata(file, "training.steps");
    const char *task = al_safetensors_metadata(file, "training.task");
    const char *corpus = al_safetensors_metadata(file, "training.corpus");
    const char *loss = al_safetensors_metadata(file, "training.loss");
    const char *val_loss = al_safetensors_metadata(file, "training.validation_loss");
    printf("  training: %s steps of %s\n  corpus: %s\n", steps ? steps : "?",
           task ? task : "?", corpus ? corpus : "?");
    if (loss && val_loss)
        printf("  last loss %s on its training batch, %s on the held-out one\n", loss,
               val_loss);
    printf("  to make it again:\n");
    print_wrapped(command, path);
}

/* One line per tensor (the file keeps model_layout.h's order), then the
 * total. */
static void print_tensors(const al_safetensors *contents)
{
    printf("\n  %-32s %12s %12s\n", "tensor", "shape", "parameters");
    long long total = 0;
    for (int k = 0; k < contents->count; k++) {
        const al_matrix *value = &contents->tensors[k].value;
        char shape[32];
        snprintf(shape, sizeof shape, "%d x %d", value->rows, value->cols);
        long long n = (long long)value->rows * value->cols;
        printf("  %-32s %12s %12lld\n", contents->tensors[k].name, shape, n);
        total += n;
    }
    printf("  %-32s %12s %12lld\n", "total", "", total);
}

/* The RNN seq2seq's configuration, in words. */
static void print_seq2seq_config(const char *path, const al_seq2seq_config *c)
{
    printf("%s: an RNN encoder-decoder (%s cells) ", path, al_rnn_kind_name(c->cell));
    if (c->attention)
        printf("with %s attention\n", al_score_kind_name(c->score));
    else
        printf("without attention (one fixed context)\n");
    printf("  d_embed %d, d_hidden %d", c->d_embed, c->d_hidden);
    if (c->attention && c->score == AL_SCORE_ADDITIVE)
        printf(", d_attention %d", c->d_attention);
    printf("\n");
}

/* An RNN seq2seq file: checked and described by its reader; the tensors
 * and the record from the container itself. */
static int show_seq2seq(const char *path, al_error *err)
{
    al_seq2seq model;
    al_vocab vocab;
    al_safetensors contents;
    if (al_seq2seq_file_read(&model, &vocab, path, err) != AL_OK)
        return 1;
    if (al_safetensors_read(&contents, path, err) != AL_OK) {
        al_seq2seq_free(&model), al_vocab_free(&vocab);
        return 1;
    }
    print_seq2seq_config(path, &model.config);
    print_vocab(&vocab);
    print_training(&contents, path);
    print_tensors(&contents);
    al_safetensors_free(&contents);
    al_seq2seq_free(&model), al_vocab_free(&vocab);
    return 0;
}

static int show(const char *path)
{
    al_error err;
    bool rnn = false;
    al_model_file file;
    int status = al_model_file_family(path, &rnn, &err) == AL_OK ? 0 : 1;
    if (status == 0 && rnn)
        status = show_seq2seq(path, &err);
    else if (status == 0 && al_model_file_read(&file, path, NULL, &err) != AL_OK)
        status = 1;
    else if (status == 0) {
        print_config(path, &file.config);
        print_vocab(&file.vocab);
        print_training(&file.contents, path);
        print_tensors(&file.contents);
        al_model_file_free(&file);
    }
    if (status != 0)
        cli_report(PROGRAM, "%s", err.message);
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
