/* seq2seq_model.h: the RNN encoder-decoder that lessons 01 and 04 run: the
 * hand-made model of data/lesson04 (Elman cells, d_e = 8, d_h = 13, every
 * dimension named; with its general or additive attention, or without
 * attention), a seeded random one, or the trained one of
 * data/translate/rnn.safetensors (lesson04), and a source sentence
 * tokenized for it (model_record.h says how a model file was made).
 * Program code over the library (seq2seq.h, seq2seq_file.h, vocab.h,
 * table_file.h): it loads, checks and notes, it computes nothing. */
#ifndef LESSONS_SEQ2SEQ_MODEL_H
#define LESSONS_SEQ2SEQ_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "attnlab/seq2seq.h"
#include "attnlab/table_file.h"
#include "attnlab/vocab.h"
#include "model_record.h"
#include "printout.h"

/* The hand-made model's sizes (data/lesson04/make_weights.py). Its encoder
 * counts positions with a thermometer of 5: <bos> and at most 4 words. */
#define LESSON_S2S_HAND_MADE_D_EMBED 8
#define LESSON_S2S_HAND_MADE_D_HIDDEN 13
#define LESSON_S2S_HAND_MADE_D_ATTENTION 5
#define LESSON_S2S_HAND_MADE_MAX_WORDS 4

/* The trained model, under the data folder (data/README.md, "Trained
 * models"): a GRU seq2seq with additive attention, d 64, trained by
 * attnlab-train on data/translate/pairs.tsv. */
#define LESSON_S2S_TRAINED_FILE "translate/rnn.safetensors"

/* Which model to build. */
typedef struct lesson_s2s_choice {
    bool hand_made;          /* data/lesson04's tables; otherwise seeded random   */
    bool attention;          /* false: the bottleneck, one fixed context          */
    al_score_kind score;     /* with attention                                     */
    al_rnn_kind cell;        /* random only (the hand-made model is Elman)         */
    int d_embed, d_hidden;   /* random only                                        */
    uint64_t seed;           /* random only                                        */
    const char *data_dir;    /* the folder holding lesson04/                       */
} lesson_s2s_choice;

/* The --cell choices of lessons 01 and 04, as their --help lists them:
 * elman, gru (Cho et al.'s form) and gru-pytorch (torch.nn.GRU's). */
#define LESSON_S2S_CELLS "elman|gru|gru-pytorch"

/* What the two GRU forms differ in, for the end of --cell's help line
 * ("\n" continues it under the help column; the parser indents it). */
#define LESSON_S2S_CELL_FORMS                                   \
    ". gru: Cho et al.'s GRU,\n"                                 \
    "n = tanh(x·W_x + (r ⊙ h)·W_h + b); gru-pytorch: torch.nn.GRU's,\n" \
    "n = tanh(x·W_x + b + r ⊙ (h·W_h + b_hn))"

/* The cell a --cell value names (one of LESSON_S2S_CELLS, already checked
 * by the option parser); NULL, not given, is Elman. */
al_rnn_kind lesson_s2s_cell(const char *option);

/* For a GRU, one or two lines for a printout saying which form the
 * candidate n_j took, with its equation; NULL for Elman. */
const char *lesson_s2s_gru_form(al_rnn_kind cell);

/* Read <data_dir>/lesson04/vocab.txt (the caller frees *vocab with
 * al_vocab_free, also after a failure). */
al_status lesson_s2s_vocab_read(al_vocab *vocab, const char *data_dir, al_error *err);

/* Allocate *model for vocab and fill it: the hand-made tables of
 * data/lesson04 (al_seq2seq_read), or seeded random weights
 * (al_seq2seq_init; additive attention gets d_a = d_hidden). The caller
 * frees *model with al_seq2seq_free, also after a failure. */
al_status lesson_s2s_model(al_seq2seq *model, const al_vocab *vocab,
                           const lesson_s2s_choice *choice, al_error *err);

/* The names of the hand-made model's dimensions, read from the column
 * labels of its tables: a word vector's (d_e: bos european economic ...),
 * a state's (d_h: ... pos0 pos1 ...) and the decoder input's (d_e + d_h:
 * in.bos ... ctx.pos4, the rows of s2s.dec.w_x). Free with
 * lesson_s2s_names_free, also after a failure. */
typedef struct lesson_s2s_names {
    al_table embed, state, input;
} lesson_s2s_names;

al_status lesson_s2s_names_read(lesson_s2s_names *names, const char *data_dir, al_error *err);
void lesson_s2s_names_free(lesson_s2s_names *names);

/* Tokenize text for a model over vocab, with <bos> first when flags say
 * so (AL_TOKENIZE_BOS). Fails with one sentence in err for an empty text,
 * more than max_words words (<bos> not counted), or a word vocab lacks
 * (naming it, listing the words vocab has, and saying that the hand-made
 * model refuses others: it has a translation for its own words only). The
 * caller frees *tokens with al_tokens_free. */
al_status lesson_s2s_source(al_tokens *tokens, const char *text, const al_vocab *vocab,
                            int flags, int max_words, al_error *err);

/* The same, but a word vocab lacks is read as <unk>, and a note naming it
 * is printed through p ("note: 'happy' is not in the model's vocabulary (92
 * words); it becomes <unk>"); only an empty text or too many words fail. */
al_status lesson_s2s_source_unknown(al_tokens *tokens, const char *text, const al_vocab *vocab,
                                    int flags, int max_words, printout *p, al_error *err);

/* Read the trained model <data_dir>/LESSON_S2S_TRAINED_FILE into *model
 * and *vocab (al_seq2seq_file_read: the caller frees them with
 * al_seq2seq_free and al_vocab_free, also after a failure); path (size
 * bytes) receives the file's path. */
al_status lesson_s2s_trained_read(al_seq2seq *model, al_vocab *vocab, char *path, size_t size,
                                  const char *data_dir, al_error *err);

#endif
