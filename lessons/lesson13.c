/* lesson13: training. A tiny decoder-only Transformer learns the next word
 * of a tiny corpus (data/lesson13): one training step told whole (the
 * batch, the forward pass, the loss by hand, the gradients of W_Q, W_K,
 * W_V, the AdamW update of one entry by hand), then a short run with its
 * loss curve, and one sentence's attention before and after. A thin
 * program: the maths is in the library (corpus.h, train.h, optimizer.h,
 * transformer.h); the lesson draws the batches, keeps the losses and
 * narrates. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/corpus.h"
#include "attnlab/rng.h"
#include "attnlab/train.h"
#include "model_printout.h"
#include "runner.h"

#define MAX_TOKENS 16     /* <bos> and the words of one line, or <eos> */
#define MAX_LINES 256     /* lines of the corpus                      */
#define BATCH 16          /* lines per step                           */
#define D_MODEL 8
#define HEADS 2
#define LAYERS 1
#define CORPUS "lesson13/corpus.txt"

/* The lesson's own trace names: the passes on --sentence before the first
 * step and after the last (prefixes given to the library), and the run. */
#define BEFORE "before."
#define AFTER "after."
#define LOSS_STEP "loss.step"
#define LOSS_TRAIN "loss.train"
#define LOSS_CORPUS "loss.corpus"
/* The op of what the untraced steps leave (FORMAT.md): its numbers depend
 * on every rounding of every step, so they are compared across CPUs by
 * their names, shapes and labels only. */
#define TRAIN_RUN "train_run"

static const lesson_about ABOUT = {
    .program = "lesson13",
    .title = "training",
    .summary =
        "A decoder-only Transformer (d_model 8, 2 heads, 1 layer, seeded weights) learns\n"
        "the next word of data/lesson13's 36 sentences, in which the last word repeats a\n"
        "word further back (\"anna has a cat and anna feeds the cat .\"). One step told\n"
        "whole: the batch, the forward pass, the loss -log p, the gradients of W_Q, W_K\n"
        "and W_V, the AdamW update; then --steps steps, the loss curve, and the attention\n"
        "of one sentence before and after training.",
    .example = "lesson13 --steps 300 --sentence \"ben has a horse and ben feeds the horse .\"",
    .sentence_help = "the sentence whose attention is drawn before and after training\n"
                     "(default \"mia has a fish and mia feeds the fish .\", not in the corpus)",
    .seed_help = "seed of the weights and of the batches",
    .takes_data = true,
    .sentence = "mia has a fish and mia feeds the fish .",
};

typedef struct lesson13_settings {
    const char *sentence;
    uint64_t seed;
    int steps;
    float lr;
    const char *data_dir;
} lesson13_settings;

/* One line of the corpus as a training sequence: <bos> w_0 .. w_{n-1}
 * read, w_0 .. w_{n-1} <eos> to be said, and the words for printing. */
typedef struct line {
    int length;
    int ids[MAX_TOKENS], targets[MAX_TOKENS];
    const char *labels[MAX_TOKENS];
} line;

/* Everything the lesson builds, freed in one place. */
typedef struct lesson13_state {
    char *text;                            /* the corpus                           */
    al_vocab vocab;                        /* its words (al_vocab_from_corpus)     */
    int n_lines;
    line *lines;                           /* MAX_LINES of them                    */
    al_batch_item *corpus;                 /* every line, for the corpus's loss    */
    al_tokens sentence;                    /* --sentence                           */
    line look;                             /* <bos> + the sentence                 */
    al_transformer model;
    al_trainer trainer;
    al_train_settings train;
    al_transformer_workspace first_ws;     /* batch 0's pass, as the step traced it */
    al_transformer_workspace before_ws, after_ws;   /* the sentence's passes        */
    /* the first step, kept for the printout (the run goes on): W_Q before
     * and after it, its moments after it, and W_Q's, W_K's and W_V's
     * gradients as the update used them (clipped) */
    al_matrix w_q_before, w_q_after, step_m, step_v, grad_q, grad_k, grad_v;
    al_matrix loss_step, loss_train, loss_corpus;   /* 1 x steps, 1 x steps, 1 x 2 */
    int batches[BATCH];                    /* the first step's lines               */
    double first_loss, first_norm, corpus_before, corpus_after;
    double first_lr, clip_scale;
} lesson13_state;

static void free_state(void *lesson_state)
{
    lesson13_state *s = lesson_state;
    al_matrix_free(&s->loss_step), al_matrix_free(&s->loss_train);
    al_matrix_free(&s->loss_corpus);
    al_matrix *copies[] = {&s->w_q_before, &s->w_q_after, &s->step_m, &s->step_v,
                           &s->grad_q, &s->grad_k, &s->grad_v};
    for (int i = 0; i < 7; i++)
        al_matrix_free(copies[i]);
    al_transformer_workspace_free(&s->first_ws);
    al_transformer_workspace_free(&s->before_ws);
    al_transformer_workspace_free(&s->after_ws);
    al_trainer_free(&s->trainer);
    al_transformer_free(&s->model);
    al_tokens_free(&s->sentence);
    free(s->corpus);
    free(s->lines);
    al_vocab_free(&s->vocab);
    free(s->text);
}

