/* lesson07: masking. A causal mask on one sentence (each word sees only
 * itself and the words before it), padding masks on a batch of two to
 * eight sentences of different lengths, and what a row with every key masked
 * does: weights of exactly 0, never NaN. Masked scores are -infinity,
 * printed as "masked" and traced as null. A thin program: masks are
 * mask.h's, attention multihead.h's; the inputs are lesson05's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/mask.h"
#include "attnlab/multihead.h"
#include "attnlab/word_embeddings.h"
#include "attend.h"
#include "runner.h"
#include "sentence.h"

#define MAX_TOKENS 32
#define MAX_SENTENCES 8              /* in --batch                              */
#define MAX_SLOTS (MAX_SENTENCES + 1) /* the sentences, and a slot with none at all */
#define CAUSAL_PREFIX "dec.0.self_attn"   /* where the causal sentence's layer is traced */

static const lesson_about ABOUT = {
    .program = "lesson07",
    .title = "masking",
    .summary =
        "A mask says which keys each query may look at: 1 may attend, 0 may not. Masked\n"
        "scores become -infinity, and softmax turns them into weights of exactly 0.\n"
        "A causal mask lets each word see only itself and the words before it, as a\n"
        "decoder must when it writes one word at a time: in \"the cat walks by the bank\n"
        "to find fish\", \"cat\" sees \"the\" and itself and \"fish\" sees everything. A\n"
        "padding mask hides the <pad> tokens that bring the sentences of a batch to one\n"
        "length. A row with every key masked gets weights of 0, not NaN.",
    .example = "lesson07 --sentence \"the dog sits by the lake\" --batch \"the man pays at "
               "the bank | the duck swims | the cat walks\"",
    .sentence_help = "the sentence for the causal mask (default \"the cat walks by the bank to "
                     "find fish\")",
    .seed_help = "seed for --random",
    .seed_only_with = "random",
    .takes_data = true,
    .sentence = "the cat walks by the bank to find fish",
};

typedef struct lesson07_settings {
    const char *sentence;
    const char *batch;
    lesson_weights weights;       /* --random, --d-model, --seed, --data    */
} lesson07_settings;

/* One sequence and the attention computed on it. */
typedef struct sequence {
    al_tokens tokens;
    int key_length;               /* tokens before padding                 */
    al_matrix mask;               /* L x L                                 */
    lesson_attention run;         /* X, out and every step between         */
    char prefix[AL_NAME_SIZE];    /* "dec.0.self_attn", "batch.1.enc.0.attn" */
    char input[AL_NAME_SIZE];     /* "embed", "batch.1.embed"              */
    al_attention_layer_names layer;   /* what the layer traces under prefix */
    al_attention_head_names head_0;   /* and under prefix.h0                */
} sequence;

/* The sequence traced under prefix (its input as input), and the names
 * the library gives its steps there. */
static void name_sequence(sequence *q, const char *prefix, const char *input)
{
    al_name(q->prefix, "%s", prefix);
    al_name(q->input, "%s", input);
    al_attention_layer_names_init(&q->layer, prefix);
    al_attention_head_names_init(&q->head_0, prefix, 0);
}

/* A name of batch sequence `number` ("1", or "*" for a pattern of them
 * all): "batch.1.embed". */
static char *batch_name(char buf[AL_NAME_SIZE], const char *number, const char *name)
{
    return al_name(buf, "batch.%s.%s", number, name);
}

/* Everything the lesson builds, freed in one place. */
typedef struct lesson07_state {
    al_word_embeddings words;
    al_attention_params params;
    char *batch_text;             /* a copy of --batch, cut at the '|'     */
    sequence causal;
    int n_sentences;              /* in the batch; batch[n_sentences] is the empty slot */
    sequence batch[MAX_SLOTS];
} lesson07_state;

static void free_sequence(sequence *q)
{
    al_tokens_free(&q->tokens);
    al_matrix_free(&q->mask);
    lesson_attention_free(&q->run);
}

