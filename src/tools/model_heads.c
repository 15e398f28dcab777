/* model_heads.c: `attnlab-model heads MODEL --sentences FILE --word W`:
 * where each self-attention head of a trained Transformer looks from one
 * word. Every line of FILE that holds W is run through the model (an
 * encoder reads [CLS] and the line, a decoder-only model the line); for
 * every head, the key with the largest weight in W's row is counted.
 *
 *   weights_h   L x L     softmax rows of head h (enc.l.attn.hH.weights)
 *   strongest   argmax_j weights_h[W, j]: the word head h looks at most
 *
 * With --senses A,B (the words that tell W's meanings apart) each line is
 * sorted by which of them it holds, and two more things are measured:
 * how often each head's strongest key is the line's own sense word, and
 * how far apart W's final vectors (what the output layer reads) lie:
 *
 *   between = mean ‖f(s) - f(t)‖ over pairs s, t of different senses
 *   within  = mean ‖f(s) - f(t)‖ over pairs of the same sense
 *
 * Program code over the library: it prints, the library computes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/multihead.h"
#include "attnlab/transformer.h"
#include "model_heads.h"

#define MAX_HEAD_SLOTS 256   /* layers x heads a table can hold         */
#define MAX_KEY_WORDS 64     /* distinct strongest words kept per head   */
#define SHOWN_WORDS 4        /* words printed per head                   */

/* One head's tally: each word its strongest key was, and how often. */
typedef struct head_tally {
    char name[AL_NAME_SIZE];
    int words[MAX_KEY_WORDS], counts[MAX_KEY_WORDS], distinct, other;
    int on_sense;            /* lines whose strongest key is their sense word */
} head_tally;

typedef struct probe {
    al_transformer model;
    al_vocab vocab;
    al_transformer_workspace ws;
    int layers, heads, d_model;
    head_tally tally[MAX_HEAD_SLOTS];
    int lines, used, sorted;          /* lines read, holding W, with a sense */
    float *finals;                    /* used x d_model: W's final vectors   */
    int *sense;                       /* per used line: 0 or 1, or -1        */
} probe;

static const char *plural(long n)
{
    return n == 1 ? "" : "s";
}

static void count_key(head_tally *t, int word)
{
    for (int k = 0; k < t->distinct; k++)
        if (t->words[k] == word) {
            t->counts[k]++;
            return;
        }
    if (t->distinct == MAX_KEY_WORDS) {
        t->other++;
        return;
    }
    t->words[t->distinct] = word, t->counts[t->distinct++] = 1;
}

/* The attention workspace of layer l's self-attention. */
static const al_attention_workspace *self_attention(const probe *p, int l)
{
    return p->model.config.family == AL_FAMILY_DECODER_ONLY ? &p->ws.decoder[l].self_attn.attn
                                                             : &p->ws.encoder[l].attn.attn;
}

static void name_heads(probe *p)
{
    const al_model_config *c = &p->model.config;
    for (int l = 0; l < p->layers; l++) {
        char layer[AL_NAME_SIZE];
        al_decoder_layer_names dec;
        al_encoder_layer_names enc;
        const char *attention = NULL;
        if (c->family == AL_FAMILY_DECODER_ONLY) {
            al_decoder_layer_names_init(&dec, al_decoder_layer_prefix(layer, "", l), false,
                                        c->norm);
            attention = dec.self_attn.prefix;
        } else {
            al_encoder_layer_names_init(&enc, al_encoder_layer_prefix(layer, "", l), c->norm);
            attention = enc.attn.prefix;
        }
        for (int h = 0; h < p->heads; h++) {
            al_attention_head_names head;
            al_attention_head_names_init(&head, attention, h);
            memcpy(p->tally[l * p->heads + h].name, head.prefix, AL_NAME_SIZE);
        }
    }
}

/* Which of the two sense words the line holds: 0, 1, or -1 (neither or both). */
static int line_sense(const al_tokens *tokens, const int sense_ids[2])
{
    bool has[2] = {false, false};
    for (int i = 0; i < tokens->count; i++)
        for (int s = 0; s < 2; s++)
            has[s] |= sense_ids[s] >= 0 && tokens->ids[i] == sense_ids[s];
    return has[0] == has[1] ? -1 : has[0] ? 0 : 1;
}