static lesson_options options(void *lesson_settings)
{
    lesson13_settings *settings = lesson_settings;
    return (lesson_options){
        .own = {
            {.name = "steps", .kind = CLI_INT, .target = &settings->steps, .value_name = "N",
             .help = "training steps of the short run (default 500)", .min = 1, .max = 2000},
            {.name = "lr", .kind = CLI_NUMBER, .target = &settings->lr, .value_name = "RATE",
             .help = "the peak learning rate, above 0 and at most 1 (default 0.05)"},
        },
        .inputs = {.sentence = &settings->sentence, .seed = &settings->seed,
                   .data_dir = &settings->data_dir},
    };
}

static al_status check(void *lesson_settings, al_error *err)
{
    const lesson13_settings *settings = lesson_settings;
    if (!(settings->lr > 0.0f && settings->lr <= 1.0f))
        return al_fail(err, AL_ERR_VALUE, "--lr needs a number above 0 and at most 1, not %g",
                       (double)settings->lr);
    return AL_OK;
}

/* --- the inputs --------------------------------------------------------------------- */

static const char *word_of(const lesson13_state *s, int id)
{
    return s->vocab.words[id];
}

/* tokens as a sequence: <bos> first; targets the tokens, then <eos>. */
static void make_line(line *out, const lesson13_state *s, const al_tokens *tokens)
{
    out->length = tokens->count + 1;
    out->ids[0] = AL_TOKEN_BOS;
    out->labels[0] = word_of(s, AL_TOKEN_BOS);
    for (int i = 0; i < tokens->count; i++) {
        out->ids[i + 1] = tokens->ids[i];
        out->labels[i + 1] = tokens->labels[i];
        out->targets[i] = tokens->ids[i];
    }
    out->targets[tokens->count] = AL_TOKEN_EOS;
}

/* Each non-blank line of the corpus, tokenized; labels are the
 * vocabulary's words (the corpus is lower case already). */
static al_status read_lines(lesson13_state *s, al_error *err)
{
    s->lines = calloc(MAX_LINES, sizeof *s->lines);
    s->corpus = calloc(MAX_LINES, sizeof *s->corpus);
    if (!s->lines || !s->corpus)
        return al_fail(err, AL_ERR_NOMEM, "no memory for %d lines", MAX_LINES);
    al_status status = AL_OK;
    for (char *at = s->text; *at && status == AL_OK;) {
        char *end = strchr(at, '\n');
        size_t size = end ? (size_t)(end - at) : strlen(at);
        char one[1024];
        if (size >= sizeof one)
            return al_fail(err, AL_ERR_FORMAT, "%s: line %d is too long", CORPUS,
                           s->n_lines + 1);
        memcpy(one, at, size);
        one[size] = '\0';
        at += size + (end != NULL);
        if (strspn(one, " \t\r") == size)
            continue;
        al_tokens tokens = {0};
        status = al_tokenize(&tokens, one, &s->vocab, AL_TOKENIZE_PLAIN, err);
        if (status == AL_OK && (tokens.count + 1 > MAX_TOKENS || s->n_lines == MAX_LINES))
            status = al_fail(err, AL_ERR_FORMAT, "%s: line %d does not fit (at most %d lines "
                             "of %d words)", CORPUS, s->n_lines + 1, MAX_LINES, MAX_TOKENS - 1);
        if (status == AL_OK) {
            line *l = &s->lines[s->n_lines];
            make_line(l, s, &tokens);
            for (int i = 0; i < l->length; i++)   /* labels that outlive tokens */
                l->labels[i] = word_of(s, l->ids[i]);
            s->corpus[s->n_lines] = (al_batch_item){
                .input = {.length = l->length, .ids = l->ids, .labels = l->labels},
                .targets = l->targets};
            s->n_lines++;
        }
        al_tokens_free(&tokens);
    }
    return status;
}

/* The corpus, its vocabulary and lines, then --sentence in that vocabulary
 * (an unknown word becomes <unk>, and a note says so). */
static al_status build_inputs(lesson13_state *s, const lesson13_settings *settings,
                              printout *p, al_error *err)
{
    char path[LESSON_PATH_SIZE];
    snprintf(path, sizeof path, "%s/%s", settings->data_dir, CORPUS);
    long size = 0;
    s->text = al_corpus_read(path, &size, err);
    if (!s->text)
        return err->status;
    al_status status = al_vocab_from_corpus(&s->vocab, s->text, 1, err);
    if (status == AL_OK)
        status = read_lines(s, err);
    if (status == AL_OK)
        status = al_tokenize(&s->sentence, settings->sentence, &s->vocab, AL_TOKENIZE_PLAIN,
                             err);
    if (status == AL_OK && s->sentence.count + 1 > MAX_TOKENS)
        status = al_fail(err, AL_ERR_VALUE, "the sentence has %d tokens; this lesson takes at "
                         "most %d", s->sentence.count, MAX_TOKENS - 1);
    if (status != AL_OK)
        return status;
    for (int i = 0; i < s->sentence.count; i++)
        if (s->sentence.unknown[i])
            print_text(p, "  note: '%s' is not in the vocabulary (the corpus's words); it "
                          "becomes <unk>", s->sentence.labels[i]);
    make_line(&s->look, s, &s->sentence);
    return AL_OK;
}

