/* transformer_params.c: a Transformer's parameters by name: one walk over
 * the model in model_layout.h's order gives every tensor its layout name,
 * and serves looking a tensor up, counting, saving and loading. The file
 * format itself is model_file.c's. */
#include "attnlab/transformer.h"

#include <stdlib.h>
#include <string.h>

#include "attnlab/model_file.h"

/* Called once per parameter tensor, in layout order. */
typedef void (*visit_fn)(void *context, const char *name, al_matrix *value);

typedef struct walk {
    visit_fn visit;
    void *context;
} walk;

static void visit(const walk *w, const char *prefix, const char *suffix, al_matrix *value)
{
    if (!value->data)
        return; /* a tensor this configuration does not have */
    char name[AL_NAME_SIZE];
    if (suffix)
        al_name(name, "%s.%s", prefix, suffix);
    else
        al_name(name, "%s", prefix);
    w->visit(w->context, name, value);
}

static void walk_norm(const walk *w, const char *prefix, al_layer_norm *norm)
{
    visit(w, prefix, "gamma", &norm->gamma);
    visit(w, prefix, "beta", &norm->beta);
}

static void walk_attention(const walk *w, const char *prefix, al_attention_params *p)
{
    visit(w, prefix, "w_q", &p->w_q), visit(w, prefix, "w_k", &p->w_k);
    visit(w, prefix, "w_v", &p->w_v), visit(w, prefix, "w_o", &p->w_o);
    visit(w, prefix, "b_q", &p->b_q), visit(w, prefix, "b_k", &p->b_k);
    visit(w, prefix, "b_v", &p->b_v), visit(w, prefix, "b_o", &p->b_o);
}

static void walk_ffn(const walk *w, const char *prefix, al_feed_forward *ffn)
{
    visit(w, prefix, "w1", &ffn->first.w), visit(w, prefix, "b1", &ffn->first.b);
    visit(w, prefix, "w2", &ffn->second.w), visit(w, prefix, "b2", &ffn->second.b);
}

static void walk_encoder_layer(const walk *w, int l, al_encoder_layer *layer)
{
    char prefix[AL_NAME_SIZE];
    walk_attention(w, al_name(prefix, "enc.%d.attn", l), &layer->attn);
    walk_norm(w, al_name(prefix, "enc.%d.norm1", l), &layer->attn_norm);
    walk_ffn(w, al_name(prefix, "enc.%d.ffn", l), &layer->ffn);
    walk_norm(w, al_name(prefix, "enc.%d.norm2", l), &layer->ffn_norm);
}

static void walk_decoder_layer(const walk *w, int l, al_decoder_layer *layer)
{
    char prefix[AL_NAME_SIZE];
    walk_attention(w, al_name(prefix, "dec.%d.self_attn", l), &layer->self_attn);
    walk_norm(w, al_name(prefix, "dec.%d.norm1", l), &layer->self_attn_norm);
    if (layer->has_cross) {
        walk_attention(w, al_name(prefix, "dec.%d.cross_attn", l), &layer->cross_attn);
        walk_norm(w, al_name(prefix, "dec.%d.norm2", l), &layer->cross_attn_norm);
    }
    walk_ffn(w, al_name(prefix, "dec.%d.ffn", l), &layer->ffn);
    walk_norm(w, al_name(prefix, "dec.%d.norm%d", l, layer->has_cross ? 3 : 2),
              &layer->ffn_norm);
}

/* Every parameter in model_layout.h's order. The walk hands out writable
 * matrices; callers that only read take a const model and cast, which is
 * why none of them writes. */
static void walk_model(al_transformer *m, visit_fn fn, void *context)
{
    walk w = {fn, context};
    visit(&w, "embed.table", NULL, &m->embed.table);
    visit(&w, "pos.table", NULL, &m->pos_table);
    visit(&w, "segment.table", NULL, &m->segment.table);
    walk_norm(&w, "embed_norm", &m->embed_norm);
    for (int l = 0; l < m->config.encoder_layers; l++)
        walk_encoder_layer(&w, l, &m->encoder[l]);
    walk_norm(&w, "enc.norm", &m->encoder_norm);
    for (int l = 0; l < m->config.decoder_layers; l++)
        walk_decoder_layer(&w, l, &m->decoder[l]);
    walk_norm(&w, "dec.norm", &m->decoder_norm);
    visit(&w, "pooler.w", NULL, &m->pooler.w);
    visit(&w, "pooler.b", NULL, &m->pooler.b);
    visit(&w, "logits.w", NULL, &m->output.w);
    visit(&w, "logits.b", NULL, &m->output.b);
}

