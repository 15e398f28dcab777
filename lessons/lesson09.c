/* lesson09: the encoder block and BERT. A sentence with [CLS] first goes
 * through a stack of encoder layers, each self-attention, an add and a
 * layer norm, an FFN, another add and norm, every step printed; then the
 * [CLS] vector layer by layer and masked-word prediction at each [MASK].
 * The default model is the BERT-style encoder trained on data/bank's
 * sentences (attnlab-train, data/README.md), so its guess for a hidden
 * word means something; --random gives a seeded, untrained post-norm stack
 * of --layers layers with a pooler instead, for the mechanics and shapes.
 * A thin program: the maths is in the library (transformer.h,
 * token_path.h). */
#include <stdio.h>
#include <string.h>

#include "attnlab/token_path.h"
#include "attnlab/word_embeddings.h"
#include "model_printout.h"
#include "random_model.h"
#include "runner.h"
#include "sentence.h"

#define MAX_TOKENS 16
#define MAX_LAYERS 6

/* The default sentences: the trained model's words, or data/lesson05's. */
#define TRAINED_SENTENCE "the [MASK] was near , so she walked to the bank to watch the boats"
#define RANDOM_SENTENCE "The cat [MASK] by the river bank"

/* Columns of a wide matrix the printout shows (an L x L weight matrix fits). */
#define TRAINED_COLUMNS MAX_TOKENS

static const lesson_about ABOUT = {
    .program = "lesson09",
    .title = "the encoder block and BERT",
    .summary =
        "An encoder layer is self-attention, then add & norm (x + attn, then layer norm),\n"
        "then a feed-forward network on each token alone, then add & norm again: L x\n"
        "d_model in, L x d_model out, so layers stack. A BERT-style encoder puts [CLS]\n"
        "first (its final vector summarises the sentence) and predicts each hidden\n"
        "[MASK] word from both sides. The model is trained on data/bank's sentences,\n"
        "where \"bank\" is a river bank or a money bank: hide the word that says which\n"
        "and it is guessed from the words after \"bank\". --random: seeded, untrained\n"
        "weights instead, for the shapes and the steps.",
    .example = "lesson09 --sentence \"the money was near , so he went to the bank to open an "
               "[MASK]\"",
    .sentence_help = "the sentence; [CLS] is put first (default\n\"" TRAINED_SENTENCE "\";\n"
                     "with --random \"" RANDOM_SENTENCE "\")",
    .seed_help = "seed of the --random weights",
    .seed_only_with = "random",
    .takes_data = true,
};

typedef struct lesson09_settings {
    const char *sentence;
    bool random;            /* seeded weights instead of the trained model */
    const char *answer;     /* --answer: the word the [MASK] hides, or NULL */
    model_shape shape;
    const char *data_dir;
} lesson09_settings;

/* Everything the lesson builds, freed in one place. */
typedef struct lesson09_state {
    al_word_embeddings words;      /* --random: data/lesson05's vocabulary (vectors unused) */
    al_vocab trained_vocab;        /* the trained model's vocabulary                       */
    const al_vocab *vocab;         /* the one in use                                       */
    lesson_trained_file file;      /* the trained model's file and training record         */
    al_tokens tokens;
    al_transformer model;
    al_transformer_workspace ws;
    al_matrix cls_path;            /* (layers + 1) x d_model */
    int answer_id;                 /* --answer's id, or -1 */
} lesson09_state;

static void free_state(void *lesson_state)
{
    lesson09_state *s = lesson_state;
    al_matrix_free(&s->cls_path);
    al_transformer_workspace_free(&s->ws);
    al_transformer_free(&s->model);
    al_tokens_free(&s->tokens);
    al_vocab_free(&s->trained_vocab);
    al_word_embeddings_free(&s->words);
}