/* The model as attnlab-train makes one (pre-norm, learned positions, the
 * output tied to the embeddings) but without biases: a key bias adds the
 * same number to a whole row of scores, which no softmax can see, so its
 * gradient is 0 up to rounding, and AdamW, which divides by the gradient's
 * size, would turn that rounding into steps of lr. Weights drawn from the seed,
 * then the token and position tables scaled to a standard deviation of
 * 0.02 (GPT-2's choice, as attnlab-train's: the tied output starts near
 * uniform, the loss near log V). */
static al_status build_model(lesson13_state *s, const lesson13_settings *settings,
                             al_error *err)
{
    al_model_config config = {
        .family = AL_FAMILY_DECODER_ONLY, .norm = AL_NORM_PRE, .d_model = D_MODEL,
        .heads = HEADS, .decoder_layers = LAYERS, .d_ff = 4 * D_MODEL,
        .vocab_size = s->vocab.size, .positions = AL_POSITIONS_LEARNED,
        .max_positions = MAX_TOKENS, .biases = false, .tied_output = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_status status = al_transformer_alloc(&s->model, &config, err);
    if (status != AL_OK)
        return status;
    al_rng rng;
    al_rng_seed(&rng, settings->seed, 0);
    al_transformer_init(&s->model, &rng);
    al_scale(&s->model.embed.table, &s->model.embed.table, 0.02f, NULL);
    al_scale(&s->model.pos_table, &s->model.pos_table, 0.02f, NULL);
    status = al_trainer_alloc(&s->trainer, &s->model, MAX_TOKENS, err);
    al_transformer_workspace *room[] = {&s->first_ws, &s->before_ws, &s->after_ws};
    for (int i = 0; i < 3 && status == AL_OK; i++)
        status = al_transformer_workspace_alloc(room[i], &s->model, MAX_TOKENS, err);
    const al_matrix *w_q = &s->model.decoder[0].self_attn.w_q;
    al_matrix *copies[] = {&s->w_q_before, &s->w_q_after, &s->step_m, &s->step_v,
                           &s->grad_q, &s->grad_k, &s->grad_v};
    for (int i = 0; i < 7 && status == AL_OK; i++)
        status = al_matrix_alloc(copies[i], w_q->rows, w_q->cols, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&s->loss_step, 1, settings->steps, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&s->loss_train, 1, settings->steps, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&s->loss_corpus, 1, 2, err);
    /* AdamW as PyTorch's, clipping at 1, no warm-up: half a cosine from lr
     * down to lr / 10 over the run (attnlab-train's schedule without it) */
    s->train = (al_train_settings){
        .adamw = AL_ADAMW_DEFAULTS, .clip_norm = 1.0,
        .schedule = {.max_lr = settings->lr, .min_lr = settings->lr / 10, .warmup = 0,
                     .total = settings->steps}};
    return status;
}

static al_status build(void *lesson_state, const void *lesson_settings, printout *p,
                       al_error *err)
{
    al_status status = build_inputs(lesson_state, lesson_settings, p, err);
    if (status == AL_OK)
        status = build_model(lesson_state, lesson_settings, err);
    return status;
}

/* --- the run ------------------------------------------------------------------------ */

/* BATCH lines drawn from rng, each from every line of the corpus alike. */
static void draw_batch(al_batch_item *batch, int *chosen, const lesson13_state *s, al_rng *rng)
{
    for (int b = 0; b < BATCH; b++) {
        chosen[b] = (int)al_rng_below(rng, (uint32_t)s->n_lines);
        batch[b] = s->corpus[chosen[b]];
    }
}

static al_sequence sequence_of(const line *l)
{
    return (al_sequence){.length = l->length, .ids = l->ids, .labels = l->labels};
}

/* The sentence through the model, traced under prefix (NULL trace: not). */
static al_status look_at_sentence(al_transformer_workspace *ws, const lesson13_state *s,
                                  const char *prefix, al_trace *trace, al_error *err)
{
    al_sequence sentence = sequence_of(&s->look);
    return al_transformer_forward_prefixed(ws, &s->model, &sentence, NULL,
                                           (const char *const *)s->vocab.words, prefix, trace,
                                           err);
}

/* The trained model's attention on the sentence, each head's weights under
 * after.dec.0.self_attn.h<h>.weights. Its pass is not traced whole: its
 * parameters come from the untraced steps, so the trace cannot hold them
 * as parameters (FORMAT.md: those are the same bits on every CPU). */
static al_status record_after(al_trace *trace, const lesson13_state *s, al_error *err)
{
    char prefix[AL_NAME_SIZE];
    al_decoder_layer_names layer;
    al_decoder_layer_names_init(&layer, al_decoder_layer_prefix(prefix, AFTER, 0), false,
                                s->model.config.norm);
    al_status status = AL_OK;
    int L = s->look.length;
    for (int h = 0; h < HEADS && status == AL_OK; h++) {
        al_attention_head_names head;
        al_attention_head_names_init(&head, layer.self_attn.prefix, h);
        al_attention_steps steps = al_attention_head_steps(&s->after_ws.decoder[0].self_attn.attn,
                                                           h);
        al_matrix rows = al_matrix_rows(&steps.weights, 0, L);
        al_matrix weights = al_matrix_cols(&rows, 0, L);
        al_tensor_info info = {
            .name = head.steps.weights, .role = AL_ROLE_OUTPUT, .op = TRAIN_RUN,
            .attrs = {AL_ATTR("steps", (double)s->train.schedule.total)},
            .row_labels = s->look.labels, .col_labels = s->look.labels,
            .note = "the trained model's weights on the sentence (causal: 0 above the "
                    "diagonal); the steps after the first are not traced, so rerun the "
                    "lesson to recompute them"};
        status = al_trace_matrix(trace, &info, &weights, err);
    }
    return status;
}

/* loss.step and loss.train (1 x steps: each step's batch loss before its
 * update) for the curve, and loss.corpus (the mean over every target of
 * the corpus before the first step and after the last). */
static al_status record_losses(al_trace *trace, const lesson13_state *s, al_error *err)
{
    static const char *const when[] = {"before", "after"};
    const al_tensor_info infos[] = {
        {.name = LOSS_STEP, .role = AL_ROLE_INPUT, .note = "the optimiser step, from 1"},
        {.name = LOSS_TRAIN, .role = AL_ROLE_OUTPUT, .op = TRAIN_RUN,
         .attrs = {AL_ATTR("steps", (double)s->train.schedule.total)},
         .note = "the mean loss of the step's batch, before its update; step 1 is train.loss"},
        {.name = LOSS_CORPUS, .role = AL_ROLE_OUTPUT, .op = TRAIN_RUN,
         .attrs = {AL_ATTR("steps", (double)s->train.schedule.total)}, .col_labels = when,
         .note = "the mean loss over every target of every line of the corpus, before the "
                 "first step and after the last"}};
    const al_matrix *values[] = {&s->loss_step, &s->loss_train, &s->loss_corpus};
    al_status status = AL_OK;
    for (int k = 0; k < 3 && status == AL_OK; k++)
        status = al_trace_matrix(trace, &infos[k], values[k], err);
    return status;
}

/* The first step, traced whole; batch 0's pass again untraced, for the
 * printout (the trace's batch0.* is that pass). */
static al_status first_step(lesson13_state *s, al_batch_item *batch, al_trace *trace,
                            al_error *err)
{
    al_status status = al_copy(&s->w_q_before, &s->model.decoder[0].self_attn.w_q, err);
    if (status == AL_OK)
        status = al_transformer_forward(&s->first_ws, &s->model, &batch[0].input, NULL,
                                        NULL, NULL, err);
    s->first_lr = al_lr_at(&s->train.schedule, 1);
    if (status == AL_OK)
        status = al_train_step_traced(&s->trainer, &s->model, batch, BATCH, &s->train,
                                      &s->first_loss, &s->first_norm,
                                      (const char *const *)s->vocab.words, trace, err);
    s->clip_scale = al_clip_scale(s->first_norm, s->train.clip_norm);
    const al_attention_params *grad = &s->trainer.grad.decoder[0].self_attn;
    const al_matrix *from[] = {&s->model.decoder[0].self_attn.w_q,
                               &s->trainer.m.decoder[0].self_attn.w_q,
                               &s->trainer.v.decoder[0].self_attn.w_q, &grad->w_q, &grad->w_k,
                               &grad->w_v};
    al_matrix *to[] = {&s->w_q_after, &s->step_m, &s->step_v, &s->grad_q, &s->grad_k,
                       &s->grad_v};
    for (int i = 0; i < 6 && status == AL_OK; i++)
        status = al_copy(to[i], from[i], err);
    return status;
}

/* Before: the corpus's loss and the sentence's pass (traced under
 * BEFORE); the first step; the other steps; after: the same again. */
static al_status compute(void *lesson_state, const void *lesson_settings, printout *p,
                         al_trace *trace, al_error *err)
{
    lesson13_state *s = lesson_state;
    const lesson13_settings *settings = lesson_settings;
    al_rng rng;
    al_rng_seed(&rng, settings->seed, 1);
    al_batch_item batch[BATCH];
    al_status status = al_evaluate(&s->trainer, &s->model, s->corpus, s->n_lines,
                                   &s->corpus_before, err);
    if (status == AL_OK)
        status = look_at_sentence(&s->before_ws, s, BEFORE, trace, err);
    draw_batch(batch, s->batches, s, &rng);
    if (status == AL_OK)
        status = first_step(s, batch, trace, err);
    *al_at(&s->loss_step, 0, 0) = 1.0f;
    *al_at(&s->loss_train, 0, 0) = (float)s->first_loss;
    for (int step = 1; step < settings->steps && status == AL_OK; step++) {
        int chosen[BATCH];
        double loss = 0.0;
        draw_batch(batch, chosen, s, &rng);
        status = al_train_step(&s->trainer, &s->model, batch, BATCH, &s->train, &loss, NULL,
                               err);
        *al_at(&s->loss_step, 0, step) = (float)(step + 1);
        *al_at(&s->loss_train, 0, step) = (float)loss;
    }
    if (status == AL_OK)
        status = al_evaluate(&s->trainer, &s->model, s->corpus, s->n_lines, &s->corpus_after,
                             err);
    *al_at(&s->loss_corpus, 0, 0) = (float)s->corpus_before;
    *al_at(&s->loss_corpus, 0, 1) = (float)s->corpus_after;
    if (status == AL_OK)
        status = look_at_sentence(&s->after_ws, s, NULL, NULL, err);
    if (status == AL_OK)
        status = record_after(trace, s, err);
    if (status == AL_OK)
        status = record_losses(trace, s, err);
    (void)p;
    return status;
}

/* --- the printout ------------------------------------------------------------------- */

/* The words of ids, one after another, into buf. */
static const char *words_text(char *buf, size_t size, const lesson13_state *s, const int *ids,
                              int n)
{
    buf[0] = '\0';
    for (int i = 0, used = 0; i < n && used < (int)size; i++)
        used += snprintf(buf + used, size - (size_t)used, "%s%s", i ? " " : "",
                         word_of(s, ids[i]));
    return buf;
}

static void narrate_corpus(printout *p, const lesson13_state *s,
                           const lesson13_settings *settings)
{
    const al_model_config *c = &s->model.config;
    print_step(p, "a corpus, a vocabulary and a small model",
               "V = the specials + every word of the corpus;  decoder-only: d_model, h, layers");
    print_text(p, "  data/%s: %d sentences. In each, the last word repeats a word further "
                  "back:\n  after \"feeds the\" comes whichever animal the sentence began "
                  "with.", CORPUS, s->n_lines);
    for (int i = 0; i < 3 && i < s->n_lines; i++) {
        char text[512];
        print_text(p, "    %s", words_text(text, sizeof text, s, s->lines[i].ids + 1,
                                           s->lines[i].length - 1));
    }
    print_text(p, "    ...");
    print_text(p, "  Vocabulary (as attnlab-train builds it): V = %d, the 6 specials and %d "
                  "words.", s->vocab.size, s->vocab.size - AL_SPECIAL_TOKENS);
    print_text(p, "  Model: decoder-only, d_model = %d, h = %d heads (d_head = %d), %d layer, "
                  "d_ff = %d,\n  pre-norm, learned positions, output tied to the embeddings; "
                  "%d parameter tensors,\n  drawn from seed %llu (embeddings scaled to 0.02, "
                  "so every word starts near 1/V).", c->d_model, c->heads,
               c->d_model / c->heads, c->decoder_layers, c->d_ff, s->trainer.count,
               (unsigned long long)settings->seed);
    print_text(p, "  Each sentence is one sequence: it reads <bos> w_0 .. w_{n-1} and must say "
                  "w_0 .. w_{n-1} <eos>,\n  each position the word after the one it reads.");
}

static void narrate_batch(printout *p, const lesson13_state *s, uint64_t seed)
{
    print_step(p, "one step: the batch",
               "sentences drawn from the seed; targets_i = the token after token i");
    print_text(p, "  %d sentences, drawn from the %d of the corpus with seed %llu:", BATCH,
               s->n_lines, (unsigned long long)seed);
    char prefix[AL_NAME_SIZE], tokens[AL_NAME_SIZE], targets[AL_NAME_SIZE], text[512];
    for (int b = 0; b < BATCH; b++) {
        const line *l = &s->lines[s->batches[b]];
        al_batch_prefix(prefix, b);
        al_stack_input_names names;
        al_stack_input_names_init(&names, prefix);
        al_name(tokens, "%s", names.tokens);
        al_name(targets, "%stargets", prefix);
        print_text(p, "  %-16s %s", tokens, words_text(text, sizeof text, s, l->ids,
                                                        l->length));
        print_text(p, "  %-16s %s", targets, words_text(text, sizeof text, s, l->targets,
                                                         l->length));
    }
}

/* Batch 0's attention in layer 0, and its loss target by target. */
static void narrate_forward_and_loss(printout *p, const lesson13_state *s)
{
    const line *l = &s->lines[s->batches[0]];
    int L = l->length;
    char prefix[AL_NAME_SIZE], layer_prefix[AL_NAME_SIZE];
    al_batch_prefix(prefix, 0);
    al_decoder_layer_names layer;
    al_decoder_layer_names_init(&layer, al_decoder_layer_prefix(layer_prefix, prefix, 0), false,
                                s->model.config.norm);
    sublayer_view view = {.ws = &s->first_ws.decoder[0].self_attn, .names = &layer.self_attn,
                          .rows = L, .keys = L, .row_labels = l->labels,
                          .key_labels = l->labels};
    print_step(p, "the forward pass of the first sentence",
               "weights = softmax(masked(Q · Kᵀ / √d_head)): each token sees itself and those "
               "before it");
    print_head_weights(p, &view, false, false);
    print_text(p, "  Untrained, these patterns are arbitrary: nothing has told a row yet "
                  "where to look.");

    char logits[AL_NAME_SIZE], loss_name[AL_NAME_SIZE];
    al_output_names out;
    al_output_names_init(&out, prefix);
    al_name(logits, "%s", out.logits);
    al_name(loss_name, "%sloss", prefix);
    print_step(p, "the loss: cross-entropy of every target",
               "loss_i = -log p_i(target_i),  p_i = softmax(logits_i);  loss = mean over i");
    print_text(p, "  From %s (L x V = %d x %d), for each row the probability of its target:",
               logits, L, s->vocab.size);
    print_text(p, "    row  reads      target      p(target)   -log p");
    double sum = 0.0;
    int hand = L >= 3 ? L - 3 : 0;   /* the word after "the": the one further back */
    for (int i = 0; i < L; i++) {
        double prob = *al_at(&s->first_ws.probs, i, l->targets[i]);
        sum += -log(prob);
        print_text(p, "    %3d  %-10s %-10s  %.*f   %.*f", i, l->labels[i],
                   word_of(s, l->targets[i]), p->precision + 2, prob, p->precision, -log(prob));
    }
    double prob = *al_at(&s->first_ws.probs, hand, l->targets[hand]);
    print_text(p, "  By hand, row %d (\"%s\" -> \"%s\"): -log %.6f = %.6f; V = %d words "
                  "alike would give\n  -log(1/%d) = log %d = %.6f.", hand, l->labels[hand],
               word_of(s, l->targets[hand]), prob, -log(prob), s->vocab.size, s->vocab.size,
               s->vocab.size, log((double)s->vocab.size));
    print_text(p, "  %s = mean of the %d = %.6f. The batch's loss %s = %.6f is the mean "
                  "over\n  all the batch's targets (each sentence weighed by its length).",
               loss_name, L, sum / L, AL_TRAIN_LOSS_NAME, s->first_loss);
}

static void narrate_gradients(printout *p, const lesson13_state *s)
{
    al_attention_layer_names names;
    char prefix[AL_NAME_SIZE], w_q[AL_NAME_SIZE], w_k[AL_NAME_SIZE], w_v[AL_NAME_SIZE];
    al_decoder_layer_names layer;
    al_decoder_layer_names_init(&layer, al_decoder_layer_prefix(prefix, "", 0), false,
                                s->model.config.norm);
    al_attention_layer_names_init(&names, layer.self_attn.prefix);
    al_name(w_q, "%s" AL_GRAD_SUFFIX, names.w_q);
    al_name(w_k, "%s" AL_GRAD_SUFFIX, names.w_k);
    al_name(w_v, "%s" AL_GRAD_SUFFIX, names.w_v);
    print_step(p, "backward: the gradients of layer 0's W_Q, W_K, W_V",
               "dL/dW = how much the batch's loss moves per unit change of each weight "
               "(d_model x d_model)");
    print_text(p, "  Backpropagation through the whole step; %s = %.6f, at most %.1f, so "
                  "clipping\n  multiplies every gradient by %s = %.6f.", AL_TRAIN_GRAD_NORM_NAME,
               s->first_norm, s->train.clip_norm, AL_TRAIN_CLIP_SCALE_NAME, s->clip_scale);
    if (s->clip_scale != 1.0)
        print_text(p, "  (Printed here are the gradients after that scaling; the trace keeps "
                      "them before it.)");
    print_matrix(p, w_q, "dL/dW_Q", &s->grad_q, NULL, NULL);
    print_matrix(p, w_k, "dL/dW_K", &s->grad_k, NULL, NULL);
    print_matrix(p, w_v, "dL/dW_V", &s->grad_v, NULL, NULL);
}

/* The entry of m with the largest magnitude (the first on a tie). */
static void largest_entry(const al_matrix *m, int *row, int *col)
{
    *row = *col = 0;
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++)
            if (fabsf(*al_at(m, i, j)) > fabsf(*al_at(m, *row, *col)))
                *row = i, *col = j;
}

