/* test_transformer.c: whole models of the three families: what each
 * token may see (bidirectional encoder, causal decoder, bit for bit),
 * the output layer (tied weights, rows of probabilities), parameters by
 * layout name and their count against param_count.h, model files (save,
 * load, the same forward pass to the last bit), seeded initialisation,
 * refusals, and generation (greedy against the model's own argmax, beam
 * width 1, seeded sampling, the names each step traces). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/generate.h"
#include "attnlab/model_layout.h"
#include "attnlab/param_count.h"
#include "attnlab/transformer.h"
#include "check.h"
#include "trace_capture.h"

#define V 14
#define MAX 8

/* A dot product of 8 float32 products of numbers below 4 in size, against
 * the same in double: within a few units in the last place of 30. */
#define DOT_TOLERANCE 2e-5

/* Softmax rows are normalised by one float32 division per entry, and V
 * entries are added: within V · 2^-24 of 1. */
#define ROW_SUM_TOLERANCE (V * 6e-8)

static const char *const WORDS[V] = {"<pad>", "<unk>", "<bos>", "<eos>", "[CLS]", "[MASK]",
                                     "the", "cat", "walks", "by", "bank", "le", "chat", "marche"};

static al_model_config config_for(al_family family)
{
    al_model_config c = {.family = family, .norm = AL_NORM_POST, .d_model = 8, .heads = 2,
                         .encoder_layers = family == AL_FAMILY_DECODER_ONLY ? 0 : 2,
                         .decoder_layers = family == AL_FAMILY_ENCODER_ONLY ? 0 : 2,
                         .d_ff = 16, .vocab_size = V, .positions = AL_POSITIONS_SINUSOIDAL,
                         .biases = true, .norm_epsilon = 1e-5f};
    return c;
}

typedef struct model_case {
    al_transformer model;
    al_transformer_workspace ws;
} model_case;

static void model_start(model_case *m, const al_model_config *config, uint64_t seed)
{
    al_error err;
    if (al_transformer_alloc(&m->model, config, &err) != AL_OK)
        fail_msg("%s", err.message);
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    al_transformer_init(&m->model, &rng);
    assert_int_equal(al_transformer_workspace_alloc(&m->ws, &m->model, MAX, NULL), AL_OK);
}

static void model_end(model_case *m)
{
    al_transformer_workspace_free(&m->ws);
    al_transformer_free(&m->model);
}

static void forward(model_case *m, const al_sequence *input, const al_sequence *target)
{
    al_error err;
    if (al_transformer_forward(&m->ws, &m->model, input, target, WORDS, NULL, &err) != AL_OK)
        fail_msg("%s", err.message);
}

/* A copy of the top rows x cols of m, for comparing two passes; free(). */
static float *copy_rows(const al_matrix *m, int rows)
{
    float *copy = malloc((size_t)rows * m->cols * sizeof *copy);
    assert_non_null(copy);
    for (int i = 0; i < rows; i++)
        memcpy(copy + (size_t)i * m->cols, al_at(m, i, 0), (size_t)m->cols * sizeof *copy);
    return copy;
}

/* How many of the top rows of m equal before, bit for bit. */
static int rows_unchanged(const float *before, const al_matrix *m, int rows)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < m->cols; j++)
            if (before[(size_t)i * m->cols + j] != *al_at(m, i, j))
                return i;
    return rows;
}

/* --- what each token sees ----------------------------------------------------------- */

/* GPT-style: changing the last word leaves every earlier row of the
 * logits the same to the last bit (rows 0-3 of 5), and changes the last. */
static void decoder_only_is_causal(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_DECODER_ONLY);
    model_case m;
    model_start(&m, &c, 1);
    int ids[5] = {6, 7, 8, 9, 10};
    al_sequence sentence = {.length = 5, .ids = ids};
    forward(&m, &sentence, NULL);
    float *before = copy_rows(&m.ws.logits, 5);
    ids[4] = 12;
    forward(&m, &sentence, NULL);
    assert_int_equal(rows_unchanged(before, &m.ws.logits, 5), 4);
    free(before);
    model_end(&m);
}