/* One line: run it, count every head's strongest key from the word. */
static al_status probe_line(probe *p, const char *line, int word_id, const int sense_ids[2],
                            al_error *err)
{
    bool encoder = p->model.config.family != AL_FAMILY_DECODER_ONLY;
    al_tokens tokens;
    al_status status = al_tokenize(&tokens, line, &p->vocab,
                                   encoder ? AL_TOKENIZE_CLS : AL_TOKENIZE_PLAIN, err);
    if (status != AL_OK)
        return status;
    int at = -1;
    for (int i = 0; i < tokens.count && at < 0; i++)
        if (tokens.ids[i] == word_id)
            at = i;
    if (at < 0 || tokens.count > p->ws.max_length) {
        al_tokens_free(&tokens);
        return AL_OK;
    }
    al_sequence input = {.length = tokens.count, .ids = tokens.ids,
                         .labels = (const char *const *)tokens.labels};
    status = encoder ? al_transformer_encode(&p->ws, &p->model, &input, NULL, NULL, err)
                     : al_transformer_forward(&p->ws, &p->model, &input, NULL, NULL, NULL, err);
    if (status != AL_OK) {
        al_tokens_free(&tokens);
        return status;
    }
    int sense = line_sense(&tokens, sense_ids);
    for (int l = 0; l < p->layers; l++)
        for (int h = 0; h < p->heads; h++) {
            al_attention_steps steps = al_attention_head_steps(self_attention(p, l), h);
            int best = 0;
            for (int j = 1; j < tokens.count; j++)
                if (*al_at(&steps.weights, at, j) > *al_at(&steps.weights, at, best))
                    best = j;
            head_tally *t = &p->tally[l * p->heads + h];
            count_key(t, tokens.ids[best]);
            t->on_sense += sense >= 0 && tokens.ids[best] == sense_ids[sense];
        }
    /* the final vector: the last stack's output, as the output layer reads it */
    const al_matrix *final = encoder ? &p->ws.memory.value : &p->ws.final.value;
    memcpy(p->finals + (size_t)p->used * p->d_model, al_at(final, at, 0),
           sizeof(float) * (size_t)p->d_model);
    p->sense[p->used] = sense;
    p->used++;
    p->sorted += sense >= 0;
    al_tokens_free(&tokens);
    return AL_OK;
}

static void print_tally(const probe *p, const char *word)
{
    printf("where each head's largest weight from \"%s\" falls (share of the %d line%s):\n",
           word, p->used, plural(p->used));
    for (int k = 0; k < p->layers * p->heads; k++) {
        const head_tally *t = &p->tally[k];
        bool shown[MAX_KEY_WORDS] = {false};
        printf("  %-22s", t->name);
        for (int n = 0; n < SHOWN_WORDS && n < t->distinct; n++) {
            int most = -1;
            for (int i = 0; i < t->distinct; i++)
                if (!shown[i] && (most < 0 || t->counts[i] > t->counts[most]))
                    most = i;
            shown[most] = true;
            printf("  %s %.1f%%", p->vocab.words[t->words[most]],
                   100.0 * t->counts[most] / p->used);
        }
        printf("\n");
    }
}

static double distance(const float *a, const float *b, int d)
{
    double sum = 0;
    for (int i = 0; i < d; i++)
        sum += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return sqrt(sum);
}

static void print_senses(const probe *p, const char *word, const char *const senses[2])
{
    int count[2] = {0, 0};
    for (int i = 0; i < p->used; i++)
        if (p->sense[i] >= 0)
            count[p->sense[i]]++;
    printf("\nsenses: %d line%s with \"%s\", %d with \"%s\", %d with neither or both\n",
           count[0], plural(count[0]), senses[0], count[1], senses[1], p->used - p->sorted);
    if (p->sorted == 0)
        return;
    int best = 0;
    printf("how often each head's largest weight from \"%s\" is on the line's sense word:\n",
           word);
    for (int k = 0; k < p->layers * p->heads; k++) {
        printf("  %-22s  %.1f%%\n", p->tally[k].name, 100.0 * p->tally[k].on_sense / p->sorted);
        if (p->tally[k].on_sense > p->tally[best].on_sense)
            best = k;
    }
    printf("best: %s, on the sense word in %d of %d line%s (%.1f%%)\n", p->tally[best].name,
           p->tally[best].on_sense, p->sorted, plural(p->sorted),
           100.0 * p->tally[best].on_sense / p->sorted);

    /* mean distances between W's final vectors, across and within senses */
    double sum[3] = {0, 0, 0};   /* within 0, within 1, between */
    long pairs[3] = {0, 0, 0};
    for (int i = 0; i < p->used; i++)
        for (int j = i + 1; j < p->used; j++) {
            if (p->sense[i] < 0 || p->sense[j] < 0)
                continue;
            int kind = p->sense[i] == p->sense[j] ? p->sense[i] : 2;
            sum[kind] += distance(p->finals + (size_t)i * p->d_model,
                                  p->finals + (size_t)j * p->d_model, p->d_model);
            pairs[kind]++;
        }
    printf("the final vector of \"%s\", mean distance between two lines:\n", word);
    for (int kind = 0; kind < 3; kind++)
        if (pairs[kind])
            printf("  %-28s %.4f  (%ld pair%s)\n",
                   kind == 2 ? "of different senses" : kind == 0 ? "both with the first sense"
                                                                 : "both with the second sense",
                   sum[kind] / pairs[kind], pairs[kind], plural(pairs[kind]));
}