static void narrate_update(printout *p, const lesson13_state *s)
{
    const al_adamw_settings *a = &s->train.adamw;
    char prefix[AL_NAME_SIZE], w_q_new[AL_NAME_SIZE];
    al_decoder_layer_names layer;
    al_attention_layer_names names;
    al_decoder_layer_names_init(&layer, al_decoder_layer_prefix(prefix, "", 0), false,
                                s->model.config.norm);
    al_attention_layer_names_init(&names, layer.self_attn.prefix);
    al_name(w_q_new, "%s" AL_NEW_SUFFIX, names.w_q);
    print_step(p, "the update: AdamW",
               "m = β₁m + (1-β₁)g,  v = β₂v + (1-β₂)g²,  W = W(1-lr·λ) - lr·m̂/(√v̂ + ε)");
    print_text(p, "  with m̂ = m / (1-β₁ᵗ) and v̂ = v / (1-β₂ᵗ), which undo the zeros m and v "
                  "start from.");
    print_text(p, "  Step t = 1, %s = %g (β₁ = %g, β₂ = %g, ε = %g, weight decay λ = %g);\n"
                  "  m and v start at 0.", AL_TRAIN_LR_NAME, s->first_lr, (double)a->beta1,
               (double)a->beta2, (double)a->epsilon, (double)a->weight_decay);
    int i, j;
    largest_entry(&s->grad_q, &i, &j);
    double w = *al_at(&s->w_q_before, i, j), g = *al_at(&s->grad_q, i, j);
    double m = *al_at(&s->step_m, i, j), v = *al_at(&s->step_v, i, j);
    double m_hat = m / (1 - a->beta1), v_hat = v / (1 - a->beta2);
    double by_hand = w * (1 - s->first_lr * a->weight_decay) -
                     s->first_lr * m_hat / (sqrt(v_hat) + a->epsilon);
    double new_value = *al_at(&s->w_q_after, i, j);
    print_text(p, "  By hand, entry (%d, %d) of W_Q, the one with the largest gradient:", i, j);
    print_text(p, "    W = %.9f   g = %.9f (the gradient times %s)", w, g,
               AL_TRAIN_CLIP_SCALE_NAME);
    print_text(p, "    m = %.3g · g = %.9g     v = %.3g · g² = %.9g", 1.0 - (double)a->beta1, m,
               1.0 - (double)a->beta2, v);
    print_text(p, "    m̂ = m / (1 - %g) = %.9g   v̂ = v / (1 - %g) = %.9g", (double)a->beta1,
               m_hat, (double)a->beta2, v_hat);
    print_text(p, "    new W = %.9f · (1 - %g · %g)\n          - %g · %.9g / (√%.9g + %g)", w,
               s->first_lr, (double)a->weight_decay, s->first_lr, m_hat, v_hat,
               (double)a->epsilon);
    print_text(p, "          = %.9f   (the library, in float32: %s = %.9f)", by_hand,
               w_q_new, new_value);
    print_text(p, "  At step 1 the corrected m is g and the corrected v is g², so every weight "
                  "moves by\n  about lr = %g against the sign of its gradient, however large "
                  "the gradient is.", s->first_lr);
    print_matrix(p, w_q_new, "W_Q new", &s->w_q_after, NULL, NULL);
}