/* BERT-style: changing the last word changes the [CLS] row and the
 * summary: the encoder has no mask, so row 0 reads every token. */
static void encoder_only_sees_later_tokens(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_ENCODER_ONLY);
    model_case m;
    model_start(&m, &c, 2);
    int ids[4] = {AL_TOKEN_CLS, 6, 7, 8};
    al_sequence sentence = {.length = 4, .ids = ids};
    forward(&m, &sentence, NULL);
    float *before = copy_rows(&m.ws.final.value, 4);
    float cls_before = *al_at(&m.ws.cls, 0, 0);
    ids[3] = 10;
    forward(&m, &sentence, NULL);
    assert_int_equal(rows_unchanged(before, &m.ws.final.value, 4), 0);
    assert_true(*al_at(&m.ws.cls, 0, 0) != cls_before);
    assert_same_float(*al_at(&m.ws.cls, 0, 1), *al_at(&m.ws.final.value, 0, 1));
    free(before);
    model_end(&m);
}

/* Encoder-decoder: a later target token changes nothing before it; a
 * source token changes every target row (cross-attention reads it all). */
static void encoder_decoder_sees_all_source_and_past_target(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_ENCODER_DECODER);
    model_case m;
    model_start(&m, &c, 3);
    int source[3] = {6, 7, 8}, target[4] = {AL_TOKEN_BOS, 11, 12, 13};
    al_sequence src = {.length = 3, .ids = source}, tgt = {.length = 4, .ids = target};
    forward(&m, &src, &tgt);
    float *before = copy_rows(&m.ws.logits, 4);
    target[3] = 6;
    forward(&m, &src, &tgt);
    assert_int_equal(rows_unchanged(before, &m.ws.logits, 4), 3);
    target[3] = 13;
    source[2] = 9;
    forward(&m, &src, &tgt);
    for (int i = 0; i < 4; i++) {
        float *row = before + (size_t)i * V;
        bool differs = false;
        for (int j = 0; j < V; j++)
            differs = differs || row[j] != *al_at(&m.ws.logits, i, j);
        assert_true(differs);
    }
    free(before);
    model_end(&m);
}

/* --- the output layer ----------------------------------------------------------------- */

/* Tied output weights: logits[i][v] = final row i · embed.table row v
 * (+ logits.b[v]), recomputed here in double. */
static void tied_logits_are_dot_products_with_embeddings(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_DECODER_ONLY);
    c.tied_output = true;
    c.output_bias = true;
    model_case m;
    model_start(&m, &c, 4);
    assert_null(al_transformer_param(&m.model, "logits.w"));
    al_matrix *bias = al_transformer_param(&m.model, "logits.b");
    assert_non_null(bias);
    for (int v = 0; v < V; v++)
        *al_at(bias, 0, v) = 0.25f * (float)v;
    int ids[3] = {6, 7, 8};
    al_sequence sentence = {.length = 3, .ids = ids};
    forward(&m, &sentence, NULL);
    for (int i = 0; i < 3; i++)
        for (int v = 0; v < V; v++) {
            double dot = 0.25 * v;
            for (int j = 0; j < c.d_model; j++)
                dot += (double)*al_at(&m.ws.final.value, i, j) *
                       *al_at(&m.model.embed.table, v, j);
            assert_close(*al_at(&m.ws.logits, i, v), dot, DOT_TOLERANCE);
        }
    model_end(&m);
}

/* Every row of probs sums to 1 and orders the words as the logits do. */
static void probs_are_softmax_rows(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_ENCODER_ONLY);
    model_case m;
    model_start(&m, &c, 5);
    int ids[4] = {AL_TOKEN_CLS, 6, AL_TOKEN_MASK, 8};
    al_sequence sentence = {.length = 4, .ids = ids};
    forward(&m, &sentence, NULL);
    for (int i = 0; i < 4; i++) {
        double sum = 0.0;
        for (int v = 0; v < V; v++) {
            sum += *al_at(&m.ws.probs, i, v);
            if (v > 0)
                assert_true((*al_at(&m.ws.logits, i, v) > *al_at(&m.ws.logits, i, 0)) ==
                            (*al_at(&m.ws.probs, i, v) > *al_at(&m.ws.probs, i, 0)));
        }
        assert_close(sum, 1.0, ROW_SUM_TOLERANCE);
    }
    model_end(&m);
}

