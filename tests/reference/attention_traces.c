/* attention_traces.c: writes traces of every kind of attention, at several
 * sizes, with and without masks, from seeded random inputs, for the NumPy
 * reference (attention_reference.py) to redo from the trace alone.
 * Not a test by itself: it checks nothing, it only computes and traces.
 *
 *   attention_traces FOLDER     writes FOLDER/<case>.jsonl, one per case
 *
 * Each trace's header "args" say what the case is ("kind=self",
 * "heads=2", "mask=causal", ...), so the reference knows what to expect. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/attention.h"
#include "attnlab/blas.h"
#include "attnlab/mask.h"
#include "attnlab/multihead.h"
#include "attnlab/rng.h"
#include "attnlab/trace.h"

#define MAX_TOKENS 8

/* What one case computes. */
typedef struct case_spec {
    const char *kind;       /* self, cross, or a score kind: additive, general, ... */
    int queries, keys;
    int d_model, heads;     /* multi-head cases                                     */
    int d_q, d_k, d_a, d_v; /* single-head cases                                    */
    const char *mask;       /* none, causal, padding or given                       */
    int key_length;         /* padding: keys [key_length, keys) are padding         */
    bool bias;
    float temperature;
    const char *normalizer; /* softmax or sum (single-head cases)                   */
    float sigma;            /* gaussian                                             */
    bool rows_level;        /* also write softmax row records                       */
    uint64_t seed;
} case_spec;

/* Token labels: queries t0, t1, ...; keys s0, s1, ... (or t0 ... for self). */
static const char *const QUERY_LABELS[MAX_TOKENS] = {"t0", "t1", "t2", "t3",
                                                     "t4", "t5", "t6", "t7"};
static const char *const KEY_LABELS[MAX_TOKENS] = {"s0", "s1", "s2", "s3",
                                                   "s4", "s5", "s6", "s7"};

/* The case as the header's args: "kind=self", "queries=3", ... */
typedef struct case_args {
    char text[16][48];
    const char *argv[16];
    int argc;
} case_args;

