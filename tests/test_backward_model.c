/* test_backward_model.c: al_transformer_backward for a whole small
 * decoder-only model (GPT-style: token and learned position embeddings, two
 * masked layers, the final norm of a pre-norm stack, the output layer,
 * softmax cross-entropy with a padding position ignored) and an
 * encoder-only one (BERT-style: segments, an embedding norm, post-norm),
 * against central finite differences of the same model written in double:
 * lookups and the output here, each layer by plain_encoder_layer
 * (plain_reference.c). Tied and separate output weights.
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

static void widen(double *out, const al_matrix *m)
{
    gc_to_double(out, m);
}

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
    widen(p->table, &model->embed.table);
    if (model->pos_table.data)
        widen(p->pos, &model->pos_table);
    if (model->segment.table.data)
        widen(p->seg, &model->segment.table);
    if (model->embed_norm.gamma.data) {
        widen(p->embed_gamma, &model->embed_norm.gamma);
        widen(p->embed_beta, &model->embed_norm.beta);
    }
    const al_layer_norm *final = &model->decoder_norm;
    if (final->gamma.data)
        widen(p->final_gamma, &final->gamma), widen(p->final_beta, &final->beta);
    if (model->output.w.data)
        widen(p->w_out, &model->output.w);
    if (model->output.b.data)
        widen(p->b_out, &model->output.b);
    for (int l = 0; l < LAYERS; l++) {
        const al_matrix *m[16];
        layer_matrices(m, model, l);
        for (int k = 0; k < 16; k++)
            widen(p->layer[l][k], m[k]);
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

static void norm_rows(double *x, const double *gamma, const double *beta, double epsilon)
{
    for (int i = 0; i < L; i++) {
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
        norm_rows(x, p->embed_gamma, p->embed_beta, c->norm_epsilon);
    for (int l = 0; l < LAYERS; l++) {
        assert_true(plain_encoder_layer(y, x, &p->plain[l], L, c->norm == AL_NORM_PRE));
        memcpy(x, y, sizeof x);
    }
    if (c->norm == AL_NORM_PRE)
        norm_rows(x, p->final_gamma, p->final_beta, c->norm_epsilon);
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
    if (al_transformer_backward(&grad, &bw, &dlogits, &ws, &model, &input, &err) != AL_OK)
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoder_only_pre_norm_tied),
        cmocka_unit_test(decoder_only_post_norm_separate_output),
        cmocka_unit_test(encoder_only_with_segments_and_embedding_norm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