static lesson_options options(void *lesson_settings)
{
    lesson09_settings *settings = lesson_settings;
    lesson_options o = {
        .own = {{.name = "random", .kind = CLI_FLAG, .target = &settings->random,
                 .help = "seeded, untrained weights instead of the trained\ndata/"
                         LESSON_BANK_ENCODER},
                {.name = "layers", .kind = CLI_INT, .target = &settings->shape.layers,
                 .value_name = "N", .help = "encoder layers with --random (default 2)", .min = 1,
                 .max = MAX_LAYERS, .only_with = "random"},
                {.name = "answer", .kind = CLI_STRING, .target = &settings->answer,
                 .value_name = "WORD",
                 .help = "the word the [MASK] hides: the printout gives its probability\n"
                         "and rank, the figure marks its bar"}},
        .inputs = {.sentence = &settings->sentence, .seed = &settings->shape.seed,
                   .data_dir = &settings->data_dir},
    };
    lesson_shape_options(o.own + 3, &settings->shape);
    return o;
}

/* The default sentence is in the chosen model's vocabulary. */
static al_status check(void *lesson_settings, al_error *err)
{
    lesson09_settings *settings = lesson_settings;
    (void)err;
    if (!settings->sentence)
        settings->sentence = settings->random ? RANDOM_SENTENCE : TRAINED_SENTENCE;
    return AL_OK;
}

/* --answer must be a word of the model's vocabulary, for a sentence that
 * hides one. */
static al_status check_answer(lesson09_state *s, const char *answer, al_error *err)
{
    bool hides = false;
    for (int i = 0; i < s->tokens.count; i++)
        hides |= s->tokens.ids[i] == AL_TOKEN_MASK;
    if (!hides)
        return al_fail(err, AL_ERR_VALUE, "--answer %s: the sentence has no [MASK] to hide it",
                       answer);
    if ((s->answer_id = al_vocab_find(s->vocab, answer)) < 0)
        return al_fail(err, AL_ERR_VALUE, "--answer %s: the word is not in the model's "
                       "vocabulary, so it could never be guessed", answer);
    return AL_OK;
}

/* The trained encoder (data/bank), or a seeded one over data/lesson05's words. */
static al_status build_model(lesson09_state *s, const lesson09_settings *settings,
                             al_error *err)
{
    if (!settings->random) {
        s->vocab = &s->trained_vocab;
        return lesson_trained_model(&s->model, &s->trained_vocab, &s->file, settings->data_dir,
                                    LESSON_BANK_ENCODER, AL_FAMILY_ENCODER_ONLY, err);
    }
    s->vocab = &s->words.vocab;
    al_status status = lesson_words_read(&s->words, settings->data_dir, err);
    if (status == AL_OK)
        status = lesson_random_model(&s->model, AL_FAMILY_ENCODER_ONLY, &settings->shape, true,
                                     s->words.vocab.size, err);
    return status;
}

static al_status build(void *lesson_state, const void *lesson_settings, printout *p,
                       al_error *err)
{
    lesson09_state *s = lesson_state;
    const lesson09_settings *settings = lesson_settings;
    s->answer_id = -1;
    al_status status = build_model(s, settings, err);
    /* the trained model's 64-wide vectors: the first columns say enough */
    if (!settings->random)
        p->max_columns = TRAINED_COLUMNS;
    if (status == AL_OK)
        status = lesson_model_tokens(&s->tokens, s->vocab, settings->random
                                     ? "data/lesson05's words" : LESSON_BANK_WORDS,
                                     settings->sentence, AL_TOKENIZE_CLS, MAX_TOKENS, p, err);
    if (status == AL_OK && s->model.config.max_positions &&
        s->tokens.count > s->model.config.max_positions)
        status = al_fail(err, AL_ERR_VALUE, "the sentence has %d tokens; the model reads at "
                         "most %d", s->tokens.count, s->model.config.max_positions);
    if (status == AL_OK && settings->answer)
        status = check_answer(s, settings->answer, err);
    if (status == AL_OK)
        status = al_transformer_workspace_alloc(&s->ws, &s->model, s->tokens.count, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&s->cls_path, s->model.config.encoder_layers + 1,
                                 s->model.config.d_model, err);
    return status;
}

/* Where the lesson traces the [CLS] row of every stage. */
#define CLS_PATH "cls.path"