/* --- parameters ------------------------------------------------------------------------- */

/* Every tensor model_layout.h lists is in the built model under its name
 * with its shape, and the model's total equals param_count.h's. */
static void check_layout(const al_model_config *c)
{
    model_case m;
    model_start(&m, c, 6);
    int count;
    assert_int_equal(al_model_layout(NULL, 0, &count, c, NULL), AL_OK);
    al_param_spec *specs = malloc((size_t)count * sizeof *specs);
    assert_non_null(specs);
    assert_int_equal(al_model_layout(specs, count, &count, c, NULL), AL_OK);
    for (int k = 0; k < count; k++) {
        al_matrix *p = al_transformer_param(&m.model, specs[k].name);
        if (!p)
            fail_msg("the model has no tensor %s", specs[k].name);
        assert_int_equal(p->rows, specs[k].rows);
        assert_int_equal(p->cols, specs[k].cols);
    }
    al_param_count expected;
    assert_int_equal(al_param_count_config(&expected, c, NULL), AL_OK);
    assert_int_equal(al_transformer_param_total(&m.model), expected.total);
    free(specs);
    model_end(&m);
}

static void parameters_match_the_layout(void **state)
{
    (void)state;
    al_model_config a = config_for(AL_FAMILY_ENCODER_DECODER);
    a.tied_output = true;
    check_layout(&a);
    al_model_config b = config_for(AL_FAMILY_ENCODER_ONLY);
    b.norm = AL_NORM_PRE, b.positions = AL_POSITIONS_LEARNED, b.max_positions = MAX;
    b.segments = 2, b.embedding_norm = true, b.pooler = true, b.output_bias = true;
    check_layout(&b);
    al_model_config c = config_for(AL_FAMILY_DECODER_ONLY);
    c.norm = AL_NORM_PRE, c.biases = false, c.positions = AL_POSITIONS_LEARNED;
    c.max_positions = MAX + 4;
    check_layout(&c);
    al_model_config d = config_for(AL_FAMILY_ENCODER_DECODER);
    d.norm = AL_NORM_PRE, d.encoder_layers = 3, d.decoder_layers = 1, d.output_bias = true;
    check_layout(&d);
}

static void unknown_parameter_is_null(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_DECODER_ONLY);
    model_case m;
    model_start(&m, &c, 7);
    assert_null(al_transformer_param(&m.model, "enc.0.attn.w_q"));
    assert_null(al_transformer_param(&m.model, "dec.0.cross_attn.w_q"));
    assert_null(al_transformer_param(&m.model, "dec.2.self_attn.w_q"));
    assert_ptr_equal(al_transformer_param(&m.model, "dec.1.norm2.gamma"),
                     &m.model.decoder[1].ffn_norm.gamma);
    model_end(&m);
}

/* The same seed gives the same weights; another seed, others. */
static void init_is_seeded(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_ENCODER_DECODER);
    model_case a, b, other;
    model_start(&a, &c, 11);
    model_start(&b, &c, 11);
    model_start(&other, &c, 12);
    const char *names[] = {"embed.table", "enc.1.ffn.w2", "dec.0.cross_attn.w_o", "logits.w"};
    for (int k = 0; k < 4; k++) {
        al_matrix *pa = al_transformer_param(&a.model, names[k]);
        assert_same_float(al_max_abs_diff(pa, al_transformer_param(&b.model, names[k])), 0.0f);
        assert_true(al_max_abs_diff(pa, al_transformer_param(&other.model, names[k])) > 0.0f);
    }
    model_end(&a);
    model_end(&b);
    model_end(&other);
}

