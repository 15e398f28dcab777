/* lesson08: positional encoding. One-hot versus sinusoidal encodings and
 * the dot products between positions (nearby positions alike); a position
 * past the longest a model was trained on (sinusoids extend, a learned
 * table refuses); and self-attention on a sentence and a shuffled copy,
 * without positions (the same rows, permuted) and with them (different).
 * A thin program: the maths is in the library (positional.h, gram.h,
 * permutation.h, multihead.h); the sentence is lesson05's (sentence.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/gram.h"
#include "attnlab/multihead.h"
#include "attnlab/permutation.h"
#include "attnlab/positional.h"
#include "attnlab/rng.h"
#include "attnlab/word_embeddings.h"
#include "runner.h"
#include "sentence.h"

#define MAX_TOKENS 32
#define MAX_POSITIONS 64
#define TRAINED_LENGTH 512   /* the learned table's rows: positions 0 to 511 */
#define BEYOND_ROWS 3        /* positions P-2, P-1, P                        */
#define LABEL_SIZE 16

static const lesson_about ABOUT = {
    .program = "lesson08",
    .title = "positional encoding",
    .summary =
        "Attention compares every word with every other and never asks where they are:\n"
        "shuffle a sentence and, without positions, each word's output is the same. A\n"
        "positional encoding adds a vector for each place. One-hot vectors mark places\n"
        "but say nothing about distance; sinusoids of many wavelengths make nearby\n"
        "positions alike and extend to any position, even past the longest sentence a\n"
        "model was trained on (513 after 512), where a learned table has no row.",
    .example = "lesson08 --positions 24 --d-model 8 --sentence \"the man deposits money at the "
               "bank\"",
    .sentence_help = "the sentence to shuffle (default \"the cat walks by the river bank\")",
    .seed_help = "seed of the shuffle",
    .takes_data = true,
    .sentence = "the cat walks by the river bank",
};

typedef struct lesson08_settings {
    const char *sentence;
    uint64_t seed;
    int positions;     /* how many positions part 1 draws              */
    int d_model;       /* the width of part 1's sinusoidal encodings   */
    int position;      /* the position asked for past the training     */
    const char *data_dir;
} lesson08_settings;

/* The names the lesson traces under, each written once. */
#define ONE_HOT_POS "one_hot.pos"
#define ONE_HOT_SIMILARITY "one_hot.similarity"
#define SINUSOIDAL_POS "sinusoidal.pos"
#define SINUSOIDAL_SIMILARITY "sinusoidal.similarity"
#define BEYOND_POS "beyond.pos"
#define BEYOND_SIMILARITY "beyond.similarity"
#define LEARNED_POS "learned.pos"
#define ORIGINAL "original"          /* the sentence ...                     */
#define SHUFFLED "shuffled"          /* ... and its shuffled copy            */
#define BARE "no_pos.attn"           /* attention on the bare embeddings     */
#define WITH_POS "with_pos.attn"     /* attention on embeddings + positions  */
#define ORIGINAL_TOKENS ORIGINAL ".tokens"
#define ORIGINAL_EMBED ORIGINAL ".embed"
#define SHUFFLED_EMBED SHUFFLED ".embed"
#define ORIGINAL_X ORIGINAL ".x"
#define SHUFFLED_X SHUFFLED ".x"
#define SHUFFLE_ORDER "shuffle.order"
#define POS "pos"
#define EXPECTED_BARE SHUFFLED ".no_pos.expected"
#define EXPECTED_POS SHUFFLED ".with_pos.expected"

/* The four attention runs: the sentence and its shuffled copy, each
 * without and with positions. */
enum { ORIGINAL_BARE, SHUFFLED_BARE, ORIGINAL_POS, SHUFFLED_POS, RUNS };
static const char *const RUN_PREFIX[RUNS] = {ORIGINAL "." BARE, SHUFFLED "." BARE,
                                             ORIGINAL "." WITH_POS, SHUFFLED "." WITH_POS};
static const char *const RUN_INPUT[RUNS] = {ORIGINAL_EMBED, SHUFFLED_EMBED, ORIGINAL_X,
                                            SHUFFLED_X};