/* Stage names of the [CLS] path: x, then each layer's output. */
typedef struct stage_names {
    char names[MAX_LAYERS + 1][AL_NAME_SIZE];    /* "x", "enc.0.norm2", ...  */
    char labels[MAX_LAYERS + 1][AL_NAME_SIZE];   /* "x", "enc.0", ...        */
    const char *name_list[MAX_LAYERS + 1], *label_list[MAX_LAYERS + 1];
    const al_matrix *stages[MAX_LAYERS + 1];
    al_matrix views[MAX_LAYERS + 1];
} stage_names;

static void list_stages(stage_names *n, const lesson09_state *s)
{
    int L = s->tokens.count, layers = s->model.config.encoder_layers;
    for (int l = 0; l <= layers; l++) {
        if (l == 0) {
            al_stack_input_names input;
            al_stack_input_names_init(&input, NULL);
            al_name(n->names[0], "%s", input.x);
            al_name(n->labels[0], "%s", input.x);
            n->views[0] = al_matrix_rows(&s->ws.source.x, 0, L);
        } else {
            al_encoder_layer_names layer;
            al_encoder_layer_prefix(n->labels[l], NULL, l - 1);
            al_encoder_layer_names_init(&layer, n->labels[l], s->model.config.norm);
            al_name(n->names[l], "%s", layer.output);
            const al_sublayer_workspace *ffn = &s->ws.encoder[l - 1].ffn;
            bool post = s->model.config.norm == AL_NORM_POST;
            n->views[l] = al_matrix_rows(post ? &ffn->norm : &ffn->add, 0, L);
        }
        n->name_list[l] = n->names[l];
        n->label_list[l] = n->labels[l];
        n->stages[l] = &n->views[l];
    }
}

/* The pass, then the [CLS] row of every stage gathered into cls.path. */
static al_status compute(void *lesson_state, const void *lesson_settings, printout *p,
                         al_trace *trace, al_error *err)
{
    lesson09_state *s = lesson_state;
    al_sequence sentence = {.length = s->tokens.count, .ids = s->tokens.ids,
                            .labels = (const char *const *)s->tokens.labels};
    stage_names n;
    al_status status = al_transformer_forward(&s->ws, &s->model, &sentence, NULL,
                                              (const char *const *)s->vocab->words,
                                              trace, err);
    if (status == AL_OK) {
        list_stages(&n, s);
        status = al_token_path(&s->cls_path, n.stages, n.name_list,
                               s->model.config.encoder_layers + 1, 0, n.label_list, NULL,
                               (al_trace_at){trace, CLS_PATH}, err);
    }
    return status;
}

/* --- the printout ------------------------------------------------------------------- */

static void narrate_inputs(printout *p, const lesson09_state *s,
                           const lesson09_settings *settings)
{
    int L = s->tokens.count, d = s->model.config.d_model;
    const char *const *tokens = (const char *const *)s->tokens.labels;
    al_matrix embed = al_matrix_rows(&s->ws.source.embed, 0, L);
    al_matrix pos = al_matrix_rows(&s->ws.source.pos, 0, L);
    al_matrix x = al_matrix_rows(&s->ws.source.x, 0, L);
    al_stack_input_names names;
    al_stack_input_names_init(&names, NULL);
    print_step(p, "the sentence, [CLS] first, as vectors", "x = embed + pos    (L x d_model)");
    print_text(p, "  L = %d tokens ([CLS] included), d_model = %d, h = %d heads, %d layers, "
                  "V = %d words.", L, d, s->model.config.heads, s->model.config.encoder_layers,
               s->vocab->size);
    if (settings->random)
        print_text(p, "  Every weight is drawn from seed %llu: this model is untrained.",
                   (unsigned long long)settings->shape.seed);
    else
        print_text(p, "  The weights are data/%s,\n  %s.\n  It learned to guess hidden "
                      "words of data/bank's sentences (data/README.md).", LESSON_BANK_ENCODER,
                   s->file.origin);
    print_matrix(p, names.embed, "E[tokens]", &embed, tokens, NULL);
    print_matrix(p, names.pos, "PE", &pos, tokens, NULL);
    print_matrix(p, names.x, "x", &x, tokens, NULL);
}