/* A hand-chosen weight set through al_transformer_param takes effect. */
static void hand_set_weight_changes_the_pass(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_DECODER_ONLY);
    model_case m;
    model_start(&m, &c, 13);
    int ids[2] = {6, 7};
    al_sequence sentence = {.length = 2, .ids = ids};
    forward(&m, &sentence, NULL);
    float before = *al_at(&m.ws.logits, 1, 10);
    al_matrix *w = al_transformer_param(&m.model, "logits.w");
    for (int j = 0; j < c.d_model; j++)
        *al_at(w, j, 10) = 0.0f;
    forward(&m, &sentence, NULL);
    assert_true(before != 0.0f);
    assert_same_float(*al_at(&m.ws.logits, 1, 10), 0.0f);
    model_end(&m);
}

/* --- model files ------------------------------------------------------------------------ */

static void vocabulary(al_vocab *vocab)
{
    assert_int_equal(al_vocab_from_words(vocab, WORDS, V, NULL), AL_OK);
}

/* Read a whole file; free(). */
static char *slurp(const char *path, long *size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    rewind(f);
    char *text = malloc((size_t)*size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)*size, f), (size_t)*size);
    fclose(f);
    return text;
}

/* Trace a forward pass of model on a fixed pair into path. */
static void traced_pass(al_transformer_workspace *ws, const al_transformer *model,
                        const char *path)
{
    int source[3] = {6, 7, 8}, target[2] = {AL_TOKEN_BOS, 11};
    const char *source_labels[3] = {"the", "cat", "walks"}, *target_labels[2] = {"<bos>", "le"};
    al_sequence src = {3, source, source_labels, NULL}, tgt = {2, target, target_labels, NULL};
    al_trace_options options = {.program = "test", .seed = 1};
    al_trace *trace;
    al_error err;
    assert_int_equal(al_trace_open(&trace, path, &options, NULL), AL_OK);
    if (al_transformer_forward(ws, model, &src, &tgt, WORDS, trace, &err) != AL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(al_trace_close(trace, NULL), AL_OK);
}

/* Save, load, run both: the traces (every tensor, every parameter) are
 * the same bytes, and so the logits are the same bits. */
static void save_load_gives_the_same_pass(void **state)
{
    (void)state;
    char folder[] = "/tmp/attnlab-transformer-XXXXXX";
    assert_non_null(mkdtemp(folder));
    char file[64], trace_a[64], trace_b[64];
    snprintf(file, sizeof file, "%s/m.safetensors", folder);
    snprintf(trace_a, sizeof trace_a, "%s/a.jsonl", folder);
    snprintf(trace_b, sizeof trace_b, "%s/b.jsonl", folder);

    al_model_config c = config_for(AL_FAMILY_ENCODER_DECODER);
    c.norm = AL_NORM_PRE, c.output_bias = true;
    model_case m;
    model_start(&m, &c, 21);
    al_vocab vocab;
    vocabulary(&vocab);
    al_error err;
    if (al_transformer_save(&m.model, &vocab, file, &err) != AL_OK)
        fail_msg("%s", err.message);
    traced_pass(&m.ws, &m.model, trace_a);

    al_transformer loaded;
    al_vocab loaded_vocab;
    if (al_transformer_load(&loaded, &loaded_vocab, file, &c, &err) != AL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(loaded_vocab.size, V);
    assert_string_equal(al_vocab_word(&loaded_vocab, 12), "chat");
    al_transformer_workspace ws;
    assert_int_equal(al_transformer_workspace_alloc(&ws, &loaded, MAX, NULL), AL_OK);
    traced_pass(&ws, &loaded, trace_b);

    long size_a, size_b;
    char *a = slurp(trace_a, &size_a), *b = slurp(trace_b, &size_b);
    assert_int_equal(size_a, size_b);
    assert_memory_equal(a, b, (size_t)size_a);
    assert_memory_equal(al_at(&m.ws.logits, 0, 0), al_at(&ws.logits, 0, 0),
                        2 * V * sizeof(float));
    free(a);
    free(b);
    al_transformer_workspace_free(&ws);
    al_transformer_free(&loaded);
    al_vocab_free(&loaded_vocab);
    al_vocab_free(&vocab);
    model_end(&m);
    remove(file), remove(trace_a), remove(trace_b), rmdir(folder);
}

/* A file of another configuration is refused when one is expected. */
static void load_refuses_another_configuration(void **state)
{
    (void)state;
    char folder[] = "/tmp/attnlab-transformer-XXXXXX";
    assert_non_null(mkdtemp(folder));
    char file[64];
    snprintf(file, sizeof file, "%s/m.safetensors", folder);
    al_model_config c = config_for(AL_FAMILY_DECODER_ONLY);
    model_case m;
    model_start(&m, &c, 22);
    al_vocab vocab;
    vocabulary(&vocab);
    assert_int_equal(al_transformer_save(&m.model, &vocab, file, NULL), AL_OK);
    al_model_config other = c;
    other.d_model = 4;
    al_transformer loaded;
    al_vocab loaded_vocab;
    al_error err;
    assert_int_equal(al_transformer_load(&loaded, &loaded_vocab, file, &other, &err),
                     AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "the file's d_model is 8 but 4 was expected"));
    assert_null(loaded.encoder);
    assert_int_equal(loaded_vocab.size, 0);
    al_vocab_free(&vocab);
    model_end(&m);
    remove(file), rmdir(folder);
}

/* --- refusals ----------------------------------------------------------------------------- */

static void refusals(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_ENCODER_ONLY);
    model_case m;
    model_start(&m, &c, 31);
    al_error err;
    int ids[MAX + 1] = {6, 7, 8, 9, 10, 11, 12, 13, 6};
    al_sequence no_cls = {.length = 3, .ids = ids};
    assert_int_equal(al_transformer_forward(&m.ws, &m.model, &no_cls, NULL, NULL, NULL, &err),
                     AL_ERR_ARG);
    assert_string_equal(err.message, "an encoder-only model reads [CLS] first (its final "
                                     "vector is the sentence's summary); the sentence starts "
                                     "with id 6");
    assert_int_equal(al_transformer_forward(&m.ws, &m.model, &no_cls, &no_cls, NULL, NULL,
                                            &err), AL_ERR_ARG);
    al_sequence too_long = {.length = MAX + 1, .ids = ids};
    assert_int_equal(al_transformer_forward(&m.ws, &m.model, &too_long, NULL, NULL, NULL,
                                            &err), AL_ERR_SHAPE);
    assert_string_equal(err.message, "the input has 9 tokens; the workspace holds 1 to 8");
    int bad[2] = {AL_TOKEN_CLS, V};
    al_sequence outside = {.length = 2, .ids = bad};
    assert_int_equal(al_transformer_forward(&m.ws, &m.model, &outside, NULL, NULL, NULL, &err),
                     AL_ERR_VALUE);
    assert_string_equal(err.message, "the input's token 1 has id 14, outside the vocabulary "
                                     "(0 to 13)");
    model_end(&m);

    al_model_config d = config_for(AL_FAMILY_ENCODER_DECODER);
    model_start(&m, &d, 32);
    al_sequence source = {.length = 2, .ids = ids};
    assert_int_equal(al_transformer_forward(&m.ws, &m.model, &source, NULL, NULL, NULL, &err),
                     AL_ERR_ARG);
    assert_int_equal(al_transformer_decode(&m.ws, &m.model, &source, NULL, NULL, &err),
                     AL_ERR_ARG);
    assert_string_equal(err.message, "the decoder attends to the encoder's output: encode the "
                                     "source first");
    model_end(&m);

    al_model_config e = config_for(AL_FAMILY_DECODER_ONLY);
    e.positions = AL_POSITIONS_LEARNED, e.max_positions = 4;
    model_start(&m, &e, 33);
    al_sequence five = {.length = 5, .ids = ids};
    assert_int_equal(al_transformer_forward(&m.ws, &m.model, &five, NULL, NULL, NULL, &err),
                     AL_ERR_VALUE);
    assert_string_equal(err.message, "the input has 5 tokens but the model's learned positions "
                                     "stop at 4");
    model_end(&m);
}