/* Everything the lesson builds, freed in one place. */
typedef struct lesson08_state {
    al_word_embeddings words;
    al_tokens tokens;
    al_attention_params params;
    al_attention_workspace ws[RUNS];
    al_matrix out[RUNS];
    /* part 1: encodings of positions 0 .. N-1, and their dot products */
    al_matrix one_hot, sinusoidal, one_hot_similarity, sinusoidal_similarity;
    /* part 2: past the training length */
    al_matrix beyond, beyond_similarity, learned_table, learned_row;
    al_status learned_status;
    char learned_message[AL_ERROR_MESSAGE_SIZE];
    /* part 3: the sentence, shuffled, with and without positions */
    al_matrix embed, shuffled_embed, pos, x, shuffled_x, expected_bare, expected_pos;
    int order[MAX_TOKENS];
    const char *shuffled_labels[MAX_TOKENS];
    char position_text[MAX_POSITIONS][LABEL_SIZE];  /* "0", "1", ...            */
    char beyond_text[BEYOND_ROWS][LABEL_SIZE];      /* "511", "512", "513"      */
    const char *positions[MAX_POSITIONS];           /* row labels: the above    */
    const char *beyond_labels[BEYOND_ROWS];
} lesson08_state;

/* Every matrix of the state, for allocating and freeing in one loop. */
static int all_matrices(lesson08_state *s, al_matrix **list)
{
    al_matrix *fixed[] = {&s->one_hot, &s->sinusoidal, &s->one_hot_similarity,
                          &s->sinusoidal_similarity, &s->beyond, &s->beyond_similarity,
                          &s->learned_table, &s->learned_row, &s->embed, &s->shuffled_embed,
                          &s->pos, &s->x, &s->shuffled_x, &s->expected_bare, &s->expected_pos};
    int n = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        list[n++] = fixed[i];
    for (int r = 0; r < RUNS; r++)
        list[n++] = &s->out[r];
    return n;
}

static void free_state(void *lesson_state)
{
    lesson08_state *s = lesson_state;
    al_word_embeddings_free(&s->words);
    al_tokens_free(&s->tokens);
    al_attention_params_free(&s->params);
    for (int r = 0; r < RUNS; r++)
        al_attention_workspace_free(&s->ws[r]);
    al_matrix *list[32];
    int n = all_matrices(s, list);
    for (int i = 0; i < n; i++)
        al_matrix_free(list[i]);
}

static lesson_options options(void *lesson_settings)
{
    lesson08_settings *settings = lesson_settings;
    return (lesson_options){
        .own = {
            {.name = "positions", .kind = CLI_INT, .target = &settings->positions,
             .value_name = "N", .help = "positions 0 to N-1 in the encoding figures (default 16)",
             .min = 2, .max = MAX_POSITIONS},
            {.name = "d-model", .kind = CLI_INT, .target = &settings->d_model, .value_name = "N",
             .help = "width of the sinusoidal encodings drawn, even (default 16)", .min = 2,
             .max = MAX_POSITIONS},
            {.name = "position", .kind = CLI_INT, .target = &settings->position,
             .value_name = "P",
             .help = "the position asked for past a training length of 512 (default 513)",
             .min = 2, .max = 100000},
        },
        .inputs = {.sentence = &settings->sentence, .seed = &settings->seed,
                   .data_dir = &settings->data_dir},
    };
}

/* --d-model must be even. The sinusoids come in pairs, a sine and a cosine
 * of one frequency ω_i (d_model / 2 clocks), and only then is
 *   PE(p) · PE(q) = Σ_i [sin pω_i sin qω_i + cos pω_i cos qω_i] = Σ_i cos((p - q) ω_i),
 * one number along each diagonal, the same for 513 against 512 as for 1
 * against 0. An odd width leaves the last sine without its cosine, and its
 * term sin pω sin qω depends on where p and q are (d_model 7: 0 with itself
 * 3.0000, 512 with itself 3.0360), so what this lesson shows would not hold. */
