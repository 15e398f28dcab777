/* model_evaluate.c: `attnlab-model evaluate MODEL --corpus FILE`: the
 * model's loss on the part of the corpus attnlab-train held out, beside
 * two models that need no training, so a reader sees what attention
 * bought. The split is attnlab-train's: the last --validation fraction of
 * the words (or of the pairs), the fraction read from the model's
 * training record unless given.
 *
 * Every held-out word w_i (i >= 1) is predicted once, from what comes
 * before it (a decoder-only model reads windows of --context words; a
 * translation model, a Transformer or the RNN seq2seq, reads the source
 * and the target so far, and also predicts <eos>), and the loss is the
 * mean of -ln p(w_i | ...):
 *
 *   model    p from the softmax of the logits (in double: ln p = logit -
 *            ln Σ exp(logits))
 *   unigram  p(w) = (c(w) + 1) / (N + V): counts c over the N words learned
 *            from (targets, for pairs), add-one over the V words
 *   bigram   p(w | v) = λ c(v w) / c(v) + (1 - λ) p_unigram(w), the unigram
 *            alone where c(v) = 0; λ the best of 0.05, 0.10 ... 0.95, 0.99 on the
 *            held-out words themselves (a generous baseline)
 *
 * Program code over the library; prints the table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/corpus.h"
#include "attnlab/model_file.h"
#include "attnlab/seq2seq_file.h"
#include "attnlab/seq2seq_train.h"
#include "attnlab/transformer.h"
#include "model_evaluate.h"
#include "train_corpus.h"

/* One prediction: the word before (or <bos>) and the word to predict. */
typedef struct prediction {
    int previous, word;
} prediction;

/* Counts of the text learned from, for the two baselines. */
typedef struct ngram_counts {
    int vocab_size;
    long total;
    long *unigram;       /* V                    */
    long *bigram;        /* V x V: [v * V + w]    */
    long *contexts;      /* V: c(v), as a previous word */
} ngram_counts;

static al_status counts_alloc(ngram_counts *c, int vocab_size, al_error *err)
{
    *c = (ngram_counts){.vocab_size = vocab_size};
    c->unigram = calloc((size_t)vocab_size, sizeof(long));
    c->contexts = calloc((size_t)vocab_size, sizeof(long));
    c->bigram = calloc((size_t)vocab_size * (size_t)vocab_size, sizeof(long));
    if (c->unigram && c->contexts && c->bigram)
        return AL_OK;
    free(c->unigram), free(c->contexts), free(c->bigram);
    return al_fail(err, AL_ERR_NOMEM, "no memory for bigram counts over %d words", vocab_size);
}

static void counts_free(ngram_counts *c)
{
    free(c->unigram), free(c->contexts), free(c->bigram);
}

static void count(ngram_counts *c, int previous, int word)
{
    c->unigram[word]++, c->total++;
    if (previous >= 0)
        c->bigram[(long)previous * c->vocab_size + word]++, c->contexts[previous]++;
}

static double unigram_p(const ngram_counts *c, int word)
{
    return (c->unigram[word] + 1.0) / ((double)c->total + c->vocab_size);
}

static double bigram_p(const ngram_counts *c, int previous, int word, double lambda)
{
    double uni = unigram_p(c, word);
    long seen = c->contexts[previous];
    if (seen == 0)
        return uni;
    return lambda * (double)c->bigram[(long)previous * c->vocab_size + word] / seen +
           (1 - lambda) * uni;
}

/* -ln p(word) from a row of logits, in double. */
static double row_loss(const float *logits, int vocab_size, int word)
{
    double max = logits[0];
    for (int j = 1; j < vocab_size; j++)
        max = logits[j] > max ? logits[j] : max;
    double sum = 0;
    for (int j = 0; j < vocab_size; j++)
        sum += exp(logits[j] - max);
    return -(logits[word] - max - log(sum));
}

#define LONGEST_RNN_SIDE 256   /* the longest source or target an RNN pair may have */

typedef struct evaluation {
    al_safetensors file;       /* for the training record */
    al_transformer model;
    al_seq2seq seq2seq;
    al_seq2seq_trainer s2s;    /* the RNN's evaluation (al_seq2seq_evaluate) */
    al_vocab vocab;
    al_transformer_workspace ws;
    char *text;
    al_tokens tokens;
    train_pairs pairs;
    ngram_counts counts;
    prediction *held;       /* the held-out predictions */
    long held_count;
    double model_loss;
    bool rnn;
} evaluation;