/* --- generation ----------------------------------------------------------------------------- */

static al_generate_options greedy_options(int max_tokens)
{
    return (al_generate_options){.sampling = {.method = AL_SAMPLE_GREEDY},
                                 .max_tokens = max_tokens};
}

/* The index of the largest entry of row i (the lowest on a tie). */
static int argmax_row(const al_matrix *m, int i)
{
    int best = 0;
    for (int v = 1; v < m->cols; v++)
        if (*al_at(m, i, v) > *al_at(m, i, best))
            best = v;
    return best;
}

/* Greedy generation agrees with one teacher-forced pass over what it
 * generated: at every row the argmax is the next generated token. */
static void greedy_agrees_with_a_full_pass(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_ENCODER_DECODER);
    model_case m;
    model_start(&m, &c, 41);
    int source_ids[3] = {6, 7, 8};
    al_sequence source = {.length = 3, .ids = source_ids};
    int tokens[5], length;
    al_generate_options options = greedy_options(5);
    al_error err;
    if (al_transformer_generate(tokens, &length, &m.ws, &m.model, &source, &options, NULL,
                                WORDS, NULL, &err) != AL_OK)
        fail_msg("%s", err.message);
    assert_true(length >= 1 && length <= 5);
    int target_ids[MAX] = {AL_TOKEN_BOS};
    for (int t = 0; t + 1 < length; t++)
        target_ids[t + 1] = tokens[t];
    al_sequence target = {.length = length, .ids = target_ids};
    forward(&m, &source, &target);
    for (int t = 0; t < length; t++)
        assert_int_equal(argmax_row(&m.ws.logits, t), tokens[t]);
    model_end(&m);
}