static al_status check(void *lesson_settings, al_error *err)
{
    const lesson08_settings *settings = lesson_settings;
    if (settings->d_model % 2 != 0)
        return al_fail(err, AL_ERR_VALUE, "--d-model must be even, not %d: the sinusoids come "
                       "in sine-cosine pairs (d_model / 2 clocks), and an odd width leaves the "
                       "last sine without its cosine", settings->d_model);
    return AL_OK;
}

/* The sentence, its shuffled order, the weights, and room for it all. */
static al_status build(void *lesson_state, const void *lesson_settings, printout *p,
                       al_error *err)
{
    lesson08_state *s = lesson_state;
    const lesson08_settings *settings = lesson_settings;
    lesson_weights weights = {.heads = 1, .data_dir = settings->data_dir};
    al_status status = lesson_sentence_inputs(&s->words, &s->tokens, &s->params,
                                              settings->sentence, MAX_TOKENS, &weights, p, err);
    if (status != AL_OK)
        return status;
    if (s->tokens.count < 2)
        return al_fail(err, AL_ERR_VALUE, "the sentence has 1 token; shuffling needs at least 2");
    int L = s->tokens.count, N = settings->positions, d = settings->d_model;
    int d_model = s->params.d_model;
    al_rng rng;
    al_rng_seed(&rng, settings->seed, 1);
    al_shuffle_order(s->order, L, &rng);
    al_permute_labels(s->shuffled_labels, (const char *const *)s->tokens.labels, s->order, L);
    for (int i = 0; i < MAX_POSITIONS; i++) { /* N positions, and the sentence's L */
        snprintf(s->position_text[i], LABEL_SIZE, "%d", i);
        s->positions[i] = s->position_text[i];
    }
    for (int i = 0; i < BEYOND_ROWS; i++) {
        snprintf(s->beyond_text[i], LABEL_SIZE, "%d", settings->position - BEYOND_ROWS + 1 + i);
        s->beyond_labels[i] = s->beyond_text[i];
    }

    const struct { al_matrix *m; int rows, cols; } shapes[] = {
        {&s->one_hot, N, N}, {&s->sinusoidal, N, d}, {&s->one_hot_similarity, N, N},
        {&s->sinusoidal_similarity, N, N}, {&s->beyond, BEYOND_ROWS, d},
        {&s->beyond_similarity, BEYOND_ROWS, BEYOND_ROWS}, {&s->learned_table, TRAINED_LENGTH, d},
        {&s->learned_row, 1, d}, {&s->embed, L, d_model}, {&s->shuffled_embed, L, d_model},
        {&s->pos, L, d_model}, {&s->x, L, d_model}, {&s->shuffled_x, L, d_model},
        {&s->expected_bare, L, d_model}, {&s->expected_pos, L, d_model},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0] && status == AL_OK; i++)
        status = al_matrix_alloc(shapes[i].m, shapes[i].rows, shapes[i].cols, err);
    for (int r = 0; r < RUNS && status == AL_OK; r++) {
        status = al_matrix_alloc(&s->out[r], L, d_model, err);
        if (status == AL_OK)
            status = al_attention_workspace_alloc(&s->ws[r], &s->params, L, L, err);
    }
    if (status != AL_OK)
        return status;
    /* A "trained" table: random numbers stand in for what training learns. */
    al_rng_seed(&rng, settings->seed, 2);
    al_rng_fill_normal(&s->learned_table, &rng, 0.0f, 1.0f);
    return AL_OK;
}

/* Part 1 and 2: encodings, their dot products, and the position past 512.
 * The learned table's refusal is kept for the printout, not fatal. */
