/* test_backward_model.c: al_transformer_backward for a whole small
 * decoder-only model (GPT-style: token and learned position embeddings, two
 * masked layers, the final norm of a pre-norm stack, the output layer,
 * softmax cross-entropy with a padding position ignored) and an
 * encoder-only one (BERT-style: segments, an embedding norm, post-norm)
 * and an encoder-decoder one (a translation pair, post- and pre-norm, the
 * decoder's cross-attention passing the memory's gradient back into the
 * encoder), against central finite differences of the same model written
 * in double: lookups and the output here, each layer by
 * plain_encoder_layer or plain_decoder_layer (plain_reference.c). Tied and
 * separate output weights.
 *
 * Can it fail? Tried while writing it, then undone: the tied output's
 * share of the table's gradient left out fails "embed.table" by 0.66;
 * each layer's backward given another layer's input (layers - 1 - l)
 * fails "embed.table" and "dec.0.attn.w_q". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/transformer.h"
#include "check.h"
#include "gradient_check.h"
#include "plain_reference.h"

/* Two layers, an output layer and the loss: twice test_backward_blocks'
 * chain of float steps; 2e-5 of the gradient's scale is still ten times
 * the gaps measured. */
#define FLOAT_GRADIENT 2e-5
#define REASON "float backward against a double forward through the whole model"

enum { D = 8, HEADS = 2, D_FF = 16, V = 11, L = 5, LAYERS = 2, POSITIONS = 6 };
enum { MAX = V * D > D_FF * D ? V * D : D_FF * D };

/* The sentence: a decoder-only model reads any ids, an encoder-only one
 * [CLS] first. */
static const int GPT_IDS[L] = {6, 9, 7, 7, 10};
static const int BERT_IDS[L] = {AL_TOKEN_CLS, 9, 7, 7, 10};
static const int *IDS = GPT_IDS;
static const int SEGMENTS[L] = {0, 0, 1, 1, 1};
static const int TARGETS[L] = {9, 7, AL_IGNORE_TARGET, 10, 8};

/* The model's parameters as doubles, and the plain layers pointing into them. */
typedef struct plain_model {
    al_model_config config;
    double table[V * D], pos[POSITIONS * D], seg[2 * D];
    double embed_gamma[D], embed_beta[D], final_gamma[D], final_beta[D];
    double w_out[D * V], b_out[V];
    double layer[LAYERS][16][D_FF * D];     /* in the order of plain_encoder_weights */
    plain_encoder_weights plain[LAYERS];
} plain_model;

/* The layer's 16 matrices in plain_encoder_weights' order. */
static void layer_matrices(const al_matrix *out[16], al_transformer *model, int l)
{
    bool encoder = model->config.family == AL_FAMILY_ENCODER_ONLY;
    const al_attention_params *a = encoder ? &model->encoder[l].attn : &model->decoder[l].self_attn;
    const al_layer_norm *n1 = encoder ? &model->encoder[l].attn_norm
                                      : &model->decoder[l].self_attn_norm;
    const al_feed_forward *f = encoder ? &model->encoder[l].ffn : &model->decoder[l].ffn;
    const al_layer_norm *n2 = encoder ? &model->encoder[l].ffn_norm : &model->decoder[l].ffn_norm;
    const al_matrix *all[16] = {&a->w_q, &a->w_k, &a->w_v, &a->w_o, &a->b_q, &a->b_k, &a->b_v,
                                &a->b_o, &n1->gamma, &n1->beta, &f->first.w, &f->first.b,
                                &f->second.w, &f->second.b, &n2->gamma, &n2->beta};
    memcpy(out, all, sizeof all);
}

