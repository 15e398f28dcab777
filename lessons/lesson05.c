/* lesson05: self-attention, step by step, on one sentence.
 * X -> Q, K, V -> Q·Kᵀ -> ÷√d_k -> softmax -> weights · V, every matrix
 * printed with its trace name, shape and token labels. The weights come
 * from data/lesson05 (named dimensions, W_Q chosen by hand) unless --random;
 * --trained also runs the sentence through a trained model (data/bank) and
 * prints the head that learned to look from "bank" for its sense.
 * A thin program: the maths is in the library (multihead.h, layers.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "attnlab/multihead.h"
#include "attnlab/word_embeddings.h"
#include "attend.h"
#include "runner.h"
#include "sentence.h"

static const lesson_about ABOUT = {
    .program = "lesson05",
    .title = "self-attention, step by step",
    .summary =
        "Every word of a sentence asks a question (its query), offers a label (its key)\n"
        "and carries content (its value). Self-attention scores every query against\n"
        "every key, turns each row of scores into weights that sum to 1, and gives\n"
        "each word the weighted mean of the values: L x d_model in, L x L scores and\n"
        "weights, L x d_model out. The default weights give six named dimensions\n"
        "(data/lesson05); watch \"bank\" look at \"river\" or at \"money\". With --trained\n"
        "the same sentence also goes through a model that learned its attention from\n"
        "text (data/bank): its head dec.0.self_attn.h0 found the same job by itself.",
    .example = "lesson05 --sentence \"The cat walks by the river bank\"",
    .sentence_help = "the sentence (default \"The cat walks by the bank\")",
    .seed_help = "seed for --random",
    .seed_only_with = "random",
    .takes_data = true,
    .sentence = "The cat walks by the bank",
};

/* The sentence and where the weights come from; everything the lesson
 * builds (attend.h), freed in one place. */
typedef lesson_self_attention_settings lesson05_settings;
typedef lesson_self_attention lesson05_state;

static lesson_options options(void *lesson_settings)
{
    lesson05_settings *settings = lesson_settings;
    lesson_options o = {.own = {
        {.name = "trained", .kind = CLI_FLAG, .target = &settings->weights.trained,
         .help = "also run the sentence through the model trained on data/bank/corpus.txt\n"
                 "and show its head dec.0.self_attn.h0, which learned where \"bank\" looks;\n"
                 "try --sentence \"she walked past the river and then to the bank\""},
    }};
    lesson_weights_options(&o, 1, &settings->sentence, &settings->weights);
    return o;
}

/* The figures, drawn from the trace once it is closed. */
static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    const lesson_self_attention *s = lesson_state;
    al_attention_head_names head;
    al_attention_head_names_init(&head, LESSON_ATTENTION_PREFIX, 0);
    char title[512];
    int used = snprintf(title, sizeof title, "self-attention weights of \"");
    for (int i = 0; i < s->tokens.count && used < (int)sizeof title - 64; i++)
        used += snprintf(title + used, sizeof title - (size_t)used, "%s%s", i ? " " : "",
                         s->tokens.labels[i]);
    snprintf(title + used, sizeof title - (size_t)used, "\"");
    const char *weights_args[] = {"--select", head.steps.weights, "--annotate", "--title", title,
                                  "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-weights.png", weights_args);
    const lesson05_settings *settings = lesson_settings;
    if (settings->weights.trained) {
        const char *trained_args[] = {
            "--select", head.steps.weights, "--select",
            LESSON_TRAINED_PREFIX "dec.0.self_attn.h0.weights", "--annotate", "--columns", "2",
            "--panel-title", "made by hand", "--panel-title", "learned (a decoder's head 0)",
            "--title", "the same sentence, two sets of weights", "--svg", NULL};
        outputs_draw(outputs, "attnlab-heatmap", "-trained.png", trained_args);
    }
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", NULL);
}

/* --trained: the same sentence through the bank corpus model, and the one
 * head of it that learned what W_Q above was built to do. */
static void narrate_trained(printout *p, const lesson_trained_heads *t)
{
    const char *const *tokens = (const char *const *)t->tokens.labels;
    al_attention_steps head = al_attention_head_steps(lesson_trained_layer(t, 0), 0);
    al_attention_head_names names;
    al_attention_head_names_init(&names, LESSON_TRAINED_PREFIX "dec.0.self_attn", 0);
    print_step(p, "the same sentence, through a trained model",
               "weights = softmax(mask(Q·Kᵀ / √d_k)), one head of a trained decoder");
    print_text(p, "  The weights above were chosen by hand. data/%s was trained\n"
                  "  by attnlab-train on data/bank/corpus.txt (data/README.md): sentences in\n"
                  "  which \"bank\" is a river bank or a money bank, and only an earlier\n"
                  "  \"river\" or \"money\" says which. It is a decoder (d_model %d, %d heads of\n"
                  "  %d), so each word sees only itself and the words before it (the causal\n"
                  "  mask: 0 above the diagonal). Nobody told head 0 of layer 0 what to do;\n"
                  "  it learned to look from \"bank\" back at the sense word.",
               LESSON_TRAINED_MODEL, t->model.config.d_model, t->model.config.heads,
               t->model.config.d_model / t->model.config.heads);
    print_matrix(p, names.steps.weights, "weights", &head.weights, tokens, tokens);
    print_text(p, "\n  Where each word looks most (and next most):");
    print_strongest_links(p, &head.weights, tokens, tokens);
}