static void narrate_layer(printout *p, const lesson09_state *s, int layer, bool random)
{
    const al_encoder_layer_workspace *ws = &s->ws.encoder[layer];
    int L = s->tokens.count, d = s->model.config.d_model, d_ff = s->model.config.d_ff;
    const char *const *tokens = (const char *const *)s->tokens.labels;
    bool first = layer == 0;
    char prefix[AL_NAME_SIZE], title[256], input[AL_NAME_SIZE];
    al_encoder_layer_names names;
    if (first) {
        al_stack_input_names inputs;
        al_stack_input_names_init(&inputs, NULL);
        al_name(input, "%s", inputs.x);
    } else {
        al_encoder_layer_names_init(&names, al_encoder_layer_prefix(prefix, NULL, layer - 1),
                                    s->model.config.norm);
        al_name(input, "%s", names.output);
    }
    al_encoder_layer_names_init(&names, al_encoder_layer_prefix(prefix, NULL, layer),
                                s->model.config.norm);

    sublayer_view attn = {.ws = &ws->attn, .names = &names.attn,
                          .rows = L, .keys = L, .row_labels = tokens, .key_labels = tokens};
    snprintf(title, sizeof title, "layer %d: multi-head self-attention on %s%s", layer,
             s->model.config.norm == AL_NORM_PRE ? "the layer norm of " : "", input);
    print_step(p, title, "weights = softmax(Q_h · K_hᵀ / √d_head) for each head h,  out = "
                         "[heads] · W_O");
    if (first) {
        print_text(p, "  Q, K, V = x · W_Q, x · W_K, x · W_V (+ biases): L x d_model = %d x %d,\n"
                      "  cut into %d heads of %d columns.%s", L, d, s->model.config.heads,
                   d / s->model.config.heads, s->model.config.norm == AL_NORM_PRE
                   ? " (Pre-norm: x here is norm1, the next step's.)" : "");
        print_projections(p, &attn);
    }
    print_head_weights(p, &attn, first && random, false);
    if (first)
        print_text(p, "  No mask: every token sees every token, before and after it. [CLS] "
                      "too reads\n  the whole sentence.");
    print_attention_output(p, &attn);

    al_norm_placement norm = s->model.config.norm;
    snprintf(title, sizeof title, "layer %d: add & norm", layer);
    if (norm == AL_NORM_POST)
        print_step(p, title, "add1 = input + attn.out;  norm1 = (add1 - mean) / √(var + ε) · γ "
                             "+ β, each row");
    else
        print_step(p, title, "norm1 = (input - mean) / √(var + ε) · γ + β, each row;  add1 = "
                             "input + attn(norm1)");
    if (first && norm == AL_NORM_POST)
        print_text(p, "  The residual add keeps the input; layer norm brings each row to mean 0 "
                      "and\n  variance 1 (γ = 1, β = 0 until trained).");
    if (first && norm == AL_NORM_PRE)
        print_text(p, "  This model is pre-norm: the layer norm comes first and the attention "
                      "reads its\n  output (norm1 is what Q, K and V above were made from); the "
                      "add keeps the input\n  as it was, so the residual path is never "
                      "normalised (a last layer norm ends the\n  stack).");
    print_add_norm(p, &attn, norm);

    sublayer_view ffn = {.ws = &ws->ffn, .names = &names.ffn, .rows = L,
                         .row_labels = tokens};
    snprintf(title, sizeof title, "layer %d: feed-forward network, then add & norm", layer);
    print_step(p, title, "FFN(x) = max(0, x · W1 + b1) · W2 + b2    (L x d_model) -> (L x d_ff) "
                         "-> (L x d_model)");
    if (first)
        print_text(p, "  The same two layers for every token, each row alone: d_model = %d -> "
                      "d_ff = %d -> %d.", d, d_ff, d);
    print_ffn(p, &ffn, first);
    print_add_norm(p, &ffn, norm);
    if (layer + 1 < s->model.config.encoder_layers)
        print_text(p, "\n  %s (%d x %d) is the next layer's input.", names.output, L, d);
}