static char *read_all(const char *path, al_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        al_fail(err, AL_ERR_IO, "cannot read %s", path);
        return NULL;
    }
    size_t size = 0, room = 4096;
    char *text = malloc(room);
    size_t got;
    while (text && (got = fread(text + size, 1, room - size - 1, f)) > 0) {
        size += got;
        if (room - size - 1 == 0) {
            char *grown = realloc(text, room * 2);
            if (!grown)
                free(text);
            text = grown, room *= 2;
        }
    }
    bool failed = ferror(f);
    fclose(f);
    if (!text || failed) {
        free(text);
        al_fail(err, failed ? AL_ERR_IO : AL_ERR_NOMEM, "cannot read %s", path);
        return NULL;
    }
    text[size] = '\0';
    return text;
}

int model_heads(const model_heads_settings *s, al_error *err)
{
    probe p = {0};
    int sense_ids[2] = {-1, -1};
    char *text = NULL;
    int result = 1;
    if (al_transformer_load(&p.model, &p.vocab, s->model, NULL, err) != AL_OK)
        return 1;
    const al_model_config *c = &p.model.config;
    p.layers = c->family == AL_FAMILY_DECODER_ONLY ? c->decoder_layers : c->encoder_layers;
    p.heads = c->heads, p.d_model = c->d_model;
    int word_id = al_vocab_find(&p.vocab, s->word);
    if (word_id < 0) {
        al_fail(err, AL_ERR_VALUE, "\"%s\" is not in the vocabulary of %s", s->word, s->model);
        result = 2;
        goto done;
    }
    for (int k = 0; k < 2 && s->senses[0]; k++) {
        sense_ids[k] = al_vocab_find(&p.vocab, s->senses[k]);
        if (sense_ids[k] < 0) {
            al_fail(err, AL_ERR_VALUE, "\"%s\" is not in the vocabulary of %s", s->senses[k],
                    s->model);
            result = 2;
            goto done;
        }
    }
    if (p.layers * p.heads > MAX_HEAD_SLOTS) {
        al_fail(err, AL_ERR_VALUE, "%s has %d heads; this table holds at most %d", s->model,
                p.layers * p.heads, MAX_HEAD_SLOTS);
        goto done;
    }
    text = read_all(s->sentences, err);
    int longest = c->positions == AL_POSITIONS_LEARNED ? c->max_positions : 512;
    int lines = 0;
    for (const char *ch = text ? text : ""; *ch; ch++)
        lines += *ch == '\n';
    lines++;
    p.finals = malloc(sizeof(float) * (size_t)lines * (size_t)p.d_model);
    p.sense = malloc(sizeof(int) * (size_t)lines);
    if (!text || !p.finals || !p.sense ||
        al_transformer_workspace_alloc(&p.ws, &p.model, longest, err) != AL_OK) {
        if (text && (!p.finals || !p.sense))
            al_fail(err, AL_ERR_NOMEM, "no memory for %d lines", lines);
        goto done;
    }
    name_heads(&p);
    for (char *line = text, *end; *line; line = end) {
        end = strchr(line, '\n');
        end = end ? (*end = '\0', end + 1) : line + strlen(line);
        if (line[strspn(line, " \t\r")] == '\0')
            continue;
        p.lines++;
        if (probe_line(&p, line, word_id, sense_ids, err) != AL_OK)
            goto done;
    }
    if (p.used == 0) {
        al_fail(err, AL_ERR_VALUE, "no line of %s holds \"%s\" (within %d words)", s->sentences,
                s->word, longest);
        result = 2;
        goto done;
    }
    printf("%s: \"%s\" in %d of the %d line%s of %s (%s, %d layer%s x %d head%s)\n",
           s->model, s->word, p.used, p.lines, plural(p.lines), s->sentences,
           al_family_name(c->family), p.layers, plural(p.layers), p.heads, plural(p.heads));
    print_tally(&p, s->word);
    if (s->senses[0])
        print_senses(&p, s->word, s->senses);
    result = 0;
done:
    free(text), free(p.finals), free(p.sense);
    al_transformer_workspace_free(&p.ws);
    al_transformer_free(&p.model), al_vocab_free(&p.vocab);
    return result;
}