static al_status encode_positions(lesson08_state *s, const lesson08_settings *settings,
                                  al_trace *trace, al_error *err)
{
    const char *const *labels = s->positions, *const *beyond = s->beyond_labels;
    al_status status = al_positional_one_hot(&s->one_hot, 0, labels,
                                             (al_trace_at){trace, ONE_HOT_POS}, err);
    if (status == AL_OK)
        status = al_positional_sinusoidal(&s->sinusoidal, 0, labels,
                                          (al_trace_at){trace, SINUSOIDAL_POS}, err);
    if (status == AL_OK)
        status = al_gram_matrix(&s->one_hot_similarity,
                                (al_named){&s->one_hot, ONE_HOT_POS, labels},
                                (al_trace_at){trace, ONE_HOT_SIMILARITY}, err);
    if (status == AL_OK)
        status = al_gram_matrix(&s->sinusoidal_similarity,
                                (al_named){&s->sinusoidal, SINUSOIDAL_POS, labels},
                                (al_trace_at){trace, SINUSOIDAL_SIMILARITY}, err);
    if (status == AL_OK)
        status = al_positional_sinusoidal(&s->beyond, settings->position - BEYOND_ROWS + 1, beyond,
                                          (al_trace_at){trace, BEYOND_POS}, err);
    if (status == AL_OK)
        status = al_gram_matrix(&s->beyond_similarity,
                                (al_named){&s->beyond, BEYOND_POS, beyond},
                                (al_trace_at){trace, BEYOND_SIMILARITY}, err);
    if (status != AL_OK)
        return status;
    al_error refusal = {0};
    s->learned_status = al_positional_learned(&s->learned_row, settings->position,
                                              &s->learned_table, &beyond[BEYOND_ROWS - 1],
                                              (al_trace_at){trace, LEARNED_POS}, &refusal);
    snprintf(s->learned_message, sizeof s->learned_message, "%s", refusal.message);
    return AL_OK;
}

/* Part 3: the sentence and its shuffled copy, without and with positions.
 * expected_* are the original outputs put in the shuffled order: what the
 * shuffled run gives if attention ignores word order. */
static al_status attend_shuffled(lesson08_state *s, al_trace *trace, al_error *err)
{
    const char *const *tokens = (const char *const *)s->tokens.labels;
    const char *const *shuffled = s->shuffled_labels;
    int L = s->tokens.count;
    al_status status = al_embedding_forward(
        &s->embed, (al_named_ids){s->tokens.ids, ORIGINAL_TOKENS, tokens}, &s->words.embedding,
        (al_trace_at){trace, ORIGINAL_EMBED}, err);
    if (status == AL_OK)
        status = al_trace_order(trace, SHUFFLE_ORDER, s->order, L, shuffled, err);
    if (status == AL_OK)
        status = al_permute_rows(&s->shuffled_embed, (al_named){&s->embed, ORIGINAL_EMBED, NULL},
                                 s->order, SHUFFLE_ORDER, shuffled,
                                 (al_trace_at){trace, SHUFFLED_EMBED}, err);
    /* x = embed + pos: the same positions 0 .. L-1 for both sentences */
    if (status == AL_OK)
        status = al_positional_sinusoidal(&s->pos, 0, s->positions, (al_trace_at){trace, POS},
                                          err);
    al_named embed = {&s->embed, ORIGINAL_EMBED, tokens};
    al_named shuffled_embed = {&s->shuffled_embed, SHUFFLED_EMBED, shuffled};
    al_named pos = {&s->pos, POS, NULL};
    if (status == AL_OK)
        status = al_residual_add(&s->x, embed, pos, (al_trace_at){trace, ORIGINAL_X}, err);
    if (status == AL_OK)
        status = al_residual_add(&s->shuffled_x, shuffled_embed, pos,
                                 (al_trace_at){trace, SHUFFLED_X}, err);
    const al_matrix *inputs[RUNS] = {&s->embed, &s->shuffled_embed, &s->x, &s->shuffled_x};
    for (int r = 0; r < RUNS && status == AL_OK; r++) {
        bool is_shuffled = r == SHUFFLED_BARE || r == SHUFFLED_POS;
        al_named x = {inputs[r], RUN_INPUT[r], is_shuffled ? shuffled : tokens};
        al_attention_call call = {.temperature = 1.0f};
        status = al_self_attention(&s->out[r], &s->ws[r], x, &s->params, &call,
                                   (al_trace_at){trace, RUN_PREFIX[r]}, err);
    }
    al_attention_layer_names bare_names, with_pos_names;
    al_attention_layer_names_init(&bare_names, RUN_PREFIX[ORIGINAL_BARE]);
    al_attention_layer_names_init(&with_pos_names, RUN_PREFIX[ORIGINAL_POS]);
    al_named bare = {&s->out[ORIGINAL_BARE], bare_names.out, NULL};
    al_named with_pos = {&s->out[ORIGINAL_POS], with_pos_names.out, NULL};
    if (status == AL_OK)
        status = al_permute_rows(&s->expected_bare, bare, s->order, SHUFFLE_ORDER, shuffled,
                                 (al_trace_at){trace, EXPECTED_BARE}, err);
    if (status == AL_OK)
        status = al_permute_rows(&s->expected_pos, with_pos, s->order, SHUFFLE_ORDER, shuffled,
                                 (al_trace_at){trace, EXPECTED_POS}, err);
    return status;
}