/* Beam search of width 1 keeps only the best token at each step: greedy. */
static void beam_width_one_is_greedy(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_DECODER_ONLY);
    model_case m;
    model_start(&m, &c, 42);
    int prompt_ids[2] = {6, 7};
    al_sequence prompt = {.length = 2, .ids = prompt_ids};
    int greedy[6], beam[6], greedy_length, beam_length;
    al_generate_options options = greedy_options(6);
    assert_int_equal(al_transformer_generate(greedy, &greedy_length, &m.ws, &m.model, &prompt,
                                             &options, NULL, NULL, NULL, NULL), AL_OK);
    options.beam_width = 1;
    assert_int_equal(al_transformer_generate(beam, &beam_length, &m.ws, &m.model, &prompt,
                                             &options, NULL, NULL, NULL, NULL), AL_OK);
    assert_int_equal(beam_length, greedy_length);
    assert_memory_equal(beam, greedy, (size_t)greedy_length * sizeof(int));
    model_end(&m);
}

/* The same seed draws the same tokens. */
static void sampling_is_seeded(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_ENCODER_DECODER);
    model_case m;
    model_start(&m, &c, 43);
    int source_ids[2] = {9, 10};
    al_sequence source = {.length = 2, .ids = source_ids};
    al_generate_options options = {.sampling = {.method = AL_SAMPLE_TEMPERATURE,
                                                .temperature = 2.0f},
                                   .max_tokens = 6};
    int first[6], second[6], first_length, second_length;
    al_rng rng;
    al_rng_seed(&rng, 5, 1);
    assert_int_equal(al_transformer_generate(first, &first_length, &m.ws, &m.model, &source,
                                             &options, &rng, NULL, NULL, NULL), AL_OK);
    al_rng_seed(&rng, 5, 1);
    assert_int_equal(al_transformer_generate(second, &second_length, &m.ws, &m.model, &source,
                                             &options, &rng, NULL, NULL, NULL), AL_OK);
    assert_int_equal(first_length, second_length);
    assert_memory_equal(first, second, (size_t)first_length * sizeof(int));
    assert_int_equal(al_transformer_generate(first, &first_length, &m.ws, &m.model, &source,
                                             &options, NULL, NULL, NULL, NULL), AL_ERR_ARG);
    model_end(&m);
}

/* Each step's pass is traced under step<t>., its choice under
 * step<t>.next; the encoder once, unprefixed. */