static void free_state(void *lesson_state)
{
    lesson07_state *s = lesson_state;
    al_word_embeddings_free(&s->words);
    al_attention_params_free(&s->params);
    free(s->batch_text);
    free_sequence(&s->causal);
    for (int b = 0; b < MAX_SLOTS; b++)
        free_sequence(&s->batch[b]);
}

static lesson_options options(void *lesson_settings)
{
    lesson07_settings *settings = lesson_settings;
    lesson_options o = {.own = {
        {.name = "batch", .kind = CLI_STRING, .target = &settings->batch,
         .value_name = "\"A | B ...\"",
         .help = "two to eight sentences for the padding mask, separated by '|' (default "
                 "\"the cat walks by the river bank | the fish swims\")"},
    }};
    lesson_weights_options(&o, 1, &settings->sentence, &settings->weights);
    return o;
}

/* Room for one sequence's vectors, mask, output and steps. */
static al_status alloc_sequence(sequence *q, const al_attention_params *params, al_error *err)
{
    int L = q->tokens.count;
    al_status status = al_matrix_alloc(&q->mask, L, L, err);
    if (status == AL_OK)
        status = lesson_attention_alloc(&q->run, params, L, err);
    return status;
}

/* The sentences of --batch, tokenized and padded to one length L (the
 * longest sentence's); one more slot is L <pad> tokens with key length 0. */
static al_status build_batch(lesson07_state *s, const lesson07_settings *settings, printout *p,
                             al_error *err)
{
    s->batch_text = strdup(settings->batch);
    if (!s->batch_text)
        return al_fail(err, AL_ERR_NOMEM, "out of memory");
    const char *texts[MAX_SENTENCES + 1];
    int n = 0;
    for (char *part = s->batch_text, *bar; n <= MAX_SENTENCES; part = bar + 1) {
        texts[n++] = part;
        if (!(bar = strchr(part, '|')))
            break;
        *bar = '\0';
    }
    if (n < 2 || n > MAX_SENTENCES)
        return al_fail(err, AL_ERR_VALUE, "--batch needs two to %d sentences separated by '|', "
                       "as in \"the cat walks | the fish swims\"", MAX_SENTENCES);
    s->n_sentences = n;
    int length = 0;
    for (int b = 0; b < n; b++) {
        al_status status = lesson_sentence(&s->batch[b].tokens, &s->words, texts[b], MAX_TOKENS,
                                           settings->weights.data_dir, p, err);
        if (status != AL_OK)
            return status;
        s->batch[b].key_length = s->batch[b].tokens.count;
        length = s->batch[b].key_length > length ? s->batch[b].key_length : length;
    }
    for (int b = 0; b <= n; b++) {
        s->batch[b].key_length = b < n ? s->batch[b].key_length : 0;
        al_status status = al_tokens_pad(&s->batch[b].tokens, length, err);
        if (status != AL_OK)
            return status;
        char number[16], prefix[AL_NAME_SIZE], input[AL_NAME_SIZE];
        snprintf(number, sizeof number, "%d", b);
        name_sequence(&s->batch[b], batch_name(prefix, number, LESSON_ATTENTION_PREFIX),
                      batch_name(input, number, LESSON_EMBED_NAME));
    }
    return AL_OK;
}

/* A sequence's mask, its vectors, and masked self-attention on them.
 * The causal sentence's lookup is traced with its tokens and table; a
 * batch sequence's vectors are traced as the attention's input. */
static al_status run_sequence(sequence *q, bool causal, const lesson07_state *s,
                              al_trace *trace, al_error *err)
{
    al_status status = AL_OK;
    if (causal)
        al_causal_mask(&q->mask);
    else
        status = al_padding_mask(&q->mask, q->key_length, err);
    lesson_attention_call how = {
        .call = {.trace_inputs = !causal, .mask = &q->mask,
                 .mask_op = causal ? AL_MASK_OP_CAUSAL : AL_MASK_OP_PADDING,
                 .temperature = 1.0f},
        .prefix = q->prefix, .input = q->input};
    if (status == AL_OK)
        status = lesson_embed_and_attend(&q->run, &q->tokens, &s->words, &s->params, &how,
                                         causal ? q->input : NULL, trace, err);
    return status;
}

