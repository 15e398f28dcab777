/* lesson06: multi-head attention on lesson05's sentence. Q, K and V are
 * cut into h slices of d_head = d_model / h columns; each head attends with
 * its own slice, the heads' outputs are joined side by side and mixed by
 * W_O. Every head's slices, scores, weights and output are printed with
 * their trace names. A thin program: the maths is in the library
 * (multihead.h); the inputs are lesson05's (sentence.h). --trained adds
 * the heads of a trained model (data/bank) on the same sentence. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "attnlab/multihead.h"
#include "attnlab/word_embeddings.h"
#include "attend.h"
#include "runner.h"
#include "sentence.h"

static const lesson_about ABOUT = {
    .program = "lesson06",
    .title = "multi-head attention",
    .summary =
        "One head mixes all d_model dimensions into a single score per pair of words.\n"
        "Multi-head attention cuts Q, K and V into h slices of d_head = d_model / h\n"
        "columns; each head scores, weighs and averages with its own slice, so each can\n"
        "look for something different. The heads' outputs are joined side by side\n"
        "(L x d_model again) and mixed by W_O. With data/lesson05's six named\n"
        "dimensions and 2 heads, head 0 sees living, action, place and head 1 sees\n"
        "water, money, function. With --trained the sentence also goes through a\n"
        "model trained on text (data/bank): four heads that found their own jobs.",
    .example = "lesson06 --heads 3 --sentence \"The cat walks by the river bank\"",
    .sentence_help = "the sentence (default \"The cat walks by the bank\")",
    .seed_help = "seed for --random",
    .seed_only_with = "random",
    .takes_data = true,
    .sentence = "The cat walks by the bank",
};

/* The sentence, the number of heads and where the weights come from;
 * everything the lesson builds (attend.h), freed in one place. */
typedef lesson_self_attention_settings lesson06_settings;
typedef lesson_self_attention lesson06_state;

static lesson_options options(void *lesson_settings)
{
    lesson06_settings *settings = lesson_settings;
    lesson_options o = {.own = {
        {.name = "heads", .kind = CLI_INT, .target = &settings->weights.heads, .value_name = "N",
         .help = "number of heads h (default 2); d_model must split into h equal slices", .min = 1,
         .max = AL_MAX_HEADS},
        {.name = "trained", .kind = CLI_FLAG, .target = &settings->weights.trained,
         .help = "also run the sentence through the model trained on data/bank/corpus.txt\n"
                 "and show the four heads of its first layer; try\n"
                 "--sentence \"she walked past the money and then to the bank\""},
    }};
    lesson_weights_options(&o, 2, &settings->sentence, &settings->weights);
    return o;
}

/* What a lesson prints about one head: its slices of Q, K, V and its
 * steps, all views into the workspace of the call that just ran. */
typedef struct head_view {
    int head, d_head;
    al_matrix q, k, v, out;
    al_attention_steps steps;
    const char *const *dims;   /* the head's d_head dimension names, or NULL */
} head_view;

static head_view view_head(const lesson06_state *s, const char *const *dims, int head)
{
    const al_attention_workspace *ws = &s->run.workspace;
    int L = s->tokens.count, d_head = s->params.d_model / s->params.heads;
    al_matrix q = al_matrix_rows(&ws->q, 0, L), k = al_matrix_rows(&ws->k, 0, L);
    al_matrix v = al_matrix_rows(&ws->v, 0, L), concat = al_matrix_rows(&ws->concat, 0, L);
    al_attention_layer_names layer;
    al_attention_layer_names_init(&layer, LESSON_ATTENTION_PREFIX);
    return (head_view){
        .head = head, .d_head = d_head,
        .q = al_matrix_cols(&q, head * d_head, d_head),
        .k = al_matrix_cols(&k, head * d_head, d_head),
        .v = al_matrix_cols(&v, head * d_head, d_head),
        .out = al_matrix_cols(&concat, head * d_head, d_head),
        .steps = al_attention_head_steps(ws, head),
        .dims = dims ? dims + head * d_head : NULL,
    };
}

/* "living, action, place" or "dimensions 0 to 2". */
static void describe_slice(char *buf, size_t size, const head_view *h)
{
    int first = h->head * h->d_head, last = first + h->d_head - 1;
    if (!h->dims) {
        if (first == last)
            snprintf(buf, size, "dimension %d", first);
        else
            snprintf(buf, size, "dimensions %d to %d", first, last);
        return;
    }
    buf[0] = '\0';
    for (int j = 0; j < h->d_head; j++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", j ? ", " : "", h->dims[j]);
    }
}