/* The three parts' computations, every step traced. */
static al_status compute(void *lesson_state, const void *lesson_settings, printout *p,
                         al_trace *trace, al_error *err)
{
    lesson08_state *s = lesson_state;
    al_status status = encode_positions(s, lesson_settings, trace, err);
    if (status == AL_OK)
        status = attend_shuffled(s, trace, err);
    return status;
}

/* Part 1: one-hot and sinusoidal encodings, and how alike positions are. */
static void narrate_encodings(printout *p, const lesson08_state *s, int N, int d)
{
    const char *const *labels = s->positions;
    print_step(p, "one-hot positions: a 1 in the column of the place",
               "one_hot[p][j] = 1 if j = p, else 0    (N x N_max)");
    print_text(p, "  N = %d positions, N_max = %d: position p has no vector past N_max - 1.", N,
               N);
    print_matrix(p, ONE_HOT_POS, "PE", &s->one_hot, labels, labels);

    print_step(p, "sinusoidal positions: waves of many lengths",
               "PE[p][2i] = sin(p / 10000^(2i/d)),  PE[p][2i+1] = cos(p / 10000^(2i/d))");
    if (d == 2)
        print_text(p, "  d = 2: one column pair, turning once every 2π ≈ 6.28 positions. Read "
                      "a row as the hand\n  of one clock.");
    else
        print_text(p, "  d = %d: column pair i turns at its own speed, the first once every 2π "
                      "≈ 6.28 positions,\n  the last once every 2π · 10000^(%d/%d) positions. "
                      "Read a row as the hands of %d clocks.", d, d - 2, d, d / 2);
    print_matrix(p, SINUSOIDAL_POS, "PE", &s->sinusoidal, labels, NULL);

    print_step(p, "how alike are two positions? their dot products",
               "similarity = PE · PEᵀ    (N x d) · (d x N) = N x N");
    print_matrix(p, ONE_HOT_SIMILARITY, "PE·PEᵀ", &s->one_hot_similarity, labels, labels);
    print_text(p, "  One-hot: 1 with itself and 0 with every other position. Position 1 is as "
                  "unlike\n  position 2 as it is unlike position %d: no sense of distance.",
               N - 1);
    print_matrix(p, SINUSOIDAL_SIMILARITY, "PE·PEᵀ", &s->sinusoidal_similarity, labels, labels);
    const al_matrix *g = &s->sinusoidal_similarity;
    print_text(p, "  Sinusoidal: position 0 with itself %.4f, with 1 %.4f, with 2 %.4f, with %d "
                  "%.4f.\n  Nearby positions are alike and far ones less so, and every diagonal "
                  "holds one\n  number: PE(p) · PE(q) = Σ_i cos((p - q) ω_i) depends only on "
                  "the distance p - q.",
               (double)*al_at(g, 0, 0), (double)*al_at(g, 0, 1), (double)*al_at(g, 0, 2), N - 1,
               (double)*al_at(g, 0, N - 1));
}