/* Words, the sequences, the weights (from data/ or from the seed) and
 * room for each sequence's run. */
static al_status build(void *lesson_state, const void *lesson_settings, printout *p,
                       al_error *err)
{
    lesson07_state *s = lesson_state;
    const lesson07_settings *settings = lesson_settings;
    al_status status = lesson_words_read(&s->words, settings->weights.data_dir, err);
    if (status == AL_OK)
        status = lesson_sentence(&s->causal.tokens, &s->words, settings->sentence, MAX_TOKENS,
                                 settings->weights.data_dir, p, err);
    if (status != AL_OK)
        return status;
    s->causal.key_length = s->causal.tokens.count;
    name_sequence(&s->causal, CAUSAL_PREFIX, LESSON_EMBED_NAME);
    status = build_batch(s, settings, p, err);
    if (status == AL_OK)
        status = lesson_attention_params(&s->params, &s->words, &settings->weights, err);
    if (status == AL_OK)
        status = alloc_sequence(&s->causal, &s->params, err);
    for (int b = 0; b <= s->n_sentences && status == AL_OK; b++)
        status = alloc_sequence(&s->batch[b], &s->params, err);
    return status;
}

/* The causal sentence, then each sequence of the batch. */
static al_status compute(void *lesson_state, const void *lesson_settings, printout *p,
                         al_trace *trace, al_error *err)
{
    lesson07_state *s = lesson_state;
    al_status status = run_sequence(&s->causal, true, s, trace, err);
    for (int b = 0; b <= s->n_sentences && status == AL_OK; b++)
        status = run_sequence(&s->batch[b], false, s, trace, err);
    return status;
}

/* An L x L matrix of one sequence under its trace name: rows and columns
 * are its tokens. */
static void print_sequence_matrix(printout *p, const sequence *q, const char *name,
                                  const char *symbol, const al_matrix *m)
{
    const char *const *tokens = (const char *const *)q->tokens.labels;
    print_matrix(p, name, symbol, m, tokens, tokens);
}

/* A sequence's output under <prefix>.out: rows are its tokens, columns the
 * dimensions (dims; NULL, unlabelled, with --random). */
static void print_sequence_output(printout *p, const sequence *q, const char *const *dims)
{
    print_matrix(p, q->layer.out, "out", &q->run.out, (const char *const *)q->tokens.labels, dims);
}

/* Part 1: the causal mask, step by step. */
static void narrate_causal(printout *p, const lesson07_state *s, const char *const *dims)
{
    const sequence *q = &s->causal;
    const char *const *tokens = (const char *const *)q->tokens.labels;
    int L = q->tokens.count;
    al_attention_steps head = al_attention_head_steps(&q->run.workspace, 0);

    print_step(p, "the sentence as vectors", "X = embedding of each token    (L x d_model)");
    print_text(p, "  L = %d tokens, d_model = %d", L, s->params.d_model);
    print_matrix(p, q->input, "X", &q->run.x, tokens, dims);

    print_step(p, "scores, as in lesson05", "scaled = (X·W_Q) · (X·W_K)ᵀ / √d_k    (L x L)");
    print_sequence_matrix(p, q, q->head_0.steps.scaled, "scaled", &head.scaled);

    print_step(p, "the causal mask: each word sees itself and the words before it",
               "mask_ij = 1 if j <= i, 0 if j > i    (rows: queries, columns: keys)");
    print_sequence_matrix(p, q, q->layer.mask, "mask", &q->mask);

    print_step(p, "apply the mask", "masked_ij = scaled_ij where mask_ij = 1, -∞ where "
                                    "mask_ij = 0");
    print_sequence_matrix(p, q, q->head_0.steps.masked, "masked", &head.masked);
    print_text(p, "  Everything above the diagonal is masked: a word may not look at the "
                  "words after it.");

    print_step(p, "softmax of each row: masked keys get exactly 0",
               "weights_ij = exp(masked_ij - max_i) / sum_j exp(masked_ij - max_i),  "
               "exp(-∞) = 0");
    print_sequence_matrix(p, q, q->head_0.steps.weights, "weights", &head.weights);
    print_text(p, "\n  Where each word looks most (and next most), among the words it may "
                  "see:");
    print_strongest_links(p, &head.weights, tokens, tokens);
    if (L >= 2)
        print_text(p, "\n  \"%s\" sees only \"%s\" and itself; \"%s\", the last word, sees all "
                      "%d words.\n  Each row still sums to 1: the weight the mask took away "
                      "goes to the words left.",
                   tokens[1], tokens[0], tokens[L - 1], L);

    print_step(p, "the weighted mean of the values it may see", "out = weights · V    "
                                                                "(L x L) · (L x d_v)");
    print_sequence_output(p, q, dims);
    print_text(p, "  Row i of out depends only on words 0 to i: a decoder can compute every "
                  "position\n  at once in training and still never peek at the word it must "
                  "predict.");
}