static void narrate_run(printout *p, const lesson13_state *s, const lesson13_settings *settings)
{
    print_step(p, "a short run",
               "the same step again and again, each on sentences drawn from the seed");
    int every = settings->steps >= 10 ? settings->steps / 10 : 1;
    print_text(p, "  %d steps, the learning rate from %g down to %g (half a cosine). The loss "
                  "of each\n  step's batch:", settings->steps, s->train.schedule.max_lr,
               s->train.schedule.min_lr);
    for (int t = 0; t < settings->steps; t++)
        if (t == 0 || (t + 1) % every == 0)
            print_text(p, "    step %4d  loss %.*f", t + 1, p->precision,
                       (double)*al_at(&s->loss_train, 0, t));
    print_matrix(p, LOSS_CORPUS, "corpus loss", &s->loss_corpus, NULL,
                 (const char *const[]){"before", "after"});
    print_text(p, "  Over the whole corpus the loss fell from %.4f to %.4f: %.1f times smaller "
                  "(%.0f%% less).", s->corpus_before, s->corpus_after,
               s->corpus_before / s->corpus_after,
               100.0 * (1.0 - s->corpus_after / s->corpus_before));
    print_text(p, "  e^-loss is the geometric mean probability of the right word: %.3f before, "
                  "%.3f after.", exp(-s->corpus_before), exp(-s->corpus_after));
}

