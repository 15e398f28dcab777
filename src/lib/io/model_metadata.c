/* model_metadata.c: writing a configuration and vocabulary as the strings
 * of a model file's "__metadata__", and reading them back with a message
 * for every entry that is missing or malformed. The tensors are
 * model_file.c's. */
#include "io/model_metadata.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/float_text.h"

#define FORMAT_NAME "attnlab-model"
#define FORMAT_VERSION "1"

/* --- writing ------------------------------------------------------------------------ */

static void put(model_metadata *m, const char *key, const char *value)
{
    m->entries[m->count++] = (al_metadata_entry){.key = key, .value = value};
}

/* A value that needs formatting goes into its own slot of text. */
static void put_number(model_metadata *m, const char *key, int value)
{
    snprintf(m->text[m->count], sizeof m->text[0], "%d", value);
    put(m, key, m->text[m->count]);
}

static const char *truth(bool value)
{
    return value ? "true" : "false";
}

/* The words in id order as a JSON list (UTF-8 kept as it is). */
static char *vocab_to_json(const al_vocab *vocab)
{
    json_t *list = json_array();
    for (int id = 0; list && id < vocab->size; id++)
        if (json_array_append_new(list, json_string(vocab->words[id])) != 0) {
            json_decref(list);
            return NULL;
        }
    char *text = list ? json_dumps(list, 0) : NULL;
    json_decref(list);
    return text;
}

al_status model_metadata_make(model_metadata *m, const al_model_config *c,
                              const al_vocab *vocab, al_error *err)
{
    *m = (model_metadata){0};
    m->vocab_json = vocab_to_json(vocab);
    if (!m->vocab_json)
        return al_fail(err, AL_ERR_VALUE, "cannot write the vocabulary as JSON (is every "
                       "word UTF-8 text?)");
    put(m, "format", FORMAT_NAME);
    put(m, "format_version", FORMAT_VERSION);
    put(m, "family", al_family_name(c->family));
    put(m, "norm", al_norm_name(c->norm));
    put_number(m, "d_model", c->d_model);
    put_number(m, "heads", c->heads);
    put_number(m, "encoder_layers", c->encoder_layers);
    put_number(m, "decoder_layers", c->decoder_layers);
    put_number(m, "d_ff", c->d_ff);
    put_number(m, "vocab_size", c->vocab_size);
    put(m, "positions", al_positions_name(c->positions));
    put_number(m, "max_positions", c->max_positions);
    put_number(m, "segments", c->segments);
    put(m, "biases", truth(c->biases));
    put(m, "tied_output", truth(c->tied_output));
    put(m, "output_bias", truth(c->output_bias));
    put(m, "embedding_norm", truth(c->embedding_norm));
    put(m, "pooler", truth(c->pooler));
    put(m, "norm_epsilon", float_text(m->text[m->count], c->norm_epsilon));
    put(m, "vocab", m->vocab_json);
    return AL_OK;
}

void model_metadata_free(model_metadata *m)
{
    free(m->vocab_json);
    *m = (model_metadata){0};
}

/* --- reading -------------------------------------------------------------------------- */

/* The entries being read, and the file to name in messages. */
typedef struct source {
    const al_safetensors *file;
    const char *path;
} source;

static al_status get_text(const char **out, const source *s, const char *key, al_error *err)
{
    *out = al_safetensors_metadata(s->file, key);
    if (!*out)
        return al_fail(err, AL_ERR_FORMAT, "%s: the metadata has no '%s'", s->path, key);
    return AL_OK;
}

static al_status get_number(int *out, const source *s, const char *key, al_error *err)
{
    const char *text;
    al_status status = get_text(&text, s, key, err);
    if (status != AL_OK)
        return status;
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno || value < 0 || value > INT_MAX)
        return al_fail(err, AL_ERR_FORMAT, "%s: metadata '%s' is '%s', not a whole number",
                       s->path, key, text);
    *out = (int)value;
    return AL_OK;
}

static al_status get_truth(bool *out, const source *s, const char *key, al_error *err)
{
    const char *text;
    al_status status = get_text(&text, s, key, err);
    if (status != AL_OK)
        return status;
    if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
        return al_fail(err, AL_ERR_FORMAT, "%s: metadata '%s' is '%s', not true or false",
                       s->path, key, text);
    *out = strcmp(text, "true") == 0;
    return AL_OK;
}

static al_status get_epsilon(float *out, const source *s, al_error *err)
{
    const char *text;
    al_status status = get_text(&text, s, "norm_epsilon", err);
    if (status != AL_OK)
        return status;
    char *end;
    *out = strtof(text, &end);
    if (end == text || *end != '\0')
        return al_fail(err, AL_ERR_FORMAT, "%s: metadata 'norm_epsilon' is '%s', not a number",
                       s->path, text);
    return AL_OK;
}