/* True when m is the identity matrix. */
static bool is_identity(const al_matrix *m)
{
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++)
            if (*al_at(m, i, j) != (i == j ? 1.0f : 0.0f))
                return false;
    return m->rows == m->cols;
}

/* The column called name among the d named dimensions, or -1. */
static int dimension(const char *const *dims, int d, const char *name)
{
    for (int j = 0; dims && j < d; j++)
        if (strcmp(dims[j], name) == 0)
            return j;
    return -1;
}

/* What each named dimension's row of W_Q asks for, read off the matrix
 * (so it stays true when data/lesson05 changes): Q = X · W_Q, so a word's
 * query is the sum of the rows of its dimensions, and a query scores high
 * against keys that have the columns its rows weigh. Then why the weights
 * are as large as 4: the largest entry w scores w · 1 against a key with
 * that dimension, w / √d after scaling, e^(w/√d) times the weight of a
 * key that scores 0. */
static void explain_queries(printout *p, const al_matrix *w_q, const char *const *dims)
{
    int d = w_q->rows;
    float largest = 0.0f;
    print_text(p, "  Each row of W_Q says what a word with that dimension asks about (its "
                  "query is the\n  sum of its dimensions' rows), each column what it looks "
                  "for in the keys:");
    for (int i = 0; i < d; i++) {
        char line[512];
        int used = snprintf(line, sizeof line, "    %-8s asks for ", dims[i]);
        int named = 0;
        for (int j = 0; j < d; j++) {
            float w = *al_at(w_q, i, j);
            largest = w > largest ? w : largest;
            if (w != 0.0f && used < (int)sizeof line - 64)
                used += snprintf(line + used, sizeof line - (size_t)used, "%s%s (%g)",
                                 named++ ? ", " : "", dims[j], (double)w);
        }
        if (named == 0)
            snprintf(line + used, sizeof line - (size_t)used,
                     "nothing: its query is 0, every score in its row is equal");
        print_text(p, "%s", line);
    }
    if (largest > 0.0f) {
        double scaled = largest / sqrt((double)d);
        print_text(p, "  Why as large as %g: a key that has the dimension asked for scores "
                      "%g · 1 = %g, which\n  is %g / √%d = %.2f after scaling, and e^%.2f = "
                      "%.1f times the weight of a key\n  that scores 0. Weights of 1 would "
                      "give e^%.2f = %.2f: hardly a preference.",
                   (double)largest, (double)largest, (double)largest, (double)largest, d,
                   scaled, scaled, exp(scaled), 1.0 / sqrt((double)d),
                   exp(1.0 / sqrt((double)d)));
    }
}

/* The keys and values: named when W_K and W_V are the identity (K = V = X),
 * printed otherwise. */
static void explain_keys_and_values(printout *p, const al_attention_params *params,
                                    const al_attention_layer_names *layer,
                                    const char *const *dims)
{
    int d = params->d_model;
    if (is_identity(&params->w_k) && is_identity(&params->w_v)) {
        print_text(p, "\n  W_K and W_V (%s and %s in the trace) are the %d x %d\n  "
                      "identity, so K = X and V = X: each word's key and value are its own "
                      "embedding.",
                   layer->w_k, layer->w_v, d, d);
        return;
    }
    print_matrix(p, layer->w_k, "W_K", &params->w_k, dims, dims);
    print_matrix(p, layer->w_v, "W_V", &params->w_v, dims, dims);
}

/* The payoff: a word whose embedding has both water and money (bank) is
 * ambiguous; its output says which sense the sentence gave it. */
static void explain_senses(printout *p, const al_matrix *x, const al_matrix *out,
                           const al_matrix *weights, const char *const *tokens,
                           const char *const *dims)
{
    int water = dimension(dims, x->cols, "water"), money = dimension(dims, x->cols, "money");
    if (water < 0 || money < 0)
        return;
    for (int i = 0; i < x->rows; i++) {
        if (!(*al_at(x, i, water) > 0.0f && *al_at(x, i, money) > 0.0f))
            continue;
        float w = *al_at(out, i, water), m = *al_at(out, i, money);
        int strongest = -1;  /* the word it weighs most, besides itself */
        for (int j = 0; j < x->rows; j++)
            if (j != i && (strongest < 0 || *al_at(weights, i, j) > *al_at(weights, i, strongest)))
                strongest = j;
        if (w == m) {
            print_text(p, "\n  \"%s\" came in with as much water as money (%.2f each) and "
                          "goes out so (%.2f\n  each): nothing in this sentence says which "
                          "%s it is. Try --sentence\n  \"The cat walks by the river bank\" "
                          "or \"The man deposits money at the bank\".",
                       tokens[i], (double)*al_at(x, i, water), (double)w, tokens[i]);
            continue;
        }
        bool wet = w > m;
        print_text(p, "\n  \"%s\" came in with as much water as money (%.2f each); its "
                      "output has %s %.2f\n  against %s %.2f: the sentence made it a %s.\n  Its row gives "
                      "\"%s\" %.2f, the most of any other word.",
                   tokens[i], (double)*al_at(x, i, water), wet ? "water" : "money",
                   (double)(wet ? w : m), wet ? "money" : "water", (double)(wet ? m : w),
                   wet ? "river bank" : "bank that keeps money", tokens[strongest],
                   (double)*al_at(weights, i, strongest));
    }
}