/* --- looking up and counting ----------------------------------------------------- */

typedef struct finding {
    const char *name;
    al_matrix *found;
} finding;

static void find_by_name(void *context, const char *name, al_matrix *value)
{
    finding *f = context;
    if (!f->found && strcmp(name, f->name) == 0)
        f->found = value;
}

al_matrix *al_transformer_param(al_transformer *model, const char *name)
{
    finding f = {.name = name};
    walk_model(model, find_by_name, &f);
    return f.found;
}

typedef struct counting {
    int tensors;
    long long floats;
} counting;

static void count_one(void *context, const char *name, al_matrix *value)
{
    (void)name;
    counting *c = context;
    c->tensors++;
    c->floats += (long long)value->rows * value->cols;
}

long long al_transformer_param_total(const al_transformer *model)
{
    counting c = {0};
    walk_model((al_transformer *)model, count_one, &c);
    return c.floats;
}

/* The parameters in order, up to max of them. */
typedef struct listing {
    al_matrix **values;
    char (*names)[AL_NAME_SIZE];
    int count, max;
} listing;

static void list_one(void *context, const char *name, al_matrix *value)
{
    listing *l = context;
    if (l->count < l->max) {
        if (l->values)
            l->values[l->count] = value;
        if (l->names)
            memcpy(l->names[l->count], name, AL_NAME_SIZE);
    }
    l->count++;
}

int al_transformer_param_list(al_transformer *model, al_matrix **values,
                              char (*names)[AL_NAME_SIZE], int max)
{
    listing l = {.values = values, .names = names, .max = max};
    walk_model(model, list_one, &l);
    return l.count;
}

/* --- saving -------------------------------------------------------------------- */

/* The tensors as named matrices for the file writer; names[k] holds the
 * name of tensors[k]. */
typedef struct collecting {
    al_named_tensor *tensors;
    char (*names)[AL_NAME_SIZE];
    int count;
} collecting;

static void collect_one(void *context, const char *name, al_matrix *value)
{
    collecting *c = context;
    memcpy(c->names[c->count], name, AL_NAME_SIZE);
    c->tensors[c->count] = (al_named_tensor){.name = c->names[c->count], .value = *value};
    c->count++;
}

al_status al_transformer_save(const al_transformer *model, const al_vocab *vocab,
                              const char *path, al_error *err)
{
    return al_transformer_save_with(model, vocab, path, NULL, 0, err);
}

al_status al_transformer_save_with(const al_transformer *model, const al_vocab *vocab,
                                   const char *path, const al_metadata_entry *record,
                                   int record_count, al_error *err)
{
    counting total = {0};
    walk_model((al_transformer *)model, count_one, &total);
    collecting c = {.tensors = malloc((size_t)total.tensors * sizeof *c.tensors),
                    .names = malloc((size_t)total.tensors * sizeof *c.names)};
    al_status status = AL_OK;
    if (!c.tensors || !c.names)
        status = al_fail(err, AL_ERR_NOMEM, "out of memory listing %d tensors", total.tensors);
    if (status == AL_OK) {
        walk_model((al_transformer *)model, collect_one, &c);
        status = al_model_file_write_with(path, &model->config, vocab, c.tensors, c.count,
                                          record, record_count, err);
    }
    free(c.tensors);
    free(c.names);
    return status;
}

/* --- loading ------------------------------------------------------------------- */

typedef struct copying {
    const al_model_file *file;
} copying;

/* The file was checked against the configuration's layout by name and
 * shape when it was read, so every tensor is there at the right shape. */
static void copy_one(void *context, const char *name, al_matrix *value)
{
    copying *c = context;
    al_copy(value, al_model_file_tensor(c->file, name), NULL);
}

al_status al_transformer_load(al_transformer *model, al_vocab *vocab, const char *path,
                              const al_model_config *expected, al_error *err)
{
    *model = (al_transformer){0};
    *vocab = (al_vocab){0};
    al_model_file file;
    al_status status = al_model_file_read(&file, path, expected, err);
    if (status != AL_OK)
        return status;
    status = al_transformer_alloc(model, &file.config, err);
    if (status == AL_OK) {
        copying c = {&file};
        walk_model(model, copy_one, &c);
        *vocab = file.vocab;           /* the vocabulary moves to the caller */
        file.vocab = (al_vocab){0};
    }
    al_model_file_free(&file);
    return status;
}