static void narrate_cls(printout *p, const lesson09_state *s)
{
    int d = s->model.config.d_model;
    char equation[160];
    snprintf(equation, sizeof equation, "%s row l = row 0 of layer l's output    "
             "((layers + 1) x d_model)", CLS_PATH);
    print_step(p, "the [CLS] vector through the layers", equation);
    print_text(p, "  Row 0 of x, then of each layer's output: the [CLS] token's vector as "
                  "every layer\n  mixes in the rest of the sentence.");
    stage_names n;
    list_stages(&n, s);
    print_matrix(p, CLS_PATH, "[CLS]", &s->cls_path, n.label_list, NULL);
    if (!s->model.config.pooler) {
        print_text(p, "\n  The summary: cls = row 0 of %s (1 x %d). This model was trained "
                      "on masked\n  words only and has no pooler: a sentence classifier "
                      "would be trained on top\n  of this row.", s->ws.final.name, d);
        return;
    }
    print_text(p, "\n  The summary: cls = row 0 of %s, and BERT's pooler, "
                  "tanh(cls · W + b),\n  what a sentence classifier would read (1 x %d).",
               s->ws.final.name, d);
    al_output_names output;
    al_output_names_init(&output, NULL);
    print_matrix(p, output.pooler, "tanh(cls·W+b)", &s->ws.pooled, (const char *const[]){"[CLS]"},
                 NULL);
}

/* Where a [MASK] row looks most in every head of every layer: what it read. */
static void narrate_mask_reads(printout *p, const lesson09_state *s, int row)
{
    const char *const *tokens = (const char *const *)s->tokens.labels;
    print_text(p, "  What its row read, the largest weight in each head:");
    for (int l = 0; l < s->model.config.encoder_layers; l++) {
        char line[256];
        int used = snprintf(line, sizeof line, "    layer %d:", l);
        for (int h = 0; h < s->model.config.heads && used > 0 && (size_t)used < sizeof line;
             h++) {
            al_attention_steps head = al_attention_head_steps(&s->ws.encoder[l].attn.attn, h);
            int best = 0;
            for (int j = 1; j < s->tokens.count; j++)
                if (*al_at(&head.weights, row, j) > *al_at(&head.weights, row, best))
                    best = j;
            used += snprintf(line + used, sizeof line - (size_t)used, "%s h%d %s %.2f",
                             h ? "," : "", h, tokens[best],
                             (double)*al_at(&head.weights, row, best));
        }
        print_text(p, "%s", line);
    }
}

/* The hidden word's probability in a [MASK]'s row, and its rank (1: the
 * model's first guess; ties go to the earlier word, as the top list). */
static void print_answer(printout *p, const al_matrix *row, const char *const *words,
                         int answer)
{
    float p_answer = *al_at(row, 0, answer);
    int rank = 1;
    for (int j = 0; j < row->cols; j++) {
        float pj = *al_at(row, 0, j);
        rank += pj > p_answer || (pj == p_answer && j < answer);
    }
    print_text(p, "  The hidden word \"%s\": p = %.4f, rank %d of %d.", words[answer],
               (double)p_answer, rank, row->cols);
}

static void narrate_masks(printout *p, const lesson09_state *s, bool random)
{
    int L = s->tokens.count, V = s->vocab->size;
    const char *const *words = (const char *const *)s->vocab->words;
    print_step(p, "masked-word prediction at each [MASK]",
               "logits = final · Eᵀ (the output shares the embeddings);  probs = softmax(logits)"
               "    (L x V)");
    print_text(p, "  Each row of probs scores all V = %d words for that position; a [MASK] "
                  "row guesses\n  the hidden word from the words on both sides.", V);
    int masks = 0;
    for (int i = 0; i < L; i++) {
        if (s->tokens.ids[i] != AL_TOKEN_MASK)
            continue;
        masks++;
        al_matrix row = al_matrix_rows(&s->ws.probs, i, 1);
        print_text(p, "\n  [MASK] at position %d (row %d of probs), its five most probable "
                      "words:", i, i);
        print_top_words(p, &row, words, 5);
        if (s->answer_id >= 0)
            print_answer(p, &row, words, s->answer_id);
        if (!random)
            narrate_mask_reads(p, s, i);
    }
    if (!masks)
        print_text(p, "\n  The sentence has no [MASK]: write one in, e.g. \"%s\".",
                   random ? RANDOM_SENTENCE : TRAINED_SENTENCE);
    else if (random)
        print_text(p, "\n  The weights are random and untrained, so these guesses are "
                      "arbitrary; a trained\n  BERT has learned from millions of sentences to "
                      "put the missing word first\n  (without --random, this lesson runs one).");
    else
        print_text(p, "\n  This model learned from 20,000 sentences with words hidden. In "
                      "them \"bank\" is a\n  river bank or a money bank, and the words after "
                      "it tell which (\"to watch the\n  boats\", \"to open an account\"): "
                      "a hidden sense word is guessed from both sides.");
    print_text(p, "\n  Shapes: x %d x %d -> each layer: weights %d x %d per head, FFN hidden "
                  "%d x %d,\n  output %d x %d -> logits and probs %d x %d.", L,
               s->model.config.d_model, L, L, L, s->model.config.d_ff, L,
               s->model.config.d_model, L, V);
}