/* One head, start to finish: its slices, scores, scaling, weights, output. */
static void narrate_head(printout *p, const head_view *h, const char *const *tokens)
{
    char slice[256], title[320], symbol[32];
    describe_slice(slice, sizeof slice, h);
    snprintf(title, sizeof title, "head %d attends with %s", h->head, slice);
    int first = h->head * h->d_head;
    char equation[160];
    snprintf(equation, sizeof equation, "Q_%d, K_%d, V_%d = columns %d to %d of Q, K, V    "
             "(L x d_head)", h->head, h->head, h->head, first, first + h->d_head - 1);
    print_step(p, title, equation);

    al_attention_head_names names;
    al_attention_head_names_init(&names, LESSON_ATTENTION_PREFIX, h->head);
    const char *parts[] = {names.q, names.k, names.v}, *letters[] = {"Q", "K", "V"};
    const al_matrix *slices[] = {&h->q, &h->k, &h->v};
    for (int i = 0; i < 3; i++) {
        snprintf(symbol, sizeof symbol, "%s_%d", letters[i], h->head);
        print_matrix(p, parts[i], symbol, slices[i], tokens, h->dims);
    }

    print_text(p, "\n  scores = Q_%d · K_%dᵀ, then ÷ √d_head = √%d = %.4f, then softmax of "
               "each row:", h->head, h->head, h->d_head, (double)sqrtf((float)h->d_head));
    snprintf(symbol, sizeof symbol, "Q_%d·K_%dᵀ", h->head, h->head);
    print_matrix(p, names.steps.scores, symbol, &h->steps.scores, tokens, tokens);
    print_matrix(p, names.steps.scaled, "scaled", &h->steps.scaled, tokens, tokens);
    print_matrix(p, names.steps.weights, "weights", &h->steps.weights, tokens, tokens);
    print_text(p, "\n  Where each word looks most in head %d (and next most):", h->head);
    print_strongest_links(p, &h->steps.weights, tokens, tokens);

    print_text(p, "\n  out_%d = weights · V_%d    (L x L) · (L x d_head) = L x d_head", h->head,
               h->head);
    snprintf(symbol, sizeof symbol, "out_%d", h->head);
    print_matrix(p, names.steps.out, symbol, &h->out, tokens, h->dims);
}

/* Why the heads differ, in the words of the named dimensions. */
static void explain_split(printout *p, const lesson06_state *s, const char *const *dims)
{
    int h = s->params.heads, d = s->params.d_model;
    print_text(p, "  d_model = %d splits into h = %d heads of d_head = %d / %d = %d columns "
                  "each.", d, h, d, h, d / h);
    for (int i = 0; i < h; i++) {
        head_view view = view_head(s, dims, i);
        char slice[256];
        describe_slice(slice, sizeof slice, &view);
        print_text(p, "  head %d sees only %s", i, slice);
    }
    if (!dims)
        return;
    print_text(p, "\n  A head's score for a pair of words is the dot product of their query "
                  "and key\n  slices, so each head compares words by its own dimensions only. "
                  "Here the\n  dimensions have names, so the split is by meaning.");
    if (h == 2)
        print_text(p, "  Head 0 asks who does what, and where (living, action, place);\n"
                      "  head 1 asks what kind of place it is (water, money, function): in\n"
                      "  \"The cat walks by the river bank\" it is head 1 that links bank to "
                      "river.");
    print_text(p, "  A trained model is never told what its columns mean; each head learns "
                  "its own\n  questions.");
}

/* --trained: every head of the trained model's first layer on the sentence. */
static void narrate_trained(printout *p, const lesson_trained_heads *t)
{
    const char *const *tokens = (const char *const *)t->tokens.labels;
    const al_model_config *c = &t->model.config;
    print_step(p, "the heads of a trained model",
               "weights_h = softmax(mask(Q_h·K_hᵀ / √d_head)), h = 0 .. 3, layer 0");
    print_text(p, "  data/%s was trained by attnlab-train on data/bank/corpus.txt\n"
                  "  (data/README.md): d_model %d, %d heads of %d, a decoder, so each word sees\n"
                  "  only itself and the words before it. Its heads were not given jobs; each\n"
                  "  learned one. In the bank sentences head 0 looks from \"bank\" back at\n"
                  "  \"river\" or \"money\", the word that says which bank is meant.",
               LESSON_TRAINED_MODEL, c->d_model, c->heads, c->d_model / c->heads);
    for (int h = 0; h < c->heads; h++) {
        al_attention_steps head = al_attention_head_steps(lesson_trained_layer(t, 0), h);
        al_attention_head_names names;
        al_attention_head_names_init(&names, LESSON_TRAINED_PREFIX "dec.0.self_attn", h);
        print_text(p, "\n  Head %d:", h);
        print_matrix(p, names.steps.weights, "weights", &head.weights, tokens, tokens);
        print_strongest_links(p, &head.weights, tokens, tokens);
    }
}