static void narrate_sentence(printout *p, const lesson13_state *s)
{
    int L = s->look.length;
    char prefix[AL_NAME_SIZE];
    al_decoder_layer_names before, after;
    al_decoder_layer_names_init(&before, al_decoder_layer_prefix(prefix, BEFORE, 0), false,
                                s->model.config.norm);
    al_decoder_layer_names_init(&after, al_decoder_layer_prefix(prefix, AFTER, 0), false,
                                s->model.config.norm);
    sublayer_view views[2] = {
        {.ws = &s->before_ws.decoder[0].self_attn, .names = &before.self_attn, .rows = L,
         .keys = L, .row_labels = s->look.labels, .key_labels = s->look.labels},
        {.ws = &s->after_ws.decoder[0].self_attn, .names = &after.self_attn, .rows = L,
         .keys = L, .row_labels = s->look.labels, .key_labels = s->look.labels}};
    print_step(p, "one sentence's attention before and after training",
               "the same pass with the seeded weights and with the trained ones");
    print_text(p, "  Before (%s*):", BEFORE);
    print_head_weights(p, &views[0], false, false);
    print_text(p, "  After (%s*):", AFTER);
    print_head_weights(p, &views[1], false, false);
    int row = L >= 3 ? L - 3 : 0;   /* the token before the last word (and ".") */
    const al_matrix *probs = &s->after_ws.probs;
    int best = 0;
    for (int j = 1; j < probs->cols; j++)
        if (*al_at(probs, row, j) > *al_at(probs, row, best))
            best = j;
    int target = s->look.targets[row], source = -1;
    for (int j = 1; j < row; j++)   /* where the word to say stood before */
        if (s->look.ids[j] == target && source < 0)
            source = j;
    for (int h = 0; h < HEADS && source >= 0; h++) {
        al_attention_steps before_h = al_attention_head_steps(&views[0].ws->attn, h);
        al_attention_steps after_h = al_attention_head_steps(&views[1].ws->attn, h);
        print_text(p, "  Head %d: row %d (\"%s\") gives \"%s\" (column %d) %.3f of its weight, "
                      "%.3f before.", h, row, s->look.labels[row], s->look.labels[source],
                   source, (double)*al_at(&after_h.weights, row, source),
                   (double)*al_at(&before_h.weights, row, source));
    }
    print_text(p, "  After \"%s\" (row %d) the trained model says \"%s\" (p = %.3f); the "
                  "sentence's next\n  word is \"%s\", p = %.3f (before training: %.3f).", 
               s->look.labels[row], row, word_of(s, best), (double)*al_at(probs, row, best),
               word_of(s, s->look.targets[row]),
               (double)*al_at(probs, row, s->look.targets[row]),
               (double)*al_at(&s->before_ws.probs, row, s->look.targets[row]));
}