/* A choice spelled as a name ("encoder-only"), parsed by parse. */
#define GET_CHOICE(out, s, key, parse, err)                                               \
    do {                                                                              \
        const char *text_;                                                            \
        al_error choice_error_;                                                       \
        al_status status_ = get_text(&text_, s, key, err);                            \
        if (status_ == AL_OK && parse(out, text_, &choice_error_) != AL_OK)           \
            status_ = al_fail(err, AL_ERR_FORMAT, "%s: metadata %s", (s)->path,         \
                              choice_error_.message);                                 \
        if (status_ != AL_OK)                                                         \
            return status_;                                                           \
    } while (0)

static al_status check_format(const source *s, al_error *err)
{
    const char *format = al_safetensors_metadata(s->file, "format");
    if (!format || strcmp(format, FORMAT_NAME) != 0)
        return al_fail(err, AL_ERR_FORMAT, "%s: not an attnlab model file (its metadata has "
                       "no format \"" FORMAT_NAME "\")", s->path);
    const char *version = al_safetensors_metadata(s->file, "format_version");
    if (!version || strcmp(version, FORMAT_VERSION) != 0)
        return al_fail(err, AL_ERR_FORMAT, "%s: model file format version %s; this attnlab "
                       "reads version " FORMAT_VERSION, s->path, version ? version : "(none)");
    return AL_OK;
}

static al_status parse_config(al_model_config *c, const source *s, al_error *err)
{
    *c = (al_model_config){0};
    GET_CHOICE(&c->family, s, "family", al_family_parse, err);
    GET_CHOICE(&c->norm, s, "norm", al_norm_parse, err);
    GET_CHOICE(&c->positions, s, "positions", al_positions_parse, err);
    const struct {
        const char *key;
        int *out;
    } numbers[] = {{"d_model", &c->d_model}, {"heads", &c->heads},
                   {"encoder_layers", &c->encoder_layers},
                   {"decoder_layers", &c->decoder_layers}, {"d_ff", &c->d_ff},
                   {"vocab_size", &c->vocab_size}, {"max_positions", &c->max_positions},
                   {"segments", &c->segments}};
    const struct {
        const char *key;
        bool *out;
    } truths[] = {{"biases", &c->biases}, {"tied_output", &c->tied_output},
                  {"output_bias", &c->output_bias}, {"embedding_norm", &c->embedding_norm},
                  {"pooler", &c->pooler}};
    al_status status = AL_OK;
    for (size_t k = 0; status == AL_OK && k < sizeof numbers / sizeof numbers[0]; k++)
        status = get_number(numbers[k].out, s, numbers[k].key, err);
    for (size_t k = 0; status == AL_OK && k < sizeof truths / sizeof truths[0]; k++)
        status = get_truth(truths[k].out, s, truths[k].key, err);
    if (status == AL_OK)
        status = get_epsilon(&c->norm_epsilon, s, err);
    al_error check_error;
    if (status == AL_OK && al_model_config_check(c, &check_error) != AL_OK)
        status = al_fail(err, AL_ERR_FORMAT, "%s: the configuration in the metadata is "
                         "inconsistent: %s", s->path, check_error.message);
    return status;
}

/* "vocab": a JSON list of vocab_size strings starting with the specials. */
static al_status parse_vocab(al_vocab *vocab, int vocab_size, const source *s, al_error *err)
{
    const char *text;
    al_status status = get_text(&text, s, "vocab", err);
    if (status != AL_OK)
        return status;
    json_error_t json_error;
    json_t *list = json_loads(text, 0, &json_error);
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    const char **words = n == (size_t)vocab_size ? malloc(n * sizeof *words) : NULL;
    for (size_t k = 0; words && k < n; k++)
        if (!(words[k] = json_string_value(json_array_get(list, k)))) {
            free(words);
            words = NULL;
        }
    al_error vocab_error;
    if (!words)
        status = al_fail(err, AL_ERR_FORMAT, "%s: metadata 'vocab' must be a JSON list of "
                         "vocab_size = %d strings", s->path, vocab_size);
    else if (al_vocab_from_words(vocab, words, (int)n, &vocab_error) != AL_OK)
        status = al_fail(err, AL_ERR_FORMAT, "%s: metadata %s", s->path, vocab_error.message);
    free(words);
    json_decref(list);
    return status;
}

al_status model_metadata_parse(al_model_config *config, al_vocab *vocab,
                               const al_safetensors *file, const char *path, al_error *err)
{
    *vocab = (al_vocab){0};
    source s = {.file = file, .path = path};
    al_status status = check_format(&s, err);
    if (status == AL_OK)
        status = parse_config(config, &s, err);
    if (status == AL_OK)
        status = parse_vocab(vocab, config->vocab_size, &s, err);
    return status;
}
