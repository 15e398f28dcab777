/* train_steps.c: writes whole training steps of three small seeded models
 * (decoder-only, encoder-only and encoder-decoder) for the NumPy reference
 * (train_reference.py) to redo from the model file and the batch alone.
 * Not a test by itself: it checks nothing, it only computes.
 *
 *   train_steps FOLDER     writes, for each case (gpt, bert, translate):
 *     FOLDER/<case>.safetensors       the initial model (al_transformer_save)
 *     FOLDER/<case>.grad.safetensors  every parameter's gradient after one
 *                                     al_train_step without clipping, each
 *                                     under its parameter's name
 *     FOLDER/<case>.json              the batch (ids, segments, targets and,
 *                                     encoder-decoder, the source ids),
 *                                     the settings, that step's loss and
 *                                     gradient norm, then the losses and
 *                                     norms of 10 steps from the saved model
 *                                     (reloaded, a fresh trainer) with
 *                                     clipping at 1.0 and warm-up + cosine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/safetensors.h"
#include "attnlab/train.h"

enum { V = 20, D = 16, MAX_LENGTH = 8, STEPS = 10, MAX_TENSORS = 96 };

static const char *const WORDS[V - AL_SPECIAL_TOKENS] = {
    "the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "park", "and", "slept", "in",
    "sun"};

/* One batch: up to 3 sequences of different lengths, padded with <pad>
 * (id 0) whose targets are AL_IGNORE_TARGET. */
typedef struct case_batch {
    int count;
    int lengths[3], source_lengths[3];
    int ids[3][MAX_LENGTH], segments[3][MAX_LENGTH], targets[3][MAX_LENGTH];
    int sources[3][MAX_LENGTH];
} case_batch;

enum { I = AL_IGNORE_TARGET };

/* GPT: each target is the next id; the last real token and the padding
 * have none. */
static const case_batch GPT_BATCH = {
    .count = 3, .lengths = {7, 5, 6},
    .ids = {{6, 7, 8, 9, 6, 10, 11}, {11, 12, 13, 14, 15}, {16, 17, 18, 19, 0, 0}},
    .targets = {{7, 8, 9, 6, 10, 11, I}, {12, 13, 14, 15, I}, {17, 18, 19, I, I, I}}};

/* BERT: [CLS] first, two segments, masked words to guess; padding last. */
static const case_batch BERT_BATCH = {
    .count = 3, .lengths = {7, 5, 6},
    .ids = {{AL_TOKEN_CLS, 6, 5, 8, 9, 5, 10}, {AL_TOKEN_CLS, 11, 12, 5, 14},
            {AL_TOKEN_CLS, 5, 17, 18, 0, 0}},
    .segments = {{0, 0, 0, 0, 1, 1, 1}, {0, 0, 0, 1, 1}, {0, 0, 1, 1, 1, 1}},
    .targets = {{I, I, 7, I, I, 6, I}, {I, I, I, 13, I}, {I, 16, I, I, I, I}}};

/* Translation: sources of different lengths (none padded: each item is its
 * own pass); the decoder reads <bos> y_0 .. and learns y_0 .. <eos>, its
 * padding ignored. A word of the source appears twice in the first. */
static const case_batch TRANSLATE_BATCH = {
    .count = 3, .lengths = {5, 4, 6}, .source_lengths = {6, 3, 7},
    .sources = {{6, 7, 8, 9, 6, 10}, {11, 12, 13}, {14, 15, 16, 17, 18, 19, 7}},
    .ids = {{AL_TOKEN_BOS, 13, 14, 15, 16}, {AL_TOKEN_BOS, 17, 18, 19},
            {AL_TOKEN_BOS, 6, 8, 10, 0, 0}},
    .targets = {{13, 14, 15, 16, AL_TOKEN_EOS}, {17, 18, 19, AL_TOKEN_EOS},
                {6, 8, 10, AL_TOKEN_EOS, I, I}}};

static int fail(const char *what, const al_error *err)
{
    fprintf(stderr, "train_steps: %s: %s\n", what, err->message);
    return 1;
}

/* Seeded weights, then every bias and beta drawn from U(-0.5, 0.5) and
 * every gamma from U(0.5, 1.5): zeros and ones would hide a missing term. */
static al_status build_model(al_transformer *model, const al_model_config *config,
                             uint64_t seed, al_error *err)
{
    al_status status = al_transformer_alloc(model, config, err);
    if (status != AL_OK)
        return status;
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    al_transformer_init(model, &rng);
    al_matrix *params[MAX_TENSORS];
    char names[MAX_TENSORS][AL_NAME_SIZE];
    int count = al_transformer_param_list(model, params, names, MAX_TENSORS);
    for (int k = 0; k < count && k < MAX_TENSORS; k++) {
        const char *last = strrchr(names[k], '.') + 1;
        if (strcmp(last, "gamma") == 0)
            al_rng_fill_uniform(params[k], &rng, 0.5f, 1.5f);
        else if (last[0] == 'b')   /* b_q ... b_o, b1, b2, beta, logits.b */
            al_rng_fill_uniform(params[k], &rng, -0.5f, 0.5f);
    }
    return AL_OK;
}

