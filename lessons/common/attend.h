/* attend.h: the step lessons 05 to 07 share: a sentence's vectors looked
 * up in the embedding table, then one self-attention layer over them,
 * with room for every step kept for the printout. Program code over the
 * library (layers.h, multihead.h): it prints nothing and computes nothing
 * itself. */
#ifndef LESSONS_ATTEND_H
#define LESSONS_ATTEND_H

#include "attnlab/multihead.h"
#include "attnlab/word_embeddings.h"
#include "printout.h"
#include "runner.h"
#include "sentence.h"
#include "trained_heads.h"

/* The names the plain layer (lesson_embed_and_attend with a NULL how) is
 * traced under: its prefix, and X as looked up from the table. A lesson
 * printing a step builds the step's name from the prefix with multihead.h's
 * al_attention_layer_names_init / al_attention_head_names_init. */
#define LESSON_ATTENTION_PREFIX "enc.0.attn"
#define LESSON_EMBED_NAME "embed"

/* One self-attention run over a sentence of L tokens. */
typedef struct lesson_attention {
    al_matrix x;                      /* L x d_model: the tokens' vectors       */
    al_matrix out;                    /* L x d_model: the layer's output        */
    al_attention_workspace workspace; /* every step of the call, for printing   */
} lesson_attention;

/* Room for a sentence of L tokens under params. The caller frees it with
 * lesson_attention_free, also after a failure. */
al_status lesson_attention_alloc(lesson_attention *run, const al_attention_params *params,
                                 int L, al_error *err);
void lesson_attention_free(lesson_attention *run);

/* How a lesson's layer attends (mask, temperature) and where it is
 * traced: under prefix, reading X under the name input. */
typedef struct lesson_attention_call {
    al_attention_call call;
    const char *prefix;   /* LESSON_ATTENTION_PREFIX */
    const char *input;    /* the traced name of X    */
} lesson_attention_call;

/* X (L x d_model) = the rows of words's table for tokens, traced as
 * embed_name with the ids as "tokens" (not traced when embed_name is
 * NULL); then out (L x d_model) = self-attention on X as how says, rows
 * labelled by the tokens. A NULL how is the plain layer: prefix
 * LESSON_ATTENTION_PREFIX, input LESSON_EMBED_NAME, no mask, temperature 1. */
al_status lesson_embed_and_attend(lesson_attention *run, const al_tokens *tokens,
                                  const al_word_embeddings *words,
                                  const al_attention_params *params,
                                  const lesson_attention_call *how, const char *embed_name,
                                  al_trace *trace, al_error *err);

/* Everything a one-sentence self-attention lesson (05, 06) builds: the
 * words, the sentence's tokens, the layer's parameters and the run. */
typedef struct lesson_self_attention {
    al_word_embeddings words;
    al_tokens tokens;
    al_attention_params params;
    lesson_attention run;   /* X, out and every step between */
    lesson_trained_heads trained;   /* with --trained: the bank corpus model's pass */
} lesson_self_attention;

/* Read the words, tokenize sentence (at most max_tokens, notes for unknown
 * words printed through p), make the parameters as weights says and room
 * for the run. The caller frees *s with lesson_self_attention_free, also
 * after a failure. */
al_status lesson_self_attention_build(lesson_self_attention *s, const char *sentence,
                                      int max_tokens, const lesson_weights *weights, printout *p,
                                      al_error *err);

void lesson_self_attention_free(lesson_self_attention *s);

/* What lessons 05 and 06 are given: the sentence and where the weights
 * come from (lesson_weights_options binds both to the command line). */
typedef struct lesson_self_attention_settings {
    const char *sentence;
    lesson_weights weights;
} lesson_self_attention_settings;

/* lesson_run (runner.h) for those lessons: program gives the about, the
 * options, the narration and the figures; the steps between are shared:
 * build (lesson_self_attention_build, at most 32 tokens), compute (X
 * looked up, then the plain layer, every step traced; with --trained then
 * the bank corpus model on the same sentence, trained_heads.h) and free. The
 * settings start at d_model 6 and heads heads; the callbacks get a
 * lesson_self_attention_settings and a lesson_self_attention. */
int lesson_self_attention_run(const lesson_program *program, int heads, int argc, char **argv);

#endif
