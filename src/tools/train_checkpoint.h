/* train_checkpoint.h: attnlab-train's checkpoints: everything a run needs
 * to go on exactly as if it had never stopped, in one safetensors file
 * written whole or not at all:
 *   tensors   every parameter under its model-file name, and AdamW's two
 *             moments as adam.m.<name> and adam.v.<name>
 *   metadata  format "attnlab-checkpoint", step (updates done), the batch
 *             generator's state (rng_state, rng_increment), the run's
 *             settings and the corpus's size and FNV-1a hash (a resume with
 *             other settings or another corpus is refused), and the losses
 *             so far (losses, validation_losses: %.17g, comma-separated,
 *             -1 where not measured).
 * The vocabulary is not stored: the same corpus and --min-count rebuild it. */
#ifndef ATTNLAB_TRAIN_CHECKPOINT_H
#define ATTNLAB_TRAIN_CHECKPOINT_H

#include "attnlab/rng.h"
#include "attnlab/train.h"

/* What a checkpoint holds besides the tensors. */
typedef struct train_state {
    long step;
    al_rng batch_rng;
    const char *settings;        /* the run's fingerprint (train_fingerprint) */
    double *losses, *val_losses; /* step entries each                         */
} train_state;

/* The tensors of a checkpoint: count parameters under their model-file
 * names, and AdamW's two moments of each (side by side, as the trainers
 * of train.h and seq2seq_train.h list them). */
typedef struct train_tensors {
    int count;
    const char (*names)[AL_NAME_SIZE];
    al_matrix *const *params, *const *ms, *const *vs;
} train_tensors;

/* Write the checkpoint of t and state to path. */
al_status train_checkpoint_write(const char *path, const train_tensors *t,
                                 const train_state *state, al_error *err);

/* Read path into t's tensors (already allocated, the same shapes) and
 * *state (whose losses arrays hold room for max_steps entries); the
 * caller sets its trainer's step from state->step. Fails with
 * AL_ERR_FORMAT naming the problem if the file is not such a checkpoint,
 * if its settings are not state->settings, or if a tensor is missing or
 * has another shape. */
al_status train_checkpoint_read(const char *path, const train_tensors *t, train_state *state,
                                long max_steps, al_error *err);

#endif
