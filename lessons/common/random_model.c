/* random_model.c: sentences, trained and seeded Transformers for lessons
 * 09 and 12 (see random_model.h). */
#include "random_model.h"

#include <stdio.h>

#include "model_record.h"

al_status lesson_model_tokens(al_tokens *tokens, const al_vocab *vocab, const char *vocab_source,
                              const char *sentence, int flags, int max_tokens, printout *p,
                              al_error *err)
{
    al_status status = al_tokenize(tokens, sentence, vocab, flags, err);
    if (status == AL_OK && tokens->count > max_tokens)
        status = al_fail(err, AL_ERR_VALUE, "the sentence has %d tokens; this lesson takes at "
                         "most %d", tokens->count, max_tokens);
    if (status != AL_OK)
        return status;
    for (int i = 0; i < tokens->count; i++)
        if (tokens->unknown[i])
            print_text(p, "  note: '%s' is not in the vocabulary (%s); it becomes <unk>",
                       tokens->labels[i], vocab_source);
    return AL_OK;
}

al_status lesson_trained_model(al_transformer *model, al_vocab *vocab, lesson_trained_file *file,
                               const char *data_dir, const char *name, al_family family,
                               al_error *err)
{
    int n = snprintf(file->path, sizeof file->path, "%s/%s", data_dir, name);
    if (n < 0 || (size_t)n >= sizeof file->path)
        return al_fail(err, AL_ERR_ARG, "the data folder's path is too long");
    al_status status = al_transformer_load(model, vocab, file->path, NULL, err);
    if (status == AL_OK && model->config.family != family)
        status = al_fail(err, AL_ERR_VALUE, "%s holds a %s model, not the %s model this "
                         "lesson reads", file->path, al_family_name(model->config.family),
                         al_family_name(family));
    if (status == AL_OK)
        status = lesson_model_record(file->origin, sizeof file->origin, file->path, err);
    return status;
}

al_status lesson_random_model(al_transformer *model, al_family family, const model_shape *shape,
                              bool with_pooler, int vocab_size, al_error *err)
{
    bool encoder = family == AL_FAMILY_ENCODER_ONLY;
    al_model_config config = {.family = family, .norm = AL_NORM_POST, .d_model = shape->d_model,
                              .heads = shape->heads,
                              .encoder_layers = encoder ? shape->layers : 0,
                              .decoder_layers = encoder ? 0 : shape->layers,
                              .d_ff = 4 * shape->d_model, .vocab_size = vocab_size,
                              .positions = AL_POSITIONS_SINUSOIDAL, .biases = true,
                              .tied_output = true, .pooler = with_pooler,
                              .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_status status = al_transformer_alloc(model, &config, err);
    if (status != AL_OK)
        return status;
    al_rng rng;
    al_rng_seed(&rng, shape->seed, 0);
    al_transformer_init(model, &rng);
    return AL_OK;
}

void lesson_shape_options(cli_option *out, model_shape *shape)
{
    out[0] = (cli_option){.name = "d-model", .kind = CLI_INT, .target = &shape->d_model,
                          .value_name = "N", .help = "d_model with --random (default 8)",
                          .min = 1, .max = 512, .only_with = "random"};
    out[1] = (cli_option){.name = "heads", .kind = CLI_INT, .target = &shape->heads,
                          .value_name = "N",
                          .help = "heads with --random (default 2); d_model must split into them",
                          .min = 1, .max = AL_MAX_HEADS, .only_with = "random"};
}