static void generation_step_names(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_ENCODER_DECODER);
    model_case m;
    model_start(&m, &c, 44);
    int source_ids[3] = {6, 7, 8};
    const char *labels[3] = {"the", "cat", "walks"};
    al_sequence source = {.length = 3, .ids = source_ids, .labels = labels};
    trace_capture t;
    capture_start(&t);
    int tokens[2], length;
    al_generate_options options = greedy_options(2);
    assert_int_equal(al_transformer_generate(tokens, &length, &m.ws, &m.model, &source,
                                             &options, NULL, WORDS, t.trace, NULL), AL_OK);
    capture_finish(&t);
    assert_trace_has(&t, "\"name\": \"enc.1.norm2\", \"role\": \"activation\"");
    assert_trace_has(&t, "\"name\": \"step0.dec.tokens\", \"role\": \"input\"");
    assert_trace_has(&t, "\"name\": \"step0.dec.0.cross_attn.k\", \"role\": \"activation\", "
                         "\"op\": \"linear\", \"inputs\": [\"enc.1.norm2\"");
    assert_trace_has(&t, "\"name\": \"step0.next.logits\", \"role\": \"activation\", \"op\": "
                         "\"take_row\", \"inputs\": [\"step0.logits\"]");
    assert_trace_has(&t, "\"name\": \"step0.next.token\", \"role\": \"output\", \"op\": "
                         "\"argmax\", \"inputs\": [\"step0.next.logits\"]");
    if (length == 2)
        assert_trace_has(&t, "\"name\": \"step1.dec.1.cross_attn.h1.weights\"");
    assert_null(strstr(t.text, "\"name\": \"dec.0."));
    capture_free(&t);
    model_end(&m);
}

static void encoder_only_does_not_generate(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_ENCODER_ONLY);
    model_case m;
    model_start(&m, &c, 45);
    int ids[2] = {AL_TOKEN_CLS, 6};
    al_sequence sentence = {.length = 2, .ids = ids};
    int tokens[2], length;
    al_generate_options options = greedy_options(2);
    al_error err;
    assert_int_equal(al_transformer_generate(tokens, &length, &m.ws, &m.model, &sentence,
                                             &options, NULL, NULL, NULL, &err), AL_ERR_ARG);
    model_end(&m);
}

/* A prompt of 3 and 7 more tokens make a decoder input of 3 + 6 = 9 > 8. */
static void generation_must_fit_the_workspace(void **state)
{
    (void)state;
    al_model_config c = config_for(AL_FAMILY_DECODER_ONLY);
    model_case m;
    model_start(&m, &c, 46);
    int ids[3] = {6, 7, 8}, tokens[7], length;
    al_sequence prompt = {.length = 3, .ids = ids};
    al_generate_options options = greedy_options(7);
    al_error err;
    assert_int_equal(al_transformer_generate(tokens, &length, &m.ws, &m.model, &prompt,
                                             &options, NULL, NULL, NULL, &err), AL_ERR_SHAPE);
    assert_string_equal(err.message, "generating 7 tokens after 3 makes a decoder input of 9 "
                                     "tokens; the workspace holds 8");
    options.max_tokens = 6;
    assert_int_equal(al_transformer_generate(tokens, &length, &m.ws, &m.model, &prompt,
                                             &options, NULL, NULL, NULL, &err), AL_OK);
    model_end(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoder_only_is_causal),
        cmocka_unit_test(encoder_only_sees_later_tokens),
        cmocka_unit_test(encoder_decoder_sees_all_source_and_past_target),
        cmocka_unit_test(tied_logits_are_dot_products_with_embeddings),
        cmocka_unit_test(probs_are_softmax_rows),
        cmocka_unit_test(parameters_match_the_layout),
        cmocka_unit_test(unknown_parameter_is_null),
        cmocka_unit_test(init_is_seeded),
        cmocka_unit_test(hand_set_weight_changes_the_pass),
        cmocka_unit_test(save_load_gives_the_same_pass),
        cmocka_unit_test(load_refuses_another_configuration),
        cmocka_unit_test(refusals),
        cmocka_unit_test(greedy_agrees_with_a_full_pass),
        cmocka_unit_test(beam_width_one_is_greedy),
        cmocka_unit_test(sampling_is_seeded),
        cmocka_unit_test(generation_step_names),
        cmocka_unit_test(encoder_only_does_not_generate),
        cmocka_unit_test(generation_must_fit_the_workspace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
