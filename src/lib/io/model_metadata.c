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

#include "attnlab/model_file.h"
#include "attnlab/seq2seq_file.h"
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

/* Every model file's first entries (format, format_version), and the
 * vocabulary as JSON for the last. */
static al_status start_metadata(model_metadata *m, const al_vocab *vocab, al_error *err)
{
    *m = (model_metadata){0};
    m->vocab_json = vocab_to_json(vocab);
    if (!m->vocab_json)
        return al_fail(err, AL_ERR_VALUE, "cannot write the vocabulary as JSON (is every "
                       "word UTF-8 text?)");
    put(m, "format", FORMAT_NAME);
    put(m, "format_version", FORMAT_VERSION);
    return AL_OK;
}

al_status model_metadata_make(model_metadata *m, const al_model_config *c,
                              const al_vocab *vocab, al_error *err)
{
    al_status status = start_metadata(m, vocab, err);
    if (status != AL_OK)
        return status;
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

al_status seq2seq_metadata_make(model_metadata *m, const al_seq2seq_config *c,
                                const al_vocab *vocab, al_error *err)
{
    al_status status = start_metadata(m, vocab, err);
    if (status != AL_OK)
        return status;
    put(m, "family", AL_SEQ2SEQ_FAMILY);
    put(m, "cell", al_rnn_kind_name(c->cell));
    put(m, "attention", truth(c->attention));
    if (c->attention)
        put(m, "score", al_score_kind_name(c->score));
    put_number(m, "d_embed", c->d_embed);
    put_number(m, "d_hidden", c->d_hidden);
    if (c->attention && c->score == AL_SCORE_ADDITIVE)
        put_number(m, "d_attention", c->d_attention);
    put_number(m, "vocab_size", c->vocab_size);
    put(m, "vocab", m->vocab_json);
    return AL_OK;
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
    const char *family = al_safetensors_metadata(s->file, "family");
    if (family && strcmp(family, AL_SEQ2SEQ_FAMILY) == 0)
        return al_fail(err, AL_ERR_FORMAT, "%s holds an RNN seq2seq model (family "
                       AL_SEQ2SEQ_FAMILY "), not a Transformer", s->path);
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

/* --- the RNN seq2seq model's ------------------------------------------------------------ */

/* "family" must be rnn-seq2seq; a Transformer's family gets its own message. */
static al_status check_seq2seq_family(const source *s, al_error *err)
{
    const char *family;
    al_status status = get_text(&family, s, "family", err);
    if (status != AL_OK || strcmp(family, AL_SEQ2SEQ_FAMILY) == 0)
        return status;
    al_family transformer;
    if (al_family_parse(&transformer, family, NULL) == AL_OK)
        return al_fail(err, AL_ERR_FORMAT, "%s holds a Transformer model (family %s), not an "
                       "RNN seq2seq model", s->path, family);
    return al_fail(err, AL_ERR_FORMAT, "%s: metadata 'family' is '%s', not " AL_SEQ2SEQ_FAMILY,
                   s->path, family);
}

/* "cell": one of al_rnn_kind_name's names. */
static al_status get_cell(al_rnn_kind *out, const source *s, al_error *err)
{
    const char *text;
    al_status status = get_text(&text, s, "cell", err);
    if (status != AL_OK)
        return status;
    const al_rnn_kind kinds[] = {AL_RNN_ELMAN, AL_RNN_GRU, AL_RNN_GRU_PYTORCH};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (strcmp(text, al_rnn_kind_name(kinds[k])) == 0) {
            *out = kinds[k];
            return AL_OK;
        }
    return al_fail(err, AL_ERR_FORMAT, "%s: metadata 'cell' is '%s', not %s, %s or %s", s->path,
                   text, al_rnn_kind_name(kinds[0]), al_rnn_kind_name(kinds[1]),
                   al_rnn_kind_name(kinds[2]));
}

/* "score": one of the four kinds seq2seq.h uses, by al_score_kind_name. */
static al_status get_score(al_score_kind *out, const source *s, al_error *err)
{
    const char *text;
    al_status status = get_text(&text, s, "score", err);
    if (status != AL_OK)
        return status;
    const al_score_kind kinds[] = {AL_SCORE_DOT, AL_SCORE_SCALED_DOT, AL_SCORE_GENERAL,
                                   AL_SCORE_ADDITIVE};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (strcmp(text, al_score_kind_name(kinds[k])) == 0) {
            *out = kinds[k];
            return AL_OK;
        }
    return al_fail(err, AL_ERR_FORMAT, "%s: metadata 'score' is '%s', not %s, %s, %s or %s",
                   s->path, text, al_score_kind_name(kinds[0]), al_score_kind_name(kinds[1]),
                   al_score_kind_name(kinds[2]), al_score_kind_name(kinds[3]));
}

al_status seq2seq_metadata_parse(al_seq2seq_config *c, al_vocab *vocab,
                                 const al_safetensors *file, const char *path, al_error *err)
{
    *c = (al_seq2seq_config){0};
    *vocab = (al_vocab){0};
    source s = {.file = file, .path = path};
    al_status status = check_format(&s, err);
    if (status == AL_OK)
        status = check_seq2seq_family(&s, err);
    if (status == AL_OK)
        status = get_cell(&c->cell, &s, err);
    if (status == AL_OK)
        status = get_truth(&c->attention, &s, "attention", err);
    if (status == AL_OK && c->attention)
        status = get_score(&c->score, &s, err);
    if (status == AL_OK)
        status = get_number(&c->d_embed, &s, "d_embed", err);
    if (status == AL_OK)
        status = get_number(&c->d_hidden, &s, "d_hidden", err);
    if (status == AL_OK && c->attention && c->score == AL_SCORE_ADDITIVE)
        status = get_number(&c->d_attention, &s, "d_attention", err);
    if (status == AL_OK)
        status = get_number(&c->vocab_size, &s, "vocab_size", err);
    if (status == AL_OK)
        status = parse_vocab(vocab, c->vocab_size, &s, err);
    return status;
}

al_status model_metadata_family(bool *is_seq2seq, const al_safetensors *file, const char *path,
                                al_error *err)
{
    *is_seq2seq = false;
    source s = {.file = file, .path = path};
    al_status status = check_format(&s, err);
    const char *family;
    if (status == AL_OK)
        status = get_text(&family, &s, "family", err);
    if (status != AL_OK)
        return status;
    *is_seq2seq = strcmp(family, AL_SEQ2SEQ_FAMILY) == 0;
    al_family transformer;
    al_error family_error;
    if (!*is_seq2seq && al_family_parse(&transformer, family, &family_error) != AL_OK)
        return al_fail(err, AL_ERR_FORMAT, "%s: metadata %s, or " AL_SEQ2SEQ_FAMILY, path,
                       family_error.message);
    return AL_OK;
}

/* Every key of the record starts with AL_TRAINING_KEY_PREFIX, once. */
al_status model_record_check(const al_metadata_entry *record, int count, al_error *err)
{
    size_t prefix = strlen(AL_TRAINING_KEY_PREFIX);
    for (int k = 0; k < count; k++) {
        if (!record[k].key || strncmp(record[k].key, AL_TRAINING_KEY_PREFIX, prefix) != 0 ||
            !record[k].key[prefix] || !record[k].value)
            return al_fail(err, AL_ERR_VALUE, "model file: a training record's key must be "
                           "%sNAME with a value, not '%s'", AL_TRAINING_KEY_PREFIX,
                           record[k].key ? record[k].key : "(none)");
        for (int j = 0; j < k; j++)
            if (strcmp(record[j].key, record[k].key) == 0)
                return al_fail(err, AL_ERR_VALUE, "model file: the training record has '%s' "
                               "twice", record[k].key);
    }
    return AL_OK;
}

al_status model_record_append(al_metadata_entry **entries, const model_metadata *metadata,
                              const al_metadata_entry *record, int record_count,
                              al_error *err)
{
    *entries = malloc((size_t)(metadata->count + record_count) * sizeof **entries);
    if (!*entries)
        return al_fail(err, AL_ERR_NOMEM, "model file: no memory for %d metadata entries",
                       metadata->count + record_count);
    memcpy(*entries, metadata->entries, (size_t)metadata->count * sizeof **entries);
    if (record_count > 0)
        memcpy(*entries + metadata->count, record, (size_t)record_count * sizeof **entries);
    return AL_OK;
}