static void copy_model(plain_model *p, al_transformer *model)
{
    p->config = model->config;
    gc_to_double(p->table, &model->embed.table);
    if (model->pos_table.data)
        gc_to_double(p->pos, &model->pos_table);
    if (model->segment.table.data)
        gc_to_double(p->seg, &model->segment.table);
    if (model->embed_norm.gamma.data) {
        gc_to_double(p->embed_gamma, &model->embed_norm.gamma);
        gc_to_double(p->embed_beta, &model->embed_norm.beta);
    }
    const al_layer_norm *final = &model->decoder_norm;
    if (final->gamma.data)
        gc_to_double(p->final_gamma, &final->gamma), gc_to_double(p->final_beta, &final->beta);
    if (model->output.w.data)
        gc_to_double(p->w_out, &model->output.w);
    if (model->output.b.data)
        gc_to_double(p->b_out, &model->output.b);
    for (int l = 0; l < LAYERS; l++) {
        const al_matrix *m[16];
        layer_matrices(m, model, l);
        for (int k = 0; k < 16; k++)
            gc_to_double(p->layer[l][k], m[k]);
        p->plain[l] = (plain_encoder_weights){
            .d_model = D, .heads = HEADS, .d_ff = D_FF,
            .w_q = p->layer[l][0], .w_k = p->layer[l][1], .w_v = p->layer[l][2],
            .w_o = p->layer[l][3], .b_q = p->layer[l][4], .b_k = p->layer[l][5],
            .b_v = p->layer[l][6], .b_o = p->layer[l][7], .gamma1 = p->layer[l][8],
            .beta1 = p->layer[l][9], .w1 = p->layer[l][10], .b1 = p->layer[l][11],
            .w2 = p->layer[l][12], .b2 = p->layer[l][13], .gamma2 = p->layer[l][14],
            .beta2 = p->layer[l][15], .epsilon = model->config.norm_epsilon,
            .causal = model->config.family == AL_FAMILY_DECODER_ONLY};
    }
}

static void norm_rows_n(double *x, const double *gamma, const double *beta, double epsilon,
                        int length)
{
    for (int i = 0; i < length; i++) {
        double *row = x + i * D, mean = 0.0, var = 0.0;
        for (int j = 0; j < D; j++)
            mean += row[j] / D;
        for (int j = 0; j < D; j++)
            var += (row[j] - mean) * (row[j] - mean) / D;
        for (int j = 0; j < D; j++)
            row[j] = gamma[j] * (row[j] - mean) / sqrt(var + epsilon) + beta[j];
    }
}

/* The whole model in double, and the mean cross-entropy over the targets
 * that count. Sinusoidal positions (encoder-only here) are constants,
 * computed as the library does in double. */
static double model_loss(void *context)
{
    plain_model *p = context;
    const al_model_config *c = &p->config;
    double x[L * D], y[L * D];
    for (int i = 0; i < L; i++)
        for (int j = 0; j < D; j++) {
            double pos = c->positions == AL_POSITIONS_LEARNED
                             ? p->pos[i * D + j]
                             : (j % 2 == 0 ? sin(i / pow(10000.0, (double)j / D))
                                           : cos(i / pow(10000.0, (double)(j - 1) / D)));
            x[i * D + j] = p->table[IDS[i] * D + j] + pos +
                           (c->segments ? p->seg[SEGMENTS[i] * D + j] : 0.0);
        }
    if (c->embedding_norm)
        norm_rows_n(x, p->embed_gamma, p->embed_beta, c->norm_epsilon, L);
    for (int l = 0; l < LAYERS; l++) {
        assert_true(plain_encoder_layer(y, x, &p->plain[l], L, c->norm == AL_NORM_PRE));
        memcpy(x, y, sizeof x);
    }
    if (c->norm == AL_NORM_PRE)
        norm_rows_n(x, p->final_gamma, p->final_beta, c->norm_epsilon, L);
    double total = 0.0;
    int counted = 0;
    for (int i = 0; i < L; i++) {
        if (TARGETS[i] == AL_IGNORE_TARGET)
            continue;
        double logits[V], max = -INFINITY, sum = 0.0;
        for (int v = 0; v < V; v++) {
            logits[v] = c->output_bias ? p->b_out[v] : 0.0;
            for (int j = 0; j < D; j++)
                logits[v] += x[i * D + j] * (c->tied_output ? p->table[v * D + j]
                                                            : p->w_out[j * V + v]);
            max = fmax(max, logits[v]);
        }
        for (int v = 0; v < V; v++)
            sum += exp(logits[v] - max);
        total += log(sum) - (logits[TARGETS[i]] - max);
        counted++;
    }
    return total / counted;
}