/* Part 2: a batch of sentences, padded to one length. */
static void narrate_padding(printout *p, const lesson07_state *s)
{
    int L = s->batch[0].tokens.count, n = s->n_sentences, padded = 0;
    print_step(p, "a batch of sentences, padded to one length",
               "L = the longest sentence's length; the shorter are filled up with <pad>");
    for (int b = 0; b < n; b++) {
        const sequence *q = &s->batch[b];
        char line[1024] = "";
        for (int i = 0; i < L; i++) {
            size_t used = strlen(line);
            snprintf(line + used, sizeof line - used, "%s%s", i ? " " : "", q->tokens.labels[i]);
        }
        print_text(p, "  sentence %d: %s    (key length %d of %d)", b, line, q->key_length, L);
        padded += q->key_length < L;
    }
    print_text(p, "  A batch is one tensor, so every sentence in it must have the same length "
                  "L = %d.", L);
    if (padded > 0)
        print_text(p, "  <pad> tokens fill the gap in %d of the %d sentences; they mean "
                      "nothing and nobody\n  may attend to them.", padded, n);
    else
        print_text(p, "  Here every sentence already has %d tokens: nothing is padded, and "
                      "every mask\n  below is all 1s. Give sentences of different lengths "
                      "to see padding.", L);

    print_step(p, "a padding mask per sentence: the keys past its length are masked",
               "mask_ij = 1 if j < key length, 0 otherwise    (the same for every row)");
    for (int b = 0; b < n; b++)
        print_sequence_matrix(p, &s->batch[b], s->batch[b].layer.mask, "mask", &s->batch[b].mask);

    print_step(p, "masked scores and weights for each sentence",
               "masked = scaled, -∞ in the <pad> columns;  weights = softmax of each row");
    for (int b = 0; b < n; b++) {
        const sequence *q = &s->batch[b];
        al_attention_steps head = al_attention_head_steps(&q->run.workspace, 0);
        print_sequence_matrix(p, q, q->head_0.steps.masked, "masked", &head.masked);
        print_sequence_matrix(p, q, q->head_0.steps.weights, "weights", &head.weights);
    }
    if (padded > 0)
        print_text(p, "\n  The <pad> columns get weight 0, so the real words' outputs are "
                      "exactly what they\n  would be without the padding. The <pad> rows "
                      "still get an output (they may look at\n  the real words); it means "
                      "nothing, and whatever uses the batch next must skip\n  those "
                      "positions.");
}

