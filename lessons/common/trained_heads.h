/* trained_heads.h: lessons 05 and 06 with --trained: the same sentence
 * through a model that learned its attention, the decoder-only model of
 * data/bank (trained by attnlab-train on data/bank/corpus.txt, where
 * "bank" is a river bank or a money bank and only an earlier "river" or
 * "money" tells which; data/README.md). Its heads are real ones, beside
 * the hand-made head of data/lesson05. Program code over the library
 * (transformer.h): it loads, tokenizes and runs; it prints only the notes
 * on unknown words. */
#ifndef LESSONS_TRAINED_HEADS_H
#define LESSONS_TRAINED_HEADS_H

#include "attnlab/transformer.h"
#include "printout.h"

#define LESSON_TRAINED_MODEL "bank/decoder.safetensors"   /* under the data folder */
#define LESSON_TRAINED_PREFIX "trained."                  /* its trace names        */

typedef struct lesson_trained_heads {
    char path[1024];               /* the model file                           */
    al_transformer model;
    al_vocab vocab;
    al_tokens tokens;              /* the sentence in the model's vocabulary   */
    al_transformer_workspace ws;   /* every step of the pass                   */
} lesson_trained_heads;

/* Load data_dir/LESSON_TRAINED_MODEL, tokenize sentence with its
 * vocabulary (each unknown word noted through p: it becomes <unk>), and
 * run the whole model, traced under LESSON_TRAINED_PREFIX ("trained.tokens",
 * "trained.dec.0.self_attn.h0.weights", ...). Free *t with
 * lesson_trained_heads_free, also after a failure. */
al_status lesson_trained_heads_run(lesson_trained_heads *t, const char *data_dir,
                                   const char *sentence, printout *p, al_trace *trace,
                                   al_error *err);
void lesson_trained_heads_free(lesson_trained_heads *t);

/* Layer layer's self-attention workspace (its heads' steps: al_attention_head_steps). */
const al_attention_workspace *lesson_trained_layer(const lesson_trained_heads *t, int layer);

#endif