static void check_model(al_model_config config, uint64_t seed)
{
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    al_transformer model, grad;
    assert_int_equal(al_transformer_alloc(&model, &config, NULL), AL_OK);
    assert_int_equal(al_transformer_alloc(&grad, &config, NULL), AL_OK);
    al_transformer_init(&model, &rng);
    /* biases, gammas and betas drawn too: 0 and 1 would hide mistakes */
    for (int l = 0; l < LAYERS; l++) {
        const al_matrix *m[16];
        layer_matrices(m, &model, l);
        for (int k = 4; k < 16; k++)
            if (k != 10 && k != 12)
                al_rng_fill_uniform((al_matrix *)m[k], &rng, k == 8 || k == 14 ? 0.5f : -0.5f,
                                    k == 8 || k == 14 ? 1.5f : 0.5f);
    }
    al_layer_norm *norms[2] = {&model.decoder_norm, &model.embed_norm};
    for (int n = 0; n < 2; n++)
        if (norms[n]->gamma.data)
            al_rng_fill_uniform(&norms[n]->gamma, &rng, 0.5f, 1.5f),
                al_rng_fill_uniform(&norms[n]->beta, &rng, -0.5f, 0.5f);
    if (model.output.b.data)
        al_rng_fill_uniform(&model.output.b, &rng, -0.5f, 0.5f);
    /* the gradient starts at zero: alloc gives norms gamma = 1 */
    al_matrix *grad_gammas[8];
    int count = 0;
    for (int l = 0; l < LAYERS; l++) {
        const al_matrix *m[16];
        layer_matrices(m, &grad, l);
        grad_gammas[count++] = (al_matrix *)m[8], grad_gammas[count++] = (al_matrix *)m[14];
    }
    grad_gammas[count++] = &grad.decoder_norm.gamma, grad_gammas[count++] = &grad.embed_norm.gamma;
    for (int n = 0; n < count; n++)
        if (grad_gammas[n]->data)
            al_fill(grad_gammas[n], 0.0f);

    al_transformer_workspace ws;
    al_transformer_backward_workspace bw;
    assert_int_equal(al_transformer_workspace_alloc(&ws, &model, L, NULL), AL_OK);
    assert_int_equal(al_transformer_backward_workspace_alloc(&bw, &model, L, NULL), AL_OK);
    al_sequence input = {.length = L, .ids = IDS, .segments = config.segments ? SEGMENTS : NULL};
    al_error err;
    if (al_transformer_forward(&ws, &model, &input, NULL, NULL, NULL, &err) != AL_OK)
        fail_msg("forward: %s", err.message);
    float probs_data[L * V], dlogits_data[L * V];
    al_matrix logits = al_matrix_rows(&ws.logits, 0, L);
    al_matrix probs = al_matrix_wrap(probs_data, L, V);
    al_matrix dlogits = al_matrix_wrap(dlogits_data, L, V);
    double loss;
    assert_int_equal(al_cross_entropy(&loss, &probs, &logits, TARGETS, NULL), AL_OK);
    assert_int_equal(al_cross_entropy_backward(&dlogits, &probs, TARGETS, NULL), AL_OK);
    if (al_transformer_backward(&grad, &bw, &dlogits, &ws, &model, &input, NULL, &err) != AL_OK)
        fail_msg("backward: %s", err.message);

    static plain_model p;
    copy_model(&p, &model);
    double reference = model_loss(&p);
    print_message("loss %.9g, double reference %.9g\n", loss, reference);
    assert_close(loss, reference, 1e-5);

    const char *stack = config.family == AL_FAMILY_ENCODER_ONLY ? "enc" : "dec";
    struct { char name[48]; double *plain; const al_matrix *grad; } checks[12];
    int n = 0;
    snprintf(checks[n].name, 48, "embed.table"), checks[n].plain = p.table;
    checks[n++].grad = &grad.embed.table;
    if (config.positions == AL_POSITIONS_LEARNED)
        snprintf(checks[n].name, 48, "pos.table"), checks[n].plain = p.pos,
            checks[n++].grad = &grad.pos_table;
    if (config.segments)
        snprintf(checks[n].name, 48, "segment.table"), checks[n].plain = p.seg,
            checks[n++].grad = &grad.segment.table;
    if (config.embedding_norm)
        snprintf(checks[n].name, 48, "embed_norm.gamma"), checks[n].plain = p.embed_gamma,
            checks[n++].grad = &grad.embed_norm.gamma;
    if (!config.tied_output)
        snprintf(checks[n].name, 48, "logits.w"), checks[n].plain = p.w_out,
            checks[n++].grad = &grad.output.w;
    if (config.output_bias)
        snprintf(checks[n].name, 48, "logits.b"), checks[n].plain = p.b_out,
            checks[n++].grad = &grad.output.b;
    if (config.norm == AL_NORM_PRE)
        snprintf(checks[n].name, 48, "dec.norm.gamma"), checks[n].plain = p.final_gamma,
            checks[n++].grad = &grad.decoder_norm.gamma;
    const int picked[3] = {0, 8, 12};   /* W_Q, gamma1, W2 of each layer */
    const char *picked_names[3] = {"attn.w_q", "norm1.gamma", "ffn.w2"};
    for (int l = 0; l < LAYERS; l++) {
        const al_matrix *g[16];
        layer_matrices(g, &grad, l);
        for (int k = 0; k < 3 && n < 12; k++) {
            snprintf(checks[n].name, 48, "%s.%d.%s", stack, l, picked_names[k]);
            checks[n].plain = p.layer[l][picked[k]];
            checks[n++].grad = g[picked[k]];
        }
    }
    double numeric[MAX];
    for (int k = 0; k < n; k++) {
        const al_matrix *g = checks[k].grad;
        gc_central_differences(numeric, checks[k].plain, g->rows * g->cols, model_loss, &p);
        gc_expect_gradient(checks[k].name, g, numeric, FLOAT_GRADIENT, REASON);
    }
    al_transformer_backward_workspace_free(&bw);
    al_transformer_workspace_free(&ws);
    al_transformer_free(&model), al_transformer_free(&grad);
}