/* The fraction attnlab-train held out, from "--validation F" in the
 * model's recorded command; 0.1 (its default) if the command has none. */
static float recorded_validation(const al_safetensors *file)
{
    const char *command = al_safetensors_metadata(file, "training.command");
    const char *at = command ? strstr(command, "--validation ") : NULL;
    return at ? strtof(at + strlen("--validation "), NULL) : 0.1f;
}

/* Decoder-only: windows of context + 1 held-out words, one after another,
 * each predicting its words 1 .. context. */
static al_status evaluate_next_words(evaluation *e, long first, long all, al_error *err)
{
    int context = e->model.config.max_positions;
    const int *ids = e->tokens.ids;
    int V = e->vocab.size;
    for (long i = 1; i < first; i++)
        count(&e->counts, ids[i - 1], ids[i]);
    count(&e->counts, -1, ids[0]);
    for (long start = first; start + 1 < all; start += context) {
        int length = (int)(all - start - 1 < context ? all - start - 1 : context);
        al_sequence input = {.length = length, .ids = ids + start};
        al_status status = al_transformer_forward(&e->ws, &e->model, &input, NULL, NULL, NULL,
                                                  err);
        if (status != AL_OK)
            return status;
        for (int t = 0; t < length; t++) {
            e->model_loss += row_loss(al_at(&e->ws.logits, t, 0), V, ids[start + t + 1]);
            e->held[e->held_count++] = (prediction){ids[start + t], ids[start + t + 1]};
        }
    }
    return AL_OK;
}

/* Encoder-decoder: every held-out pair, teacher-forced. */
static al_status evaluate_pairs(evaluation *e, long first, al_error *err)
{
    int V = e->vocab.size;
    for (long p = 0; p < e->pairs.count; p++) {
        const train_pair *pair = &e->pairs.pairs[p];
        bool held_out = p >= first;
        al_sequence source = {.length = pair->source_length, .ids = pair->source};
        al_sequence read = {.length = pair->target_length, .ids = pair->read};
        if (held_out && e->rnn) {
            /* the mean over the pair's steps, times the steps: their sum */
            al_seq2seq_pair one = {.source = source,
                                   .target = {.length = pair->target_length,
                                              .ids = pair->write}};
            double mean = 0;
            al_status status = al_seq2seq_evaluate(&e->s2s, &e->seq2seq, &one, 1, &mean, err);
            if (status != AL_OK)
                return status;
            e->model_loss += mean * pair->target_length;
        } else if (held_out) {
            al_status status = al_transformer_forward(&e->ws, &e->model, &source, &read, NULL,
                                                      NULL, err);
            if (status != AL_OK)
                return status;
        }
        for (int t = 0; t < pair->target_length; t++) {
            if (!held_out) {
                count(&e->counts, pair->read[t], pair->write[t]);
                continue;
            }
            if (!e->rnn)
                e->model_loss += row_loss(al_at(&e->ws.logits, t, 0), V, pair->write[t]);
            e->held[e->held_count++] = (prediction){pair->read[t], pair->write[t]};
        }
    }
    return AL_OK;
}

static void print_results(const evaluation *e, const model_evaluate_settings *s,
                          float validation, long words)
{
    double unigram = 0, best = INFINITY, best_lambda = 0;
    for (long i = 0; i < e->held_count; i++)
        unigram -= log(unigram_p(&e->counts, e->held[i].word));
    for (int k = 1; k <= 20; k++) {
        double lambda = k < 20 ? 0.05 * k : 0.99, loss = 0;
        for (long i = 0; i < e->held_count; i++)
            loss -= log(bigram_p(&e->counts, e->held[i].previous, e->held[i].word, lambda));
        if (loss < best)
            best = loss, best_lambda = lambda;
    }
    double n = (double)e->held_count;
    printf("%s on %s: the last %.6g of its %ld %s held out, %ld predictions\n", s->model,
           s->corpus, (double)validation, words, e->pairs.count ? "pairs" : "words",
           e->held_count);
    printf("  %-34s %8s %12s\n", "model", "loss", "perplexity");
    printf("  %-34s %8.4f %12.2f\n", "this model", e->model_loss / n, exp(e->model_loss / n));
    printf("  %-34s %8.4f %12.2f\n", "unigram (add-one)", unigram / n, exp(unigram / n));
    char bigram[64];
    snprintf(bigram, sizeof bigram, "bigram (with the unigram, λ %.2f)", best_lambda);
    printf("  %-35s %8.4f %12.2f\n", bigram, best / n, exp(best / n));
    printf("  (loss: mean -ln p of each held-out word; baselines counted on the rest)\n");
}