static void batch_items(al_batch_item *items, const case_batch *b, bool segments)
{
    for (int s = 0; s < b->count; s++)
        items[s] = (al_batch_item){
            .input = {.length = b->lengths[s], .ids = b->ids[s],
                      .segments = segments ? b->segments[s] : NULL},
            .targets = b->targets[s],
            .source = {.length = b->source_lengths[s], .ids = b->sources[s]}};
}

static void write_ints(FILE *f, const int *values, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%d", i ? ", " : "", values[i]);
    fputc(']', f);
}

static void write_batch(FILE *f, const case_batch *b, bool segments)
{
    fprintf(f, "  \"batch\": [\n");
    for (int s = 0; s < b->count; s++) {
        fprintf(f, "    {\"ids\": ");
        write_ints(f, b->ids[s], b->lengths[s]);
        fprintf(f, ", \"segments\": ");
        if (segments)
            write_ints(f, b->segments[s], b->lengths[s]);
        else
            fprintf(f, "null");
        fprintf(f, ", \"targets\": ");
        write_ints(f, b->targets[s], b->lengths[s]);
        fprintf(f, ", \"source\": ");
        if (b->source_lengths[s] > 0)
            write_ints(f, b->sources[s], b->source_lengths[s]);
        else
            fprintf(f, "null");
        fprintf(f, "}%s\n", s + 1 < b->count ? "," : "");
    }
    fprintf(f, "  ],\n");
}

/* The settings as the C holds them (floats printed so they read back
 * exactly as the same float32). */
static void write_settings(FILE *f, const al_train_settings *s, int steps)
{
    fprintf(f, "  \"settings\": {\"beta1\": %.9g, \"beta2\": %.9g, \"epsilon\": %.9g, "
            "\"weight_decay\": %.9g,\n    \"max_lr\": %.17g, \"min_lr\": %.17g, "
            "\"warmup\": %ld, \"total\": %ld, \"clip_norm\": %.17g, \"steps\": %d},\n",
            s->adamw.beta1, s->adamw.beta2, s->adamw.epsilon, s->adamw.weight_decay,
            s->schedule.max_lr, s->schedule.min_lr, s->schedule.warmup, s->schedule.total,
            s->clip_norm, steps);
}

static void write_doubles(FILE *f, const char *key, const double *values, int n, bool last)
{
    fprintf(f, "  \"%s\": [", key);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%.17g", i ? ", " : "", values[i]);
    fprintf(f, "]%s\n", last ? "" : ",");
}

/* The trainer's gradients under the parameters' names. */
static al_status write_gradients(const char *path, al_trainer *trainer, al_transformer *model,
                                 al_error *err)
{
    char names[MAX_TENSORS][AL_NAME_SIZE];
    al_named_tensor tensors[MAX_TENSORS];
    int count = al_transformer_param_list(model, NULL, names, MAX_TENSORS);
    if (count > MAX_TENSORS)
        return al_fail(err, AL_ERR_SHAPE, "%d tensors, room for %d", count, MAX_TENSORS);
    for (int k = 0; k < count; k++)
        tensors[k] = (al_named_tensor){.name = names[k], .value = *trainer->grads[k]};
    return al_safetensors_write(path, tensors, count, NULL, 0, err);
}

/* One step without clipping on the model as built: its loss, norm and
 * gradients. */
static al_status gradient_step(double *loss, double *norm, al_transformer *model,
                               const al_batch_item *items, int count,
                               const al_train_settings *settings, const char *grad_path,
                               al_error *err)
{
    al_trainer trainer;
    al_status status = al_trainer_alloc(&trainer, model, MAX_LENGTH, err);
    if (status != AL_OK)
        return status;
    al_train_settings unclipped = *settings;
    unclipped.clip_norm = 0.0;
    status = al_train_step(&trainer, model, items, count, &unclipped, loss, norm, err);
    if (status == AL_OK)
        status = write_gradients(grad_path, &trainer, model, err);
    al_trainer_free(&trainer);
    return status;
}