/* Part 2: a position past the longest sentence seen in training. */
static void narrate_beyond(printout *p, const lesson08_state *s, int position)
{
    const char *const *beyond = s->beyond_labels;
    print_step(p, "past the training length", "a model trained on sentences of up to 512 "
                                              "tokens saw positions 0 to 511");
    print_text(p, "  Sinusoidal: the formula has no end. Positions %d to %d:", position - 2,
               position);
    print_matrix(p, BEYOND_POS, "PE", &s->beyond, beyond, NULL);
    print_matrix(p, BEYOND_SIMILARITY, "PE·PEᵀ", &s->beyond_similarity, beyond, beyond);
    /* Σ_i cos(1 · ω_i) for both; the printed numbers may part in the last
     * digit, where float32 rounds the angles p·ω_i of a large p. */
    char far[32], near[32];
    snprintf(far, sizeof far, "%.*f", p->precision, (double)*al_at(&s->beyond_similarity, 2, 1));
    snprintf(near, sizeof near, "%.*f", p->precision,
             (double)*al_at(&s->sinusoidal_similarity, 1, 0));
    if (strcmp(far, near) == 0)
        print_text(p, "  Position %d with %d: %s, the same as position 0 with 1 (%s): "
                      "distances keep\n  their meaning wherever they are.", position,
                   position - 1, far, near);
    else
        print_text(p, "  Position %d with %d: %s; position 0 with 1: %s. Both are Σ_i "
                      "cos(ω_i),\n  the same number in exact arithmetic; float32 rounds the "
                      "angles p·ω_i of a large p,\n  and that shows in the last digit. "
                      "Distances keep their meaning wherever they are.", position,
                   position - 1, far, near);
    if (s->learned_status == AL_OK) {
        print_text(p, "\n  Learned: a table of %d rows, one per position; position %d is in "
                      "it:", TRAINED_LENGTH, position);
        print_matrix(p, LEARNED_POS, "PE", &s->learned_row, &beyond[BEYOND_ROWS - 1], NULL);
        return;
    }
    print_text(p, "\n  Learned: a table of %d rows, one per position seen in training. Asked "
                  "for position %d,\n  the library refuses:\n    %s\n  There is no row to "
                  "give: the model never learned a vector for that place.",
               TRAINED_LENGTH, position, s->learned_message);
}

static void print_run(printout *p, const lesson08_state *s, int run, const char *name,
                      const char *symbol, const al_matrix *m, const char *const *cols)
{
    bool is_shuffled = run == SHUFFLED_BARE || run == SHUFFLED_POS;
    const char *const *rows = is_shuffled ? s->shuffled_labels
                                          : (const char *const *)s->tokens.labels;
    print_matrix(p, name, symbol, m, rows, cols ? cols : rows);
}

/* Part 3: the sentence shuffled, without and then with positions. */
static void narrate_shuffle(printout *p, const lesson08_state *s)
{
    const char *const *tokens = (const char *const *)s->tokens.labels;
    const char *const *dims = (const char *const *)s->words.dimension_names;
    int L = s->tokens.count;
    char original[1024] = "", shuffled[1024] = "";
    for (int i = 0; i < L; i++) {
        size_t used = strlen(original);
        snprintf(original + used, sizeof original - used, "%s%s", i ? " " : "", tokens[i]);
        used = strlen(shuffled);
        snprintf(shuffled + used, sizeof shuffled - used, "%s%s", i ? " " : "",
                 s->shuffled_labels[i]);
    }
    print_step(p, "a sentence and a shuffled copy", "shuffled row i = original row order[i]");
    print_text(p, "  original: %s\n  shuffled: %s    (every word moved; " SHUFFLE_ORDER " says "
                  "from where)", original, shuffled);

    print_step(p, "self-attention without positions", "X = embed;  out = attention(X), as in "
                                                      "lesson05");
    al_attention_layer_names layer;
    al_attention_head_names head_0;
    for (int r = ORIGINAL_BARE; r <= SHUFFLED_BARE; r++) {
        al_attention_steps head = al_attention_head_steps(&s->ws[r], 0);
        al_attention_layer_names_init(&layer, RUN_PREFIX[r]);
        al_attention_head_names_init(&head_0, RUN_PREFIX[r], 0);
        print_run(p, s, r, head_0.steps.weights, "weights", &head.weights, NULL);
        print_run(p, s, r, layer.out, "out", &s->out[r], dims);
    }
    print_matrix(p, EXPECTED_BARE, "expected", &s->expected_bare,
                 s->shuffled_labels, dims);
    print_text(p, "  expected = the original outputs put in the shuffled order. Largest "
                  "difference from\n  %s: %.4g (float32 rounding: the "
                  "same sums in another order).\n  Each word gets the same output wherever "
                  "it stands: without positions, attention\n  sees a bag of words.",
               layer.out, (double)al_max_abs_diff(&s->expected_bare, &s->out[SHUFFLED_BARE]));

    print_step(p, "self-attention with positions", "X = embed + pos,  pos = sinusoidal "
                                                   "encoding of places 0 to L-1");
    print_matrix(p, POS, "pos", &s->pos, s->positions, NULL);
    for (int r = ORIGINAL_POS; r <= SHUFFLED_POS; r++) {
        al_attention_steps head = al_attention_head_steps(&s->ws[r], 0);
        al_attention_layer_names_init(&layer, RUN_PREFIX[r]);
        al_attention_head_names_init(&head_0, RUN_PREFIX[r], 0);
        print_run(p, s, r, head_0.steps.weights, "weights", &head.weights, NULL);
        print_run(p, s, r, layer.out, "out", &s->out[r], dims);
    }
    print_matrix(p, EXPECTED_POS, "expected", &s->expected_pos,
                 s->shuffled_labels, dims);
    print_text(p, "  Largest difference from %s: %.4f. A word now "
                  "carries its\n  place, so moving it changes what it attends to and what "
                  "comes out.",
               layer.out, (double)al_max_abs_diff(&s->expected_pos, &s->out[SHUFFLED_POS]));
}