/* The model, its vocabulary and its training record. */
static int load(evaluation *e, const char *path, al_error *err)
{
    if (al_model_file_family(path, &e->rnn, err) != AL_OK ||
        al_safetensors_read(&e->file, path, err) != AL_OK)
        return 1;
    if (e->rnn)
        return al_seq2seq_file_read(&e->seq2seq, &e->vocab, path, err) == AL_OK ? 0 : 1;
    if (al_transformer_load(&e->model, &e->vocab, path, NULL, err) != AL_OK)
        return 1;
    if (e->model.config.family == AL_FAMILY_ENCODER_ONLY) {
        al_fail(err, AL_ERR_VALUE, "%s is encoder-only (masked words); evaluate measures "
                "models that predict the next word or translate", path);
        return 2;
    }
    return 0;
}

/* Room for the passes: the Transformer's positions, or the RNN's longest pair. */
static al_status make_room(evaluation *e, al_error *err)
{
    if (!e->rnn)
        return al_transformer_workspace_alloc(&e->ws, &e->model, e->model.config.max_positions,
                                              err);
    int source = 1, target = 1;
    for (int p = 0; p < e->pairs.count; p++) {
        source = e->pairs.pairs[p].source_length > source ? e->pairs.pairs[p].source_length
                                                          : source;
        target = e->pairs.pairs[p].target_length > target ? e->pairs.pairs[p].target_length
                                                          : target;
    }
    return al_seq2seq_trainer_alloc(&e->s2s, &e->seq2seq, source, target, err);
}

int model_evaluate(const model_evaluate_settings *s, al_error *err)
{
    evaluation e = {0};
    int result = load(&e, s->model, err);
    if (result != 0)
        goto done;
    result = 1;
    bool pairs = e.rnn || e.model.config.family == AL_FAMILY_ENCODER_DECODER;
    float validation = s->validation > 0 ? s->validation : recorded_validation(&e.file);
    long size = 0, all = 0;
    e.text = al_corpus_read(s->corpus, &size, err);
    if (!e.text) {
        result = err->status == AL_ERR_NOMEM ? 1 : 2;
        goto done;
    }
    al_status status;
    if (pairs) {
        int longest = e.rnn ? LONGEST_RNN_SIDE : e.model.config.max_positions;
        status = train_read_pairs(&e.pairs, e.text, s->corpus, &e.vocab, longest, err);
        all = e.pairs.count;
    } else {
        status = al_tokenize(&e.tokens, e.text, &e.vocab, AL_TOKENIZE_PLAIN, err);
        all = e.tokens.count;
    }
    if (status != AL_OK) {
        result = 2;
        goto done;
    }
    long first = all - (long)(all * (double)validation);
    if (first < 2 || first >= all - 1) {
        al_fail(err, AL_ERR_VALUE, "%s has %ld %s: too few to hold out %.6g of them",
                s->corpus, all, pairs ? "pairs" : "words", (double)validation);
        result = 2;
        goto done;
    }
    long most = pairs ? 0 : all - first;
    for (long p = first; p < e.pairs.count; p++)
        most += e.pairs.pairs[p].target_length;
    e.held = malloc(sizeof *e.held * (size_t)(most > 0 ? most : 1));
    if (!e.held) {
        al_fail(err, AL_ERR_NOMEM, "no memory for %ld predictions", most);
        goto done;
    }
    if (counts_alloc(&e.counts, e.vocab.size, err) != AL_OK || make_room(&e, err) != AL_OK)
        goto done;
    status = pairs ? evaluate_pairs(&e, first, err) : evaluate_next_words(&e, first, all, err);
    if (status != AL_OK)
        goto done;
    print_results(&e, s, validation, all);
    result = 0;
done:
    free(e.held), free(e.text);
    counts_free(&e.counts);
    al_transformer_workspace_free(&e.ws);
    al_seq2seq_trainer_free(&e.s2s);
    train_pairs_free(&e.pairs);
    al_tokens_free(&e.tokens);
    al_transformer_free(&e.model), al_seq2seq_free(&e.seq2seq);
    al_vocab_free(&e.vocab);
    al_safetensors_free(&e.file);
    return result;
}