static void add_arg(case_args *a, const char *key, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void add_arg(case_args *a, const char *key, const char *format, ...)
{
    char value[32];
    va_list args;
    va_start(args, format);
    vsnprintf(value, sizeof value, format, args);
    va_end(args);
    snprintf(a->text[a->argc], sizeof a->text[a->argc], "%s=%s", key, value);
    a->argv[a->argc] = a->text[a->argc];
    a->argc++;
}

static void describe(case_args *a, const case_spec *c)
{
    a->argc = 0;
    add_arg(a, "kind", "%s", c->kind);
    add_arg(a, "queries", "%d", c->queries);
    add_arg(a, "keys", "%d", c->keys);
    add_arg(a, "mask", "%s", c->mask);
    add_arg(a, "key_length", "%d", c->key_length);
    add_arg(a, "temperature", "%.9g", (double)c->temperature);
    if (c->heads) {
        add_arg(a, "d_model", "%d", c->d_model);
        add_arg(a, "heads", "%d", c->heads);
        add_arg(a, "bias", "%d", c->bias);
    } else {
        add_arg(a, "normalizer", "%s", c->normalizer);
        add_arg(a, "d_q", "%d", c->d_q);
        add_arg(a, "d_k", "%d", c->d_k);
        add_arg(a, "d_a", "%d", c->d_a);
        add_arg(a, "d_v", "%d", c->d_v);
    }
}

/* The case's mask into m (queries x keys); "given" hides the last query
 * from every key and the first key from every query but the first, so
 * one row is fully masked. */
static al_status build_mask(al_matrix *m, const case_spec *c, al_error *err)
{
    if (strcmp(c->mask, "causal") == 0) {
        al_causal_mask(m);
        return AL_OK;
    }
    if (strcmp(c->mask, "padding") == 0)
        return al_padding_mask(m, c->key_length, err);
    al_fill(m, 1.0f);
    for (int j = 0; j < m->cols; j++)
        *al_at(m, m->rows - 1, j) = 0.0f;
    for (int i = 1; i < m->rows; i++)
        *al_at(m, i, 0) = 0.0f;
    return AL_OK;
}

static const char *mask_op(const case_spec *c)
{
    if (strcmp(c->mask, "causal") == 0)
        return AL_MASK_OP_CAUSAL;
    if (strcmp(c->mask, "padding") == 0)
        return AL_MASK_OP_PADDING;
    return AL_MASK_OP_GIVEN;
}

static bool has_mask(const case_spec *c)
{
    return strcmp(c->mask, "none") != 0;
}

/* ---- multi-head self- and cross-attention ------------------------------- */

static al_status run_multihead(const case_spec *c, al_trace *trace, al_error *err)
{
    bool cross = strcmp(c->kind, "cross") == 0;
    al_attention_params params;
    al_attention_workspace ws = {0};
    al_matrix x = {0}, memory = {0}, out = {0}, mask = {0};
    al_rng rng;
    al_rng_seed(&rng, c->seed, 1);
    al_status status = al_attention_params_alloc(&params, c->d_model, c->heads, c->bias, err);
    if (status == AL_OK)
        status = al_attention_workspace_alloc(&ws, &params, c->queries, c->keys, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&x, c->queries, c->d_model, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&out, c->queries, c->d_model, err);
    if (status == AL_OK && cross)
        status = al_matrix_alloc(&memory, c->keys, c->d_model, err);
    if (status == AL_OK && has_mask(c)) {
        status = al_matrix_alloc(&mask, c->queries, c->keys, err);
        if (status == AL_OK)
            status = build_mask(&mask, c, err);
    }
    if (status == AL_OK) {
        al_attention_params_init(&params, &rng);
        if (c->bias) { /* random, not the initial zeros, so that they count */
            al_rng_fill_normal(&params.b_q, &rng, 0.0f, 0.5f);
            al_rng_fill_normal(&params.b_k, &rng, 0.0f, 0.5f);
            al_rng_fill_normal(&params.b_v, &rng, 0.0f, 0.5f);
            al_rng_fill_normal(&params.b_o, &rng, 0.0f, 0.5f);
        }
        al_rng_fill_normal(&x, &rng, 0.0f, 1.0f);
        if (cross)
            al_rng_fill_normal(&memory, &rng, 0.0f, 1.0f);
        al_attention_call call = {.trace_inputs = true, .mask = has_mask(c) ? &mask : NULL,
                                  .mask_op = mask_op(c), .temperature = c->temperature};
        al_named queries = {&x, cross ? "dec.0.norm1" : "x", QUERY_LABELS};
        al_named keys = {&memory, "memory", KEY_LABELS};
        al_trace_at at = {trace, cross ? "dec.0.cross_attn" : "enc.0.attn"};
        status = cross ? al_cross_attention(&out, &ws, queries, keys, &params, &call, at, err)
                       : al_self_attention(&out, &ws, queries, &params, &call, at, err);
    }
    al_attention_params_free(&params);
    al_attention_workspace_free(&ws);
    al_matrix_free(&x), al_matrix_free(&memory), al_matrix_free(&out), al_matrix_free(&mask);
    return status;
}

/* ---- one head from given q, k, v, every score kind ---------------------- */

static al_score_kind score_kind(const char *kind)
{
    const al_score_kind kinds[] = {AL_SCORE_DOT, AL_SCORE_SCALED_DOT, AL_SCORE_ADDITIVE,
                                   AL_SCORE_GENERAL, AL_SCORE_INVERSE_DISTANCE,
                                   AL_SCORE_GAUSSIAN};
    for (int i = 0; i < 6; i++)
        if (strcmp(kind, al_score_kind_name(kinds[i])) == 0)
            return kinds[i];
    return AL_SCORE_DOT;
}

/* The matrices one single-head case uses, all owned here. */
typedef struct head_case {
    al_matrix q, k, v, out, mask, w_q, w_k, v_a, w_a;
    al_attention_steps steps;
} head_case;

static void head_case_free(head_case *h)
{
    al_matrix *all[] = {&h->q, &h->k, &h->v, &h->out, &h->mask,
                        &h->w_q, &h->w_k, &h->v_a, &h->w_a};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        al_matrix_free(all[i]);
    al_attention_steps_free(&h->steps);
}

/* Inverse distance and Gaussian cases put some queries exactly on keys:
 * query 1 on key 2, and (with a repeated key) query 0 on keys 0 and 3. */
static void place_queries_on_keys(head_case *h)
{
    if (h->q.rows > 1 && h->k.rows > 2)
        for (int p = 0; p < h->q.cols; p++)
            *al_at(&h->q, 1, p) = *al_at(&h->k, 2, p);
    if (h->k.rows > 3)
        for (int p = 0; p < h->q.cols; p++)
            *al_at(&h->k, 3, p) = *al_at(&h->q, 0, p) = *al_at(&h->k, 0, p);
}

static al_status alloc_head_case(head_case *h, const case_spec *c, al_scoring *scoring,
                                 al_error *err)
{
    al_status status = al_matrix_alloc(&h->q, c->queries, c->d_q, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&h->k, c->keys, c->d_k, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&h->v, c->keys, c->d_v, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&h->out, c->queries, c->d_v, err);
    if (status == AL_OK && scoring->kind == AL_SCORE_ADDITIVE) {
        status = al_matrix_alloc(&h->w_q, c->d_q, c->d_a, err);
        if (status == AL_OK)
            status = al_matrix_alloc(&h->w_k, c->d_k, c->d_a, err);
        if (status == AL_OK)
            status = al_matrix_alloc(&h->v_a, c->d_a, 1, err);
        scoring->w_q = &h->w_q, scoring->w_k = &h->w_k, scoring->v_a = &h->v_a;
    }
    if (status == AL_OK && scoring->kind == AL_SCORE_GENERAL) {
        status = al_matrix_alloc(&h->w_a, c->d_q, c->d_k, err);
        scoring->w_a = &h->w_a;
    }
    if (status == AL_OK && has_mask(c)) {
        status = al_matrix_alloc(&h->mask, c->queries, c->keys, err);
        if (status == AL_OK)
            status = build_mask(&h->mask, c, err);
    }
    if (status == AL_OK)
        status = al_attention_steps_alloc(&h->steps, c->queries, c->keys, scoring, has_mask(c),
                                          err);
    return status;
}

static al_status trace_given(al_trace *trace, const char *name, const al_matrix *m,
                             const char *const *labels, al_error *err)
{
    al_tensor_info info = {.name = name, .role = AL_ROLE_INPUT, .row_labels = labels};
    return al_trace_matrix(trace, &info, m, err);
}

static al_status run_single_head(const case_spec *c, al_trace *trace, al_error *err)
{
    al_scoring scoring = {.kind = score_kind(c->kind), .temperature = c->temperature,
                          .sigma = c->sigma,
                          .normalizer = strcmp(c->normalizer, "sum") == 0 ? AL_NORMALIZE_SUM
                                                                          : AL_NORMALIZE_SOFTMAX};
    head_case h = {0};
    al_status status = alloc_head_case(&h, c, &scoring, err);
    if (status == AL_OK) {
        al_rng rng;
        al_rng_seed(&rng, c->seed, 2);
        al_rng_fill_normal(&h.q, &rng, 0.0f, 1.0f);
        al_rng_fill_normal(&h.k, &rng, 0.0f, 1.0f);
        al_rng_fill_normal(&h.v, &rng, 0.0f, 1.0f);
        al_matrix *params[] = {&h.w_q, &h.w_k, &h.v_a, &h.w_a};
        for (int i = 0; i < 4; i++)
            if (params[i]->data)
                al_rng_fill_normal(params[i], &rng, 0.0f, 0.7f);
        if (scoring.kind == AL_SCORE_INVERSE_DISTANCE || scoring.kind == AL_SCORE_GAUSSIAN)
            place_queries_on_keys(&h);
    }
    al_attention_names names = {.prefix = "attn", .q = "attn.q", .k = "attn.k", .v = "attn.v",
                                .mask = has_mask(c) ? "attn.mask" : NULL,
                                .query_labels = QUERY_LABELS, .key_labels = KEY_LABELS};
    if (status == AL_OK)
        status = trace_given(trace, names.q, &h.q, QUERY_LABELS, err);
    if (status == AL_OK)
        status = trace_given(trace, names.k, &h.k, KEY_LABELS, err);
    if (status == AL_OK)
        status = trace_given(trace, names.v, &h.v, KEY_LABELS, err);
    if (status == AL_OK && has_mask(c))
        status = al_trace_mask(trace, names.mask, &h.mask, mask_op(c), QUERY_LABELS,
                               KEY_LABELS, err);
    if (status == AL_OK)
        status = al_attend(&h.out, &h.steps, &h.q, &h.k, &h.v, has_mask(c) ? &h.mask : NULL,
                           &scoring, &names, trace, err);
    head_case_free(&h);
    return status;
}

/* ---- the cases ------------------------------------------------------------ */

/* Multi-head cases, one per row. len: the key length of a padding mask. */
typedef struct multihead_case {
    const char *kind;
    int queries, keys, d_model, heads;
    const char *mask;
    int key_length;
    bool bias;
    float temperature;
    bool rows_level;
} multihead_case;

static const multihead_case MULTIHEAD_CASES[] = {
    /* kind    Lq Lk d_model h  mask      len  bias   T      rows */
    {"self",    1, 1,  4,    1, "none",    0, false, 1.0f, false},
    {"self",    3, 3,  4,    2, "none",    0, true,  1.0f, false},
    {"self",    3, 3,  8,    4, "causal",  0, false, 1.0f, false},
    {"self",    7, 7, 12,    3, "causal",  0, true,  1.0f, false},
    {"self",    7, 7,  8,    2, "padding", 5, true,  1.0f, false},
    {"self",    3, 3, 12,    4, "padding", 2, false, 1.0f, false},
    {"self",    7, 7, 12,    4, "none",    0, false, 0.5f, false},
    {"self",    3, 3,  8,    2, "given",   0, false, 1.0f, true},
    {"self",    7, 7,  8,    1, "causal",  0, true,  1.0f, true},
    {"cross",   1, 3,  4,    1, "none",    0, false, 1.0f, false},
    {"cross",   3, 7,  8,    2, "none",    0, true,  1.0f, false},
    {"cross",   7, 3, 12,    3, "padding", 2, false, 1.0f, false},
    {"cross",   4, 5, 12,    4, "padding", 5, true,  1.0f, false},
    {"cross",   3, 7,  8,    4, "given",   0, false, 1.0f, false},
};

/* Single-head cases from given q, k, v: the kind is a score kind. */
typedef struct head_case_row {
    const char *kind;
    int queries, keys, d_q, d_k, d_a, d_v;
    const char *mask;
    int key_length;
    const char *normalizer;
    float temperature, sigma;
    bool rows_level;
} head_case_row;

static const head_case_row HEAD_CASES[] = {
    /* kind              Lq Lk d_q d_k d_a d_v mask      len normalizer  T     sigma rows */
    {"additive",          1, 3, 2,  3,  4,  2, "none",    0, "softmax", 1.0f, 0.0f, false},
    {"additive",          3, 3, 4,  4,  5,  3, "causal",  0, "softmax", 1.0f, 0.0f, true},
    {"additive",          7, 7, 3,  3,  6,  4, "padding", 4, "softmax", 1.0f, 0.0f, false},
    {"additive",          2, 7, 5,  3,  2,  1, "none",    0, "softmax", 2.0f, 0.0f, false},
    {"general",           1, 3, 2,  3,  0,  2, "none",    0, "softmax", 1.0f, 0.0f, false},
    {"general",           3, 3, 4,  4,  0,  3, "causal",  0, "softmax", 1.0f, 0.0f, false},
    {"general",           7, 7, 3,  5,  0,  4, "padding", 4, "softmax", 1.0f, 0.0f, false},
    {"general",           4, 7, 5,  3,  0,  2, "given",   0, "softmax", 1.0f, 0.0f, false},
    {"dot",               3, 3, 2,  2,  0,  2, "causal",  0, "softmax", 1.0f, 0.0f, false},
    {"scaled_dot",        7, 5, 4,  4,  0,  3, "none",    0, "softmax", 1.0f, 0.0f, true},
    {"inverse_distance",  3, 4, 2,  2,  0,  2, "none",    0, "sum",     1.0f, 0.0f, false},
    {"inverse_distance",  3, 4, 1,  1,  0,  1, "padding", 3, "softmax", 2.0f, 0.0f, false},
    {"gaussian",          3, 4, 2,  2,  0,  3, "none",    0, "sum",     1.0f, 1.5f, false},
    {"gaussian",          7, 7, 1,  1,  0,  2, "causal",  0, "softmax", 1.0f, 0.5f, false},
};

#define N_MULTIHEAD (int)(sizeof MULTIHEAD_CASES / sizeof MULTIHEAD_CASES[0])
#define N_HEAD (int)(sizeof HEAD_CASES / sizeof HEAD_CASES[0])

/* Case number index of both tables, as one case_spec with its own seed. */
static case_spec case_number(int index)
{
    case_spec c = {.seed = 1000u + (uint64_t)index};
    if (index < N_MULTIHEAD) {
        const multihead_case *m = &MULTIHEAD_CASES[index];
        c.kind = m->kind, c.queries = m->queries, c.keys = m->keys;
        c.d_model = m->d_model, c.heads = m->heads, c.mask = m->mask;
        c.key_length = m->key_length, c.bias = m->bias, c.temperature = m->temperature;
        c.rows_level = m->rows_level, c.normalizer = "softmax";
    } else {
        const head_case_row *h = &HEAD_CASES[index - N_MULTIHEAD];
        c.kind = h->kind, c.queries = h->queries, c.keys = h->keys;
        c.d_q = h->d_q, c.d_k = h->d_k, c.d_a = h->d_a, c.d_v = h->d_v, c.mask = h->mask;
        c.key_length = h->key_length, c.normalizer = h->normalizer;
        c.temperature = h->temperature, c.sigma = h->sigma, c.rows_level = h->rows_level;
    }
    return c;
}

static al_status run_case(const char *folder, int index, al_error *err)
{
    case_spec c = case_number(index);
    case_args args;
    describe(&args, &c);
    char path[512];
    snprintf(path, sizeof path, "%s/case%02d_%s.jsonl", folder, index, c.kind);
    al_trace_options options = {.program = "attention_traces", .argc = args.argc,
                                .argv = args.argv, .seed = c.seed,
                                .level = c.rows_level ? AL_TRACE_ROWS : AL_TRACE_TENSORS};
    al_trace *trace;
    al_status status = al_trace_open(&trace, path, &options, err);
    if (status != AL_OK)
        return status;
    status = c.heads ? run_multihead(&c, trace, err) : run_single_head(&c, trace, err);
    if (status != AL_OK) {
        al_trace_discard(trace);
        return status;
    }
    return al_trace_close(trace, err);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: attention_traces FOLDER\n");
        return 2;
    }
    al_blas_set_threads(1);
    for (int i = 0; i < N_MULTIHEAD + N_HEAD; i++) {
        al_error err = {0};
        if (run_case(argv[1], i, &err) != AL_OK) {
            fprintf(stderr, "attention_traces: case %d: %s\n", i, err.message);
            return 2;
        }
    }
    return 0;
}