/* Part 3: a row with every key masked. */
static void narrate_fully_masked(printout *p, const lesson07_state *s, const char *const *dims,
                                 const char *trace_path)
{
    const sequence *q = &s->batch[s->n_sentences];
    al_attention_steps head = al_attention_head_steps(&q->run.workspace, 0);
    print_step(p, "a row with nothing to attend to",
               "every key masked: softmax would be exp(-∞) / sum = 0 / 0");
    print_text(p, "  Suppose the batch had one more slot with no sentence in it: all %d tokens "
                  "are <pad>,\n  its key length is 0, and every key of every row is masked.",
               q->tokens.count);
    print_sequence_matrix(p, q, q->head_0.steps.masked, "masked", &head.masked);
    print_sequence_matrix(p, q, q->head_0.steps.weights, "weights", &head.weights);
    print_sequence_output(p, q, dims);
    print_text(p, "\n  %d rows had every key masked. Dividing 0 by 0 would give NaN, and one "
                  "NaN spreads\n  through every later layer; instead the library gives such a "
                  "row weights of 0 and\n  an output of 0, and writes a warning into the "
                  "trace. See it with\n    attnlab-trace show %s %s",
               q->run.workspace.fully_masked_rows, trace_path, q->head_0.steps.weights);
}

static void narrate(printout *p, const void *lesson_state, const void *lesson_settings,
                    const char *trace_path)
{
    const lesson07_state *s = lesson_state;
    const lesson07_settings *settings = lesson_settings;
    const char *const *dims = settings->weights.random
                                  ? NULL
                                  : (const char *const *)s->words.dimension_names;
    narrate_causal(p, s, dims);
    narrate_padding(p, s);
    narrate_fully_masked(p, s, dims, trace_path);
}

static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    const lesson07_state *s = lesson_state;
    const al_head_names *causal = &s->causal.head_0.steps;
    const char *masked_args[] = {"--select", causal->masked, "--annotate",
                                 "--title", "causal mask: the scores of later words are masked",
                                 "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-causal-masked.png", masked_args);
    const char *weights_args[] = {"--select", causal->weights, "--annotate",
                                  "--title", "causal mask: each word's weights over itself "
                                             "and the words before", "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-causal-weights.png", weights_args);
    char every_prefix[AL_NAME_SIZE], title[128], columns[16];
    al_attention_head_names every;  /* head 0 of every batch sequence: a --select pattern */
    al_attention_head_names_init(&every, batch_name(every_prefix, "*", LESSON_ATTENTION_PREFIX),
                                 0);
    snprintf(title, sizeof title, "padding masks: %d sentences and an empty slot, padded to "
             "%d tokens", s->n_sentences, s->batch[0].tokens.count);
    snprintf(columns, sizeof columns, "%d", s->n_sentences + 1 <= 3 ? s->n_sentences + 1 : 3);
    const char *padding_args[] = {"--select", every.steps.masked, "--annotate",
                                  "--columns", columns, "--title", title, "--svg", NULL};
    figure_args padding = {0};
    figure_args_add(&padding, padding_args);
    for (int b = 0; b <= s->n_sentences; b++) {
        const sequence *q = &s->batch[b];
        int pads = q->tokens.count - q->key_length;
        figure_arg(&padding, "--panel-title");
        if (b == s->n_sentences)
            figure_argf(&padding, "an empty slot: all <pad>");
        else if (pads == 0)
            figure_argf(&padding, "sentence %d: %d words", b, q->key_length);
        else
            figure_argf(&padding, "sentence %d: %d words, %d <pad>", b, q->key_length, pads);
    }
    outputs_draw(outputs, "attnlab-heatmap", "-padding.png", padding.argv);
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", NULL);
}

int main(int argc, char **argv)
{
    lesson07_settings settings = {.batch = "the cat walks by the river bank | the fish swims",
                                  .weights = {.d_model = 6, .heads = 1}};
    lesson07_state state = {0};
    const lesson_program lesson = {.about = &ABOUT, .options = options, .build = build,
                                   .compute = compute, .narrate = narrate, .draw = draw,
                                   .free = free_state};
    return lesson_run(&lesson, &settings, &state, argc, argv);
}
