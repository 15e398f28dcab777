/* model_record.h: what a model file's training record says of how its
 * weights were made, for the lessons that run a trained model (04 and 10)
 * to print beside the file's name. Program code over the library's record
 * reader (safetensors.h): it reads and words, it prints nothing. */
#ifndef LESSONS_MODEL_RECORD_H
#define LESSONS_MODEL_RECORD_H

#include <stddef.h>

#include "attnlab/status.h"

/* How the weights of the model file at path (an RNN seq2seq or a
 * Transformer, model_file.h) were made, from its training record, for a
 * printout indented by two spaces: "trained by attnlab-train on
 * data/translate/pairs.tsv (10666 bytes, FNV-1a ...)\n  in 2000 steps,
 * held-out loss 0.00167", or "made without a training record" when the
 * file has none. Reads the header only; fails, naming the file, when it
 * cannot be read. */
al_status lesson_model_record(char *buf, size_t size, const char *path, al_error *err);

#endif