static void narrate(printout *p, const void *lesson_state, const void *lesson_settings,
                    const char *trace_path)
{
    const lesson13_state *s = lesson_state;
    const lesson13_settings *settings = lesson_settings;
    narrate_corpus(p, s, settings);
    narrate_batch(p, s, settings->seed);
    narrate_forward_and_loss(p, s);
    narrate_gradients(p, s);
    narrate_update(p, s);
    narrate_run(p, s, settings);
    narrate_sentence(p, s);
    (void)trace_path;
}

static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    const lesson13_state *s = lesson_state;
    char prefix[AL_NAME_SIZE], before_heads[AL_NAME_SIZE], after_heads[AL_NAME_SIZE];
    al_decoder_layer_names before, after;
    al_decoder_layer_names_init(&before, al_decoder_layer_prefix(prefix, BEFORE, 0), false,
                                s->model.config.norm);
    al_decoder_layer_names_init(&after, al_decoder_layer_prefix(prefix, AFTER, 0), false,
                                s->model.config.norm);
    every_head_weights(before_heads, before.self_attn.prefix);
    every_head_weights(after_heads, after.self_attn.prefix);
    const char *loss_args[] = {"--lines", "--select", LOSS_TRAIN, "--x", LOSS_STEP, "--axes",
                               "step,cross-entropy loss (nats)", "--legend", "batch loss",
                               "--title", "Training: the loss of each step's batch", "--svg",
                               NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-loss.png", loss_args);
    const char *attention_args[] = {"--select", before_heads, "--select", after_heads,
                                    "--columns", "2", "--title",
                                    "layer 0's heads before training (top) and after (bottom)",
                                    "--svg", NULL};
    figure_args attention = {0};
    figure_args_add(&attention, attention_args);
    figure_head_titles(&attention, "before training", 1, s->model.config.heads);
    figure_head_titles(&attention, "after training", 1, s->model.config.heads);
    outputs_draw(outputs, "attnlab-heatmap", "-attention.png", attention.argv);
    const char *flow_args[] = {"--depth", "1", NULL};
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", flow_args);
    (void)lesson_settings;
}

int main(int argc, char **argv)
{
    lesson13_settings settings = {.seed = AL_DEFAULT_SEED, .steps = 500, .lr = 0.05f};
    lesson13_state state = {0};
    const lesson_program lesson = {.about = &ABOUT, .options = options, .check = check,
                                   .build = build, .compute = compute, .narrate = narrate,
                                   .draw = draw, .free = free_state};
    return lesson_run(&lesson, &settings, &state, argc, argv);
}