/* The printout, in the order the chapter tells it. */
static void narrate(printout *p, const void *lesson_state, const void *lesson_settings,
                    const char *trace_path)
{
    const lesson06_state *s = lesson_state;
    const lesson06_settings *settings = lesson_settings;
    const al_attention_workspace *ws = &s->run.workspace;
    const char *const *tokens = (const char *const *)s->tokens.labels;
    const char *const *dims = settings->weights.random
                                  ? NULL
                                  : (const char *const *)s->words.dimension_names;
    int L = s->tokens.count, d = s->params.d_model, heads = s->params.heads;
    al_matrix q = al_matrix_rows(&ws->q, 0, L), k = al_matrix_rows(&ws->k, 0, L);
    al_matrix v = al_matrix_rows(&ws->v, 0, L), concat = al_matrix_rows(&ws->concat, 0, L);
    al_attention_layer_names layer;
    al_attention_layer_names_init(&layer, LESSON_ATTENTION_PREFIX);

    print_step(p, "the sentence as vectors", "X = embedding of each token    (L x d_model)");
    print_text(p, "  L = %d tokens, d_model = %d%s", L, d,
               settings->weights.random ? " (random vectors, seed below)" : " named dimensions");
    print_matrix(p, LESSON_EMBED_NAME, "X", &s->run.x, tokens, dims);

    print_step(p, "queries, keys and values, for all heads at once",
               "Q = X · W_Q,  K = X · W_K,  V = X · W_V    (L x d_model) · (d_model x d_model)");
    print_matrix(p, layer.w_q, "W_Q", &s->params.w_q, dims, dims);
    print_matrix(p, layer.q, "Q", &q, tokens, dims);
    print_matrix(p, layer.k, "K", &k, tokens, dims);
    print_matrix(p, layer.v, "V", &v, tokens, dims);

    print_step(p, "cut Q, K and V into heads", "head i takes columns i·d_head to "
                                               "(i+1)·d_head - 1,   d_head = d_model / h");
    explain_split(p, s, dims);

    for (int i = 0; i < heads; i++) {
        head_view view = view_head(s, dims, i);
        narrate_head(p, &view, tokens);
    }

    print_step(p, "join the heads side by side", "concat = [out_0 | out_1 | ...]    "
                                                 "h · (L x d_head) = L x d_model");
    print_matrix(p, layer.concat, "concat", &concat, tokens, dims);

    print_step(p, "mix the heads with W_O", "out = concat · W_O    (L x d_model) · "
                                            "(d_model x d_model) = L x d_model");
    print_matrix(p, layer.w_o, "W_O", &s->params.w_o, dims, dims);
    if (settings->weights.random)
        print_text(p, "  W_O lets every output column draw on every head.");
    else
        print_text(p, "  W_O is the identity in this lesson (data/lesson05 has no W_O), so out "
                      "is concat:\n  each head's output stays in the columns its slice came "
                      "from. A trained W_O mixes them.");
    print_matrix(p, layer.out, "out", &s->run.out, tokens, dims);
    print_text(p, "\n  Shapes: X %d x %d -> %d heads, each with scores and weights %d x %d and "
                  "out %d x %d\n  -> concat %d x %d -> out %d x %d.", L, d, heads, L, L, L,
               d / heads, L, d, L, d);
    if (settings->weights.trained)
        narrate_trained(p, &s->trained);
}

/* One panel per head, at most three to a row. */
static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    const lesson06_state *s = lesson_state;
    static const char *const columns_for[] = {"1", "1", "2", "3"};
    const char *columns = columns_for[s->params.heads < 3 ? s->params.heads : 3];
    char title[AL_NAME_SIZE + 32];
    al_head_names every_head;  /* the names of every head at once: a --select pattern */
    al_head_names_init(&every_head, LESSON_ATTENTION_PREFIX ".h*", NULL);
    snprintf(title, sizeof title, "%d head%s, each with its own W_Q, W_K and W_V",
             s->params.heads, s->params.heads == 1 ? "" : "s");
    const char *heads_args[] = {"--select", every_head.weights, "--annotate",
                                "--columns", columns, "--title", title, "--svg", NULL};
    figure_args heads = {0};
    figure_args_add(&heads, heads_args);
    figure_head_titles(&heads, NULL, 1, s->params.heads);
    outputs_draw(outputs, "attnlab-heatmap", "-heads.png", heads.argv);
    const lesson06_settings *settings = lesson_settings;
    if (settings->weights.trained) {
        const char *trained_args[] = {
            "--select", LESSON_TRAINED_PREFIX "dec.0.self_attn.h*.weights", "--annotate",
            "--columns", "2", "--title", "the four heads of a trained model's first layer",
            "--panel-title", "head 0", "--panel-title", "head 1", "--panel-title", "head 2",
            "--panel-title", "head 3", "--svg", NULL};
        outputs_draw(outputs, "attnlab-heatmap", "-trained.png", trained_args);
    }
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", NULL);
}

int main(int argc, char **argv)
{
    const lesson_program lesson = {.about = &ABOUT, .options = options, .narrate = narrate,
                                   .draw = draw};
    return lesson_self_attention_run(&lesson, 2, argc, argv);
}
