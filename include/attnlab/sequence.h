/* sequence.h: a sentence as a model reads it: token ids, with the labels a
 * trace shows for them. Shared by the Transformer (transformer.h) and the
 * RNN seq2seq model (seq2seq.h). Turning text into ids is vocab.h's. */
#ifndef ATTNLAB_SEQUENCE_H
#define ATTNLAB_SEQUENCE_H

/* One sequence given to a model. Everything is borrowed: the arrays must
 * stay alive while the model uses them. */
typedef struct al_sequence {
    int length;
    const int *ids;                /* length token ids, each in 0 .. V-1          */
    const char *const *labels;     /* length strings for the trace, or NULL       */
    const int *segments;           /* Transformers with segments: length ids in
                                      0 .. segments-1; NULL means all 0            */
} al_sequence;

#endif