static void narrate(printout *p, const void *lesson_state, const void *lesson_settings,
                    const char *trace_path)
{
    const lesson09_state *s = lesson_state;
    const lesson09_settings *settings = lesson_settings;
    narrate_inputs(p, s, settings);
    for (int l = 0; l < s->model.config.encoder_layers; l++)
        narrate_layer(p, s, l, settings->random);
    narrate_cls(p, s);
    narrate_masks(p, s, settings->random);
}

static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    const lesson09_state *s = lesson_state;
    const lesson09_settings *settings = lesson_settings;
    char columns[16], title[AL_NAME_SIZE + 64], every_layer[AL_NAME_SIZE], heads[AL_NAME_SIZE];
    al_encoder_layer_names layers;  /* the pattern of every layer's names */
    al_encoder_layer_names_init(&layers, al_encoder_layer_prefix(every_layer, NULL, -1),
                                s->model.config.norm);
    every_head_weights(heads, layers.attn.prefix);
    snprintf(columns, sizeof columns, "%d", s->model.config.heads < 4 ? s->model.config.heads : 4);
    snprintf(title, sizeof title, "self-attention: %d layer%s x %d head%s",
             s->model.config.encoder_layers, s->model.config.encoder_layers == 1 ? "" : "s",
             s->model.config.heads, s->model.config.heads == 1 ? "" : "s");
    const char *heads_args[] = {"--select", heads, "--columns", columns,
                                "--title", title, "--svg", NULL};
    figure_args every_head = {0};
    figure_args_add(&every_head, heads_args);
    figure_head_titles(&every_head, NULL, s->model.config.encoder_layers, s->model.config.heads);
    outputs_draw(outputs, "attnlab-heatmap", "-heads.png", every_head.argv);
    const char *cls_args[] = {"--select", CLS_PATH, "--annotate", "--axes", "stage,dimension",
                              "--title", "the [CLS] vector through the layers", "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-cls.png", cls_args);
    for (int i = 0; i < s->tokens.count; i++)
        if (s->tokens.ids[i] == AL_TOKEN_MASK) {
            char row[16];
            snprintf(row, sizeof row, "%d", i);
            al_output_names output;
            al_output_names_init(&output, NULL);
            const char *mask_args[] = {"--select", output.probs, "--bars", "--row", row,
                                       "--top", "10", "--axes", "probability,word", "--title",
                                       settings->random
                                       ? "untrained guess: the 10 most probable words"
                                       : "trained guess: the 10 most probable words",
                                       "--svg", NULL};
            figure_args mask = {0};
            figure_args_add(&mask, mask_args);
            if (settings->answer) {
                const char *marks[] = {"--mark-column", settings->answer, "--mark-legend",
                                       "the hidden word", NULL};
                figure_args_add(&mask, marks);
            }
            outputs_draw(outputs, "attnlab-heatmap", "-mask.png", mask.argv);
            break; /* the first [MASK] */
        }
    const char *flow_args[] = {"--collapse", "heads", NULL};
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", flow_args);
}

int main(int argc, char **argv)
{
    lesson09_settings settings = {.shape = {.d_model = 8, .heads = 2, .layers = 2}};
    lesson09_state state = {0};
    const lesson_program lesson = {.about = &ABOUT, .options = options, .check = check,
                                   .build = build,
                                   .compute = compute, .narrate = narrate, .draw = draw,
                                   .free = free_state};
    return lesson_run(&lesson, &settings, &state, argc, argv);
}