static void narrate(printout *p, const void *lesson_state, const void *lesson_settings,
                    const char *trace_path)
{
    const lesson08_state *s = lesson_state;
    const lesson08_settings *settings = lesson_settings;
    narrate_encodings(p, s, settings->positions, settings->d_model);
    narrate_beyond(p, s, settings->position);
    narrate_shuffle(p, s);
}

static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    const lesson08_settings *settings = lesson_settings;
    char title[128];
    snprintf(title, sizeof title, "positions 0 to %d as one-hot and sinusoidal vectors",
             settings->positions - 1);
    const char *encodings_args[] = {"--select", ONE_HOT_POS, "--select", SINUSOIDAL_POS,
                                    "--axes", "position,dimension", "--columns", "2",
                                    "--panel-title", "one-hot", "--panel-title", "sinusoidal",
                                    "--title", title, "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-encodings.png", encodings_args);
    /* Apart: one colour scale for both would wash out the one-hot 1s. */
    const char *one_hot_args[] = {"--select", ONE_HOT_SIMILARITY, "--axes", "position,position",
                                  "--title", "one-hot: every position unlike every other",
                                  "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-one-hot-similarity.png", one_hot_args);
    const char *sinusoidal_args[] = {"--select", SINUSOIDAL_SIMILARITY, "--axes",
                                     "position,position", "--title",
                                     "sinusoidal: nearby positions alike", "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-sinusoidal-similarity.png", sinusoidal_args);
    al_attention_head_names bare, with_pos;  /* head 0 of both sentences: patterns */
    al_attention_head_names_init(&bare, "*." BARE, 0);
    al_attention_head_names_init(&with_pos, "*." WITH_POS, 0);
    const char *shuffle_args[] = {"--select", bare.steps.weights, "--select",
                                  with_pos.steps.weights, "--annotate", "--columns", "2",
                                  "--panel-title", "the sentence, no positions",
                                  "--panel-title", "shuffled, no positions",
                                  "--panel-title", "the sentence, with positions",
                                  "--panel-title", "shuffled, with positions",
                                  "--title", "a sentence and its shuffled copy, without and "
                                  "with positions", "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-shuffle.png", shuffle_args);
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", NULL);
}

int main(int argc, char **argv)
{
    lesson08_settings settings = {.positions = 16, .d_model = 16,
                                  .position = TRAINED_LENGTH + 1};
    lesson08_state state = {0};
    const lesson_program lesson = {.about = &ABOUT, .options = options, .check = check,
                                   .build = build, .compute = compute, .narrate = narrate,
                                   .draw = draw, .free = free_state};
    return lesson_run(&lesson, &settings, &state, argc, argv);
}