static al_model_config gpt(al_norm_placement norm, bool tied)
{
    return (al_model_config){
        .family = AL_FAMILY_DECODER_ONLY, .norm = norm, .d_model = D, .heads = HEADS,
        .decoder_layers = LAYERS, .d_ff = D_FF, .vocab_size = V,
        .positions = AL_POSITIONS_LEARNED, .max_positions = POSITIONS, .biases = true,
        .tied_output = tied, .output_bias = !tied, .norm_epsilon = AL_LAYER_NORM_EPSILON};
}

static void decoder_only_pre_norm_tied(void **state)
{
    (void)state;
    check_model(gpt(AL_NORM_PRE, true), 51);
}

static void decoder_only_post_norm_separate_output(void **state)
{
    (void)state;
    check_model(gpt(AL_NORM_POST, false), 52);
}

static void encoder_only_with_segments_and_embedding_norm(void **state)
{
    (void)state;
    al_model_config bert = {
        .family = AL_FAMILY_ENCODER_ONLY, .norm = AL_NORM_POST, .d_model = D, .heads = HEADS,
        .encoder_layers = LAYERS, .d_ff = D_FF, .vocab_size = V,
        .positions = AL_POSITIONS_SINUSOIDAL, .segments = 2, .biases = true,
        .tied_output = true, .output_bias = true, .embedding_norm = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    IDS = BERT_IDS;
    check_model(bert, 53);
    IDS = GPT_IDS;
}

/* ---- an encoder-decoder model ----------------------------------------------- */

/* A translation pair: the source "6 9 7 8" and the decoder reading
 * "<bos> 10 7 9 6" with targets "10 7 9 6 <eos>" (one ignored). */
enum { S = 4, T = 5, SEQ_TENSORS = 16 + 26 };
static const int SOURCE[S] = {6, 9, 7, 8};
static const int TARGET_IN[T] = {AL_TOKEN_BOS, 10, 7, 9, 6};
static const int TARGET_OUT[T] = {10, 7, AL_IGNORE_TARGET, 6, AL_TOKEN_EOS};

typedef struct plain_seq2seq {
    al_norm_placement norm;
    double epsilon;
    double table[V * D], enc_gamma[D], enc_beta[D], dec_gamma[D], dec_beta[D];
    double values[SEQ_TENSORS][D_FF * D];  /* encoder layer 0's 16, decoder layer 0's 26 */
    plain_encoder_weights encoder;
    plain_decoder_weights decoder;
} plain_seq2seq;

/* The 16 + 26 tensors of the encoder layer and the decoder layer, in the
 * order the plain structs read them. */
static void seq2seq_tensors(al_matrix *out[SEQ_TENSORS], al_transformer *m)
{
    al_encoder_layer *e = &m->encoder[0];
    al_decoder_layer *d = &m->decoder[0];
    al_matrix *all[SEQ_TENSORS] = {
        &e->attn.w_q, &e->attn.w_k, &e->attn.w_v, &e->attn.w_o, &e->attn.b_q, &e->attn.b_k,
        &e->attn.b_v, &e->attn.b_o, &e->attn_norm.gamma, &e->attn_norm.beta, &e->ffn.first.w,
        &e->ffn.first.b, &e->ffn.second.w, &e->ffn.second.b, &e->ffn_norm.gamma,
        &e->ffn_norm.beta,
        &d->self_attn.w_q, &d->self_attn.w_k, &d->self_attn.w_v, &d->self_attn.w_o,
        &d->self_attn.b_q, &d->self_attn.b_k, &d->self_attn.b_v, &d->self_attn.b_o,
        &d->cross_attn.w_q, &d->cross_attn.w_k, &d->cross_attn.w_v, &d->cross_attn.w_o,
        &d->cross_attn.b_q, &d->cross_attn.b_k, &d->cross_attn.b_v, &d->cross_attn.b_o,
        &d->self_attn_norm.gamma, &d->self_attn_norm.beta, &d->cross_attn_norm.gamma,
        &d->cross_attn_norm.beta, &d->ffn_norm.gamma, &d->ffn_norm.beta, &d->ffn.first.w,
        &d->ffn.first.b, &d->ffn.second.w, &d->ffn.second.b};
    memcpy(out, all, sizeof all);
}

static void sinusoid_rows(double *x, int length)
{
    for (int i = 0; i < length; i++)
        for (int j = 0; j < D; j++)
            x[i * D + j] += j % 2 == 0 ? sin(i / pow(10000.0, (double)j / D))
                                       : cos(i / pow(10000.0, (double)(j - 1) / D));
}

static double seq2seq_loss(void *context)
{
    plain_seq2seq *p = context;
    bool pre = p->norm == AL_NORM_PRE;
    double src[S * D], memory[S * D], x[T * D], y[T * D];
    for (int i = 0; i < S; i++)
        for (int j = 0; j < D; j++)
            src[i * D + j] = p->table[SOURCE[i] * D + j];
    sinusoid_rows(src, S);
    assert_true(plain_encoder_layer(memory, src, &p->encoder, S, pre));
    if (pre)
        norm_rows_n(memory, p->enc_gamma, p->enc_beta, p->epsilon, S);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < D; j++)
            x[i * D + j] = p->table[TARGET_IN[i] * D + j];
    sinusoid_rows(x, T);
    assert_true(plain_decoder_layer(y, x, memory, &p->decoder, T, S, pre));
    if (pre)
        norm_rows_n(y, p->dec_gamma, p->dec_beta, p->epsilon, T);
    double total = 0.0;
    int counted = 0;
    for (int i = 0; i < T; i++) {
        if (TARGET_OUT[i] == AL_IGNORE_TARGET)
            continue;
        double logits[V], max = -INFINITY, sum = 0.0;
        for (int v = 0; v < V; v++) {
            logits[v] = 0.0;
            for (int j = 0; j < D; j++)
                logits[v] += y[i * D + j] * p->table[v * D + j];  /* tied */
            max = fmax(max, logits[v]);
        }
        for (int v = 0; v < V; v++)
            sum += exp(logits[v] - max);
        total += log(sum) - (logits[TARGET_OUT[i]] - max);
        counted++;
    }
    return total / counted;
}

