/* seq2seq_traces.c: writes traces of the RNN seq2seq model (Elman, and GRU
 * in Cho et al.'s form and in PyTorch's; without attention and with every
 * score, greedy and teacher-forced) from seeded random weights, for the
 * NumPy reference (seq2seq_reference.py) to redo from the trace alone. Not a test by itself: it only computes.
 *
 *   seq2seq_traces FOLDER     writes FOLDER/<case>.jsonl, one per case
 *
 * Each trace's header "args" say what the case is ("cell=gru",
 * "score=additive", "mode=greedy", ...). */
#include <stdio.h>
#include <string.h>

#include "attnlab/blas.h"
#include "attnlab/seq2seq.h"

#define V 12
#define MAX_SOURCE 6
#define MAX_STEPS 6

static const char *const WORDS[V] = {"<pad>", "<unk>", "<bos>", "<eos>", "[CLS]", "[MASK]",
                                     "european", "economic", "area", "zone", "économique",
                                     "européenne"};

typedef struct case_spec {
    const char *name;
    al_rnn_kind cell;
    bool attention;
    al_score_kind score;
    bool greedy;              /* false: teacher forcing with 4 target words */
    int source_length;
    uint64_t seed;
} case_spec;

static al_status run_case(const case_spec *c, al_trace *trace, al_error *err)
{
    al_seq2seq_config config = {.cell = c->cell, .vocab_size = V, .d_embed = 4, .d_hidden = 5,
                                .attention = c->attention, .score = c->score,
                                .d_attention = 3};
    al_seq2seq model;
    al_seq2seq_workspace ws = {0};
    al_rng rng;
    al_rng_seed(&rng, c->seed, 1);
    al_status status = al_seq2seq_alloc(&model, &config, err);
    if (status != AL_OK)
        return status;
    al_seq2seq_init(&model, &rng);
    /* biases away from 0, so that a reference that forgot one disagrees
     * (PyTorch's b_hn last: the other cases' draws stay as they were) */
    const char *biases[] = {"s2s.enc.b",    "s2s.enc.b_z", "s2s.enc.b_r",  "s2s.dec.b",
                            "s2s.dec.b_z",  "s2s.dec.b_r", "s2s.output.b", "s2s.enc.b_hn",
                            "s2s.dec.b_hn"};
    for (int k = 0; k < 9; k++) {
        al_matrix *b = al_seq2seq_param(&model, biases[k]);
        if (b)
            al_rng_fill_normal(b, &rng, 0.0f, 0.5f);
    }
    status = al_seq2seq_workspace_alloc(&ws, &model, MAX_SOURCE, MAX_STEPS, err);
    int source_ids[MAX_SOURCE], target_ids[4];
    const char *source_labels[MAX_SOURCE], *target_labels[4];
    for (int i = 0; i < c->source_length; i++) {
        source_ids[i] = AL_SPECIAL_TOKENS + (int)al_rng_below(&rng, V - AL_SPECIAL_TOKENS);
        source_labels[i] = WORDS[source_ids[i]];
    }
    for (int i = 0; i < 4; i++) {
        target_ids[i] = i == 3 ? AL_TOKEN_EOS
                               : AL_SPECIAL_TOKENS + (int)al_rng_below(&rng, V - 6);
        target_labels[i] = WORDS[target_ids[i]];
    }
    al_sequence source = {c->source_length, source_ids, source_labels, NULL};
    al_sequence target = {4, target_ids, target_labels, NULL};
    int tokens[MAX_STEPS], length;
    if (status == AL_OK)
        status = al_seq2seq_encode(&ws, &model, &source, trace, err);
    if (status == AL_OK)
        status = al_seq2seq_decode(tokens, &length, &ws, &model, c->greedy ? NULL : &target,
                                   MAX_STEPS, WORDS, trace, err);
    al_seq2seq_workspace_free(&ws);
    al_seq2seq_free(&model);
    return status;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: seq2seq_traces FOLDER\n");
        return 2;
    }
    al_blas_set_threads(1);
    const case_spec cases[] = {
        {"elman-bottleneck-greedy", AL_RNN_ELMAN, false, AL_SCORE_DOT, true, 3, 1},
        {"gru-bottleneck-forced", AL_RNN_GRU, false, AL_SCORE_DOT, false, 5, 2},
        {"gru-additive-forced", AL_RNN_GRU, true, AL_SCORE_ADDITIVE, false, 4, 3},
        {"elman-additive-greedy", AL_RNN_ELMAN, true, AL_SCORE_ADDITIVE, true, 3, 4},
        {"elman-general-greedy", AL_RNN_ELMAN, true, AL_SCORE_GENERAL, true, 6, 5},
        {"gru-dot-greedy", AL_RNN_GRU, true, AL_SCORE_DOT, true, 2, 6},
        {"gru-scaled-dot-forced", AL_RNN_GRU, true, AL_SCORE_SCALED_DOT, false, 3, 7},
        {"gru-pytorch-bottleneck-forced", AL_RNN_GRU_PYTORCH, false, AL_SCORE_DOT, false, 4, 8},
        {"gru-pytorch-additive-greedy", AL_RNN_GRU_PYTORCH, true, AL_SCORE_ADDITIVE, true, 5, 9},
        {"gru-pytorch-general-forced", AL_RNN_GRU_PYTORCH, true, AL_SCORE_GENERAL, false, 3,
         10},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const case_spec *c = &cases[k];
        char path[512], cell[32], attention[32], score[48], mode[32];
        snprintf(path, sizeof path, "%s/%s.jsonl", argv[1], c->name);
        snprintf(cell, sizeof cell, "cell=%s", al_rnn_kind_name(c->cell));
        snprintf(attention, sizeof attention, "attention=%d", c->attention);
        snprintf(score, sizeof score, "score=%s", al_score_kind_name(c->score));
        snprintf(mode, sizeof mode, "mode=%s", c->greedy ? "greedy" : "forced");
        const char *args[] = {cell, attention, score, mode};
        al_trace_options options = {.program = "seq2seq_traces", .argc = 4, .argv = args,
                                    .seed = c->seed, .level = AL_TRACE_TENSORS};
        al_trace *trace;
        al_error err;
        al_status status = al_trace_open(&trace, path, &options, &err);
        if (status == AL_OK)
            status = run_case(c, trace, &err);
        if (status == AL_OK)
            status = al_trace_close(trace, &err);
        else
            al_trace_discard(trace);
        if (status != AL_OK) {
            fprintf(stderr, "seq2seq_traces: %s: %s\n", c->name, err.message);
            return 1;
        }
    }
    return 0;
}