/* STEPS steps from the saved model, read back, with a fresh trainer. */
static al_status training_run(double *losses, double *norms, const char *model_path,
                              const al_batch_item *items, int count,
                              const al_train_settings *settings, al_error *err)
{
    al_transformer model;
    al_vocab vocab;
    al_status status = al_transformer_load(&model, &vocab, model_path, NULL, err);
    if (status != AL_OK)
        return status;
    al_trainer trainer;
    status = al_trainer_alloc(&trainer, &model, MAX_LENGTH, err);
    for (int step = 0; step < STEPS && status == AL_OK; step++)
        status = al_train_step(&trainer, &model, items, count, settings, &losses[step],
                               &norms[step], err);
    al_trainer_free(&trainer);   /* a failed alloc left it empty */
    al_transformer_free(&model);
    al_vocab_free(&vocab);
    return status;
}

static int run_case(const char *folder, const char *name, const al_model_config *config,
                    const case_batch *b, uint64_t seed, const al_vocab *vocab)
{
    char model_path[512], grad_path[512], json_path[512];
    snprintf(model_path, sizeof model_path, "%s/%s.safetensors", folder, name);
    snprintf(grad_path, sizeof grad_path, "%s/%s.grad.safetensors", folder, name);
    snprintf(json_path, sizeof json_path, "%s/%s.json", folder, name);
    al_train_settings settings = {
        .adamw = AL_ADAMW_DEFAULTS,
        .schedule = {.max_lr = 1e-2, .min_lr = 1e-3, .warmup = 3, .total = STEPS},
        .clip_norm = 1.0};
    al_batch_item items[3];
    bool segments = config->segments > 0;
    batch_items(items, b, segments);

    al_error err;
    al_transformer model;
    double loss = 0.0, norm = 0.0, losses[STEPS], norms[STEPS];
    if (build_model(&model, config, seed, &err) != AL_OK)
        return fail(name, &err);
    al_status status = al_transformer_save(&model, vocab, model_path, &err);
    if (status == AL_OK)
        status = gradient_step(&loss, &norm, &model, items, b->count, &settings, grad_path,
                               &err);
    al_transformer_free(&model);
    if (status == AL_OK)
        status = training_run(losses, norms, model_path, items, b->count, &settings, &err);
    if (status != AL_OK)
        return fail(name, &err);

    FILE *f = fopen(json_path, "w");
    if (!f) {
        fprintf(stderr, "train_steps: cannot write %s\n", json_path);
        return 1;
    }
    fprintf(f, "{\n  \"case\": \"%s\",\n", name);
    write_batch(f, b, segments);
    write_settings(f, &settings, STEPS);
    fprintf(f, "  \"loss\": %.17g,\n  \"grad_norm\": %.17g,\n", loss, norm);
    write_doubles(f, "losses", losses, STEPS, false);
    write_doubles(f, "grad_norms", norms, STEPS, true);
    fprintf(f, "}\n");
    return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: train_steps FOLDER\n");
        return 2;
    }
    al_error err;
    al_vocab vocab;
    if (al_vocab_init(&vocab, &err) != AL_OK)
        return fail("vocabulary", &err);
    for (int w = 0, id; w < V - AL_SPECIAL_TOKENS; w++)
        if (al_vocab_add(&vocab, WORDS[w], &id, &err) != AL_OK)
            return fail("vocabulary", &err);

    al_model_config gpt = {
        .family = AL_FAMILY_DECODER_ONLY, .norm = AL_NORM_PRE, .d_model = D, .heads = 2,
        .decoder_layers = 2, .d_ff = 32, .vocab_size = V, .positions = AL_POSITIONS_LEARNED,
        .max_positions = MAX_LENGTH, .biases = true, .tied_output = true, .output_bias = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_model_config bert = {
        .family = AL_FAMILY_ENCODER_ONLY, .norm = AL_NORM_POST, .d_model = D, .heads = 2,
        .encoder_layers = 2, .d_ff = 32, .vocab_size = V,
        .positions = AL_POSITIONS_SINUSOIDAL, .segments = 2, .biases = true,
        .tied_output = true, .output_bias = true, .embedding_norm = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    /* the paper's layout (post-norm, sinusoidal), an untied output with its
     * bias, and stacks of different depths */
    al_model_config translate = {
        .family = AL_FAMILY_ENCODER_DECODER, .norm = AL_NORM_POST, .d_model = D, .heads = 2,
        .encoder_layers = 1, .decoder_layers = 2, .d_ff = 32, .vocab_size = V,
        .positions = AL_POSITIONS_SINUSOIDAL, .biases = true, .output_bias = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    int failed = run_case(argv[1], "gpt", &gpt, &GPT_BATCH, 61, &vocab);
    if (!failed)
        failed = run_case(argv[1], "bert", &bert, &BERT_BATCH, 62, &vocab);
    if (!failed)
        failed = run_case(argv[1], "translate", &translate, &TRANSLATE_BATCH, 63, &vocab);
    al_vocab_free(&vocab);
    return failed;
}
