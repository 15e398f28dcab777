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
#include "model_evaluate.h"
#include "model_heads.h"

#define PROGRAM "attnlab-model"
#define FIRST_WORDS 12

static const char help_top[] =
    "usage: attnlab-model show FILE\n"
    "       attnlab-model heads FILE --sentences TEXT --word W [--senses A,B]\n"
    "       attnlab-model evaluate FILE --corpus TEXT [--validation F]\n"
    "show: print what a model file (.safetensors, written by attnlab) holds:\n"
    "the configuration, the vocabulary's size and first words, how it was\n"
    "trained (when attnlab-train made it), and every tensor with its shape and\n"
    "number of parameters.\n"
    "heads: run a Transformer's encoder (or a decoder-only model) on every line\n"
    "of TEXT that holds the word W and count, for each self-attention head,\n"
    "which word gets the largest weight in W's row. With --senses A,B (two\n"
    "words that tell W's meanings apart, e.g. river,money for bank) also how\n"
    "often that word is the line's own sense word, and how far apart W's final\n"
    "vectors lie between the senses and within each.\n"
    "evaluate: the loss of a model that predicts the next word or translates\n"
    "(decoder-only, encoder-decoder, rnn-seq2seq) on the part of its corpus\n"
    "attnlab-train held out (the fraction its training record gives), beside\n"
    "a unigram and a bigram model counted on the rest.\n"
    "\n";

static const char help_bottom[] =
    "\n"
    "examples:\n"
    "  attnlab-model show model.safetensors\n"
    "  attnlab-model heads data/bank/encoder.safetensors --sentences data/bank/heldout.txt \\\n"
    "      --word bank --senses river,money\n"
    "  attnlab-model evaluate data/bank/decoder.safetensors --corpus data/bank/corpus.txt\n";

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

/* --senses A,B: two words, split at the comma into buf. */
static bool split_senses(char *buf, size_t size, const char *given, const char *senses[2])
{
    if (strlen(given) >= size)
        return false;
    strcpy(buf, given);
    char *comma = strchr(buf, ',');
    if (!comma || comma == buf || comma[1] == '\0' || strchr(comma + 1, ','))
        return false;
    *comma = '\0';
    senses[0] = buf, senses[1] = comma + 1;
    return true;
}

int main(int argc, char **argv)
{
    const char *sentences = NULL, *word = NULL, *senses = NULL, *corpus = NULL;
    float validation = 0;
    const cli_option options[] = {
        {.name = "sentences", .kind = CLI_STRING, .target = &sentences, .value_name = "TEXT",
         .help = "heads: the lines to run (a UTF-8 text file)"},
        {.name = "word", .kind = CLI_STRING, .target = &word, .value_name = "W",
         .help = "heads: the word whose attention row is read"},
        {.name = "senses", .kind = CLI_STRING, .target = &senses, .value_name = "A,B",
         .help = "heads: two words that tell the word's meanings apart"},
        {.name = "corpus", .kind = CLI_STRING, .target = &corpus, .value_name = "TEXT",
         .help = "evaluate: the corpus the model was trained on"},
        {.name = "validation", .kind = CLI_NUMBER, .target = &validation,
         .value_name = "FRACTION",
         .help = "evaluate: the part held out (default: as the model's training record says)"},
        CLI_HELP_OPTION,
        {0},
    };
    const char *items[4];
    cli_list operands = {.items = items, .capacity = 4};
    const cli_program program = {PROGRAM, help_top, help_bottom};
    int parsed = cli_parse_program(&program, options, &operands, argc, argv);
    if (parsed >= 0)
        return parsed;
    const char *command = operands.count == 2 ? operands.items[0] : "";
    bool heads = strcmp(command, "heads") == 0, evaluate = strcmp(command, "evaluate") == 0;
    if (!heads && !evaluate && strcmp(command, "show") != 0) {
        cli_report(PROGRAM, "give 'show FILE', 'heads FILE ...' or 'evaluate FILE ...' "
                            "(see --help)");
        return 2;
    }
    if (!heads && (sentences || word || senses)) {
        cli_report(PROGRAM, "--sentences, --word and --senses go with 'heads', not '%s'",
                   command);
        return 2;
    }
    if (!evaluate && (corpus || validation != 0)) {
        cli_report(PROGRAM, "--corpus and --validation go with 'evaluate', not '%s'", command);
        return 2;
    }
    al_error err;
    int status = 0;
    if (evaluate) {
        if (!corpus || validation < 0 || validation >= 1) {
            cli_report(PROGRAM, !corpus ? "evaluate needs --corpus TEXT"
                                        : "--validation must be between 0 and 1");
            return 2;
        }
        model_evaluate_settings e = {.model = operands.items[1], .corpus = corpus,
                                     .validation = validation};
        status = model_evaluate(&e, &err);
        if (status != 0)
            cli_report(PROGRAM, "%s", err.message);
        return status;
    }
    if (!heads)
        return show(operands.items[1]);
    model_heads_settings s = {.model = operands.items[1], .sentences = sentences, .word = word};
    char buf[512];
    if (!sentences || !word) {
        cli_report(PROGRAM, "heads needs --sentences TEXT and --word W");
        return 2;
    }
    if (senses && !split_senses(buf, sizeof buf, senses, s.senses)) {
        cli_report(PROGRAM, "--senses needs two words with a comma between, not '%s'", senses);
        return 2;
    }
    status = model_heads(&s, &err);
    if (status != 0)
        cli_report(PROGRAM, "%s", err.message);
    return status;
}