/* The printout, in the order the chapter tells it. ws holds every step of
 * the call that just ran. */
static void narrate(printout *p, const void *lesson_state, const void *lesson_settings,
                    const char *trace_path)
{
    const lesson05_state *s = lesson_state;
    const lesson05_settings *settings = lesson_settings;
    const al_attention_workspace *ws = &s->run.workspace;
    const char *const *tokens = (const char *const *)s->tokens.labels;
    const char *const *dims = settings->weights.random
                                  ? NULL
                                  : (const char *const *)s->words.dimension_names;
    int L = s->tokens.count, d = s->params.d_model;
    al_matrix q = al_matrix_rows(&ws->q, 0, L), k = al_matrix_rows(&ws->k, 0, L);
    al_matrix v = al_matrix_rows(&ws->v, 0, L);
    al_attention_steps head = al_attention_head_steps(ws, 0);
    al_attention_layer_names layer;
    al_attention_head_names head_0;
    al_attention_layer_names_init(&layer, LESSON_ATTENTION_PREFIX);
    al_attention_head_names_init(&head_0, LESSON_ATTENTION_PREFIX, 0);

    print_step(p, "the sentence as vectors", "X = embedding of each token    (L x d_model)");
    print_text(p, "  L = %d tokens, d_model = %d%s", L, d,
               settings->weights.random ? " (random vectors, seed below)" : " named dimensions");
    print_matrix(p, LESSON_EMBED_NAME, "X", &s->run.x, tokens, dims);

    print_step(p, "queries, keys and values", "Q = X · W_Q,  K = X · W_K,  V = X · W_V    "
                                              "(L x d_model) · (d_model x d_k) = L x d_k");
    print_matrix(p, layer.w_q, "W_Q", &s->params.w_q, dims, dims);
    if (dims)
        explain_queries(p, &s->params.w_q, dims);
    explain_keys_and_values(p, &s->params, &layer, dims);
    print_matrix(p, layer.q, "Q", &q, tokens, dims);
    print_matrix(p, layer.k, "K", &k, tokens, dims);
    print_matrix(p, layer.v, "V", &v, tokens, dims);

    print_step(p, "every query against every key", "scores = Q · Kᵀ    (L x d_k) · (d_k x L) "
                                                   "= L x L");
    print_matrix(p, head_0.steps.scores, "Q·Kᵀ", &head.scores, tokens, tokens);

    print_step(p, "scale by the square root of d_k", "scaled = scores / √d_k");
    print_text(p, "  √%d = %.4f keeps the scores' spread independent of d_k", d,
               (double)sqrtf((float)d));
    print_matrix(p, head_0.steps.scaled, "scaled", &head.scaled, tokens, tokens);

    print_step(p, "softmax of each row: weights that sum to 1",
               "weights_ij = exp(scaled_ij - max_i) / sum_j exp(scaled_ij - max_i)");
    print_matrix(p, head_0.steps.weights, "weights", &head.weights, tokens, tokens);
    print_text(p, "\n  Where each word looks most (and next most):");
    print_strongest_links(p, &head.weights, tokens, tokens);

    print_step(p, "the weighted mean of the values", "out = weights · V    (L x L) · (L x d_v) "
                                                     "= L x d_v");
    print_matrix(p, layer.out, "out", &s->run.out, tokens, dims);
    if (!settings->weights.random)
        print_text(p, "  (W_O is the identity in this lesson, so %s equals the "
                      "head's output %s.)", layer.out, head_0.steps.out);
    explain_senses(p, &s->run.x, &s->run.out, &head.weights, tokens, dims);
    print_text(p, "\n  Shapes: X %d x %d -> scores and weights %d x %d -> out %d x %d: "
                  "L x d_model -> L x L -> L x d_model.", L, d, L, L, L, d);
    if (settings->weights.trained)
        narrate_trained(p, &s->trained);
}

int main(int argc, char **argv)
{
    const lesson_program lesson = {.about = &ABOUT, .options = options, .narrate = narrate,
                                   .draw = draw};
    return lesson_self_attention_run(&lesson, 1, argc, argv);
}