static void check_encoder_decoder(al_norm_placement norm, uint64_t seed)
{
    al_model_config config = {
        .family = AL_FAMILY_ENCODER_DECODER, .norm = norm, .d_model = D, .heads = HEADS,
        .encoder_layers = 1, .decoder_layers = 1, .d_ff = D_FF, .vocab_size = V,
        .positions = AL_POSITIONS_SINUSOIDAL, .biases = true, .tied_output = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    al_transformer model, grad;
    assert_int_equal(al_transformer_alloc(&model, &config, NULL), AL_OK);
    assert_int_equal(al_transformer_alloc(&grad, &config, NULL), AL_OK);
    al_transformer_init(&model, &rng);
    al_scale(&model.embed.table, &model.embed.table, 0.5f, NULL);
    al_matrix *t[SEQ_TENSORS], *g[SEQ_TENSORS];
    seq2seq_tensors(t, &model), seq2seq_tensors(g, &grad);
    /* biases, betas drawn around 0, gammas around 1; weights stay Glorot */
    const bool is_gamma[SEQ_TENSORS] = {[8] = 1, [14] = 1, [32] = 1, [34] = 1, [36] = 1};
    const bool is_weight[SEQ_TENSORS] = {[0] = 1, 1, 1, 1, [10] = 1, [12] = 1, [16] = 1, 1, 1,
                                         1, 1, 1, 1, 1, [38] = 1, [40] = 1};
    for (int k = 0; k < SEQ_TENSORS; k++) {
        if (is_gamma[k])
            al_rng_fill_uniform(t[k], &rng, 0.5f, 1.5f), al_fill(g[k], 0.0f);
        else if (!is_weight[k])
            al_rng_fill_uniform(t[k], &rng, -0.5f, 0.5f);
    }
    al_layer_norm *finals[2] = {&model.encoder_norm, &model.decoder_norm};
    al_layer_norm *grad_finals[2] = {&grad.encoder_norm, &grad.decoder_norm};
    for (int n = 0; n < 2 && norm == AL_NORM_PRE; n++) {
        al_rng_fill_uniform(&finals[n]->gamma, &rng, 0.5f, 1.5f);
        al_rng_fill_uniform(&finals[n]->beta, &rng, -0.5f, 0.5f);
        al_fill(&grad_finals[n]->gamma, 0.0f);
    }

    al_transformer_workspace ws;
    al_transformer_backward_workspace bw;
    assert_int_equal(al_transformer_workspace_alloc(&ws, &model, T, NULL), AL_OK);
    assert_int_equal(al_transformer_backward_workspace_alloc(&bw, &model, T, NULL), AL_OK);
    al_sequence source = {.length = S, .ids = SOURCE}, target = {.length = T, .ids = TARGET_IN};
    al_error err;
    if (al_transformer_forward(&ws, &model, &source, &target, NULL, NULL, &err) != AL_OK)
        fail_msg("forward: %s", err.message);
    float probs_data[T * V], dlogits_data[T * V];
    al_matrix logits = al_matrix_rows(&ws.logits, 0, T);
    al_matrix probs = al_matrix_wrap(probs_data, T, V);
    al_matrix dlogits = al_matrix_wrap(dlogits_data, T, V);
    double loss;
    assert_int_equal(al_cross_entropy(&loss, &probs, &logits, TARGET_OUT, NULL), AL_OK);
    assert_int_equal(al_cross_entropy_backward(&dlogits, &probs, TARGET_OUT, NULL), AL_OK);
    if (al_transformer_backward(&grad, &bw, &dlogits, &ws, &model, &source, &target, &err) !=
        AL_OK)
        fail_msg("backward: %s", err.message);

    static plain_seq2seq p;
    p.norm = norm, p.epsilon = config.norm_epsilon;
    gc_to_double(p.table, &model.embed.table);
    if (norm == AL_NORM_PRE) {
        gc_to_double(p.enc_gamma, &model.encoder_norm.gamma);
        gc_to_double(p.enc_beta, &model.encoder_norm.beta);
        gc_to_double(p.dec_gamma, &model.decoder_norm.gamma);
        gc_to_double(p.dec_beta, &model.decoder_norm.beta);
    }
    for (int k = 0; k < SEQ_TENSORS; k++)
        gc_to_double(p.values[k], t[k]);
    double (*v)[D_FF * D] = p.values;
    p.encoder = (plain_encoder_weights){
        .d_model = D, .heads = HEADS, .d_ff = D_FF, .w_q = v[0], .w_k = v[1], .w_v = v[2],
        .w_o = v[3], .b_q = v[4], .b_k = v[5], .b_v = v[6], .b_o = v[7], .gamma1 = v[8],
        .beta1 = v[9], .w1 = v[10], .b1 = v[11], .w2 = v[12], .b2 = v[13], .gamma2 = v[14],
        .beta2 = v[15], .epsilon = config.norm_epsilon};
    p.decoder = (plain_decoder_weights){
        .d_model = D, .heads = HEADS, .d_ff = D_FF,
        .self = {v[16], v[17], v[18], v[19], v[20], v[21], v[22], v[23]},
        .cross = {v[24], v[25], v[26], v[27], v[28], v[29], v[30], v[31]},
        .gamma1 = v[32], .beta1 = v[33], .gamma2 = v[34], .beta2 = v[35], .gamma3 = v[36],
        .beta3 = v[37], .w1 = v[38], .b1 = v[39], .w2 = v[40], .b2 = v[41],
        .epsilon = config.norm_epsilon};
    double reference = seq2seq_loss(&p);
    print_message("encoder-decoder loss %.9g, double reference %.9g\n", loss, reference);
    assert_close(loss, reference, 1e-5);

    double numeric[MAX];
    gc_central_differences(numeric, p.table, V * D, seq2seq_loss, &p);
    gc_expect_gradient("embed.table (both stacks and the output)", &grad.embed.table, numeric,
                       FLOAT_GRADIENT, REASON);
    const int picked[] = {0, 8, 12, 16, 25, 26, 34, 40};
    const char *names[] = {"enc.0.attn.w_q", "enc.0.norm1.gamma", "enc.0.ffn.w2",
                           "dec.0.self_attn.w_q", "dec.0.cross_attn.w_k",
                           "dec.0.cross_attn.w_v", "dec.0.norm2.gamma", "dec.0.ffn.w2"};
    for (size_t n = 0; n < sizeof picked / sizeof picked[0]; n++) {
        int k = picked[n];
        gc_central_differences(numeric, p.values[k], t[k]->rows * t[k]->cols, seq2seq_loss, &p);
        gc_expect_gradient(names[n], g[k], numeric, FLOAT_GRADIENT, REASON);
    }
    if (norm == AL_NORM_PRE) {
        gc_central_differences(numeric, p.enc_gamma, D, seq2seq_loss, &p);
        gc_expect_gradient("enc.norm.gamma", &grad.encoder_norm.gamma, numeric, FLOAT_GRADIENT,
                           REASON);
    }
    al_transformer_backward_workspace_free(&bw);
    al_transformer_workspace_free(&ws);
    al_transformer_free(&model), al_transformer_free(&grad);
}

static void encoder_decoder_post_norm(void **state)
{
    (void)state;
    check_encoder_decoder(AL_NORM_POST, 54);
}

static void encoder_decoder_pre_norm(void **state)
{
    (void)state;
    check_encoder_decoder(AL_NORM_PRE, 55);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoder_only_pre_norm_tied),
        cmocka_unit_test(decoder_only_post_norm_separate_output),
        cmocka_unit_test(encoder_only_with_segments_and_embedding_norm),
        cmocka_unit_test(encoder_decoder_post_norm),
        cmocka_unit_test(encoder_decoder_pre_norm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
