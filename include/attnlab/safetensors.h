/* safetensors.h: reading and writing named float32 matrices in the
 * safetensors format (https://huggingface.co/docs/safetensors), the format
 * attnlab's model files use, so that PyTorch and NumPy users can open them.
 * This is the container only: which tensors a model has, and their shapes,
 * are model_layout.h; the configuration and vocabulary in the metadata are
 * model_file.h.
 *
 * The layout of a file:
 *
 *   bytes 0..7      N, the header's length, an unsigned 64-bit little-endian
 *                   integer
 *   bytes 8..8+N    the header: UTF-8 JSON, padded with spaces to a multiple
 *                   of 8 bytes, e.g.
 *                     {"__metadata__": {"d_model": "4"},
 *                      "embed.table": {"dtype": "F32", "shape": [10, 4],
 *                                      "data_offsets": [0, 160]}, ...}
 *   the rest        the data: each tensor's numbers row by row as
 *                   little-endian IEEE-754 float32, at [begin, end) counted
 *                   from the start of the data
 *
 * attnlab writes every tensor with two dimensions [rows, cols] (a bias is
 * [1, d]), back to back in the order given, with no gaps. "__metadata__"
 * maps names to strings (safetensors allows nothing else there).
 *
 * The reader is strict, because a model file may come from anywhere: it
 * refuses, each with a message naming the file and the problem, a file too
 * short for its header length or its data ("truncated"), a header length
 * above AL_SAFETENSORS_MAX_HEADER ("oversized header"), JSON it cannot
 * parse or that repeats a name ("malformed JSON header"), a dtype other
 * than F32, shapes with no elements or more than two dimensions, data
 * offsets that end before they begin, that do not span shape x 4 bytes,
 * that run past the end of the data, that overlap, or that leave bytes
 * belonging to no tensor, and numbers that are NaN or infinite. One
 * dimension ([d]) is read as 1 x d. */
#ifndef ATTNLAB_SAFETENSORS_H
#define ATTNLAB_SAFETENSORS_H

#include "attnlab/matrix.h"

/* The largest header attnlab reads: the limit the safetensors library
 * itself uses (100 MB). A longer claim is a corrupt or hostile file. */
#define AL_SAFETENSORS_MAX_HEADER 100000000ull

/* A matrix with its name. For writing, the caller's (borrowed); in a file
 * read by al_safetensors_read, owned by that file. */
typedef struct al_named_tensor {
    const char *name;
    al_matrix value;
} al_named_tensor;

/* One "__metadata__" entry: a name and a string. */
typedef struct al_metadata_entry {
    const char *key;
    const char *value;
} al_metadata_entry;

/* The contents of a file read by al_safetensors_read: tensors in the order
 * of their data, metadata in the order of the header. Everything here is
 * owned by the struct and released by al_safetensors_free. */
typedef struct al_safetensors {
    int count;
    al_named_tensor *tensors;
    int metadata_count;
    al_metadata_entry *metadata;
} al_safetensors;

/* Write count tensors and metadata_count metadata entries to path. The file
 * appears whole or not at all: it is written to "<path>.XXXXXX" beside it,
 * flushed, then renamed into place. Fails with AL_ERR_VALUE for an empty or
 * repeated name, the reserved name "__metadata__", or a NaN or infinity in
 * a tensor; AL_ERR_IO if the file cannot be written. */
al_status al_safetensors_write(const char *path, const al_named_tensor *tensors, int count,
                               const al_metadata_entry *metadata, int metadata_count,
                               al_error *err);

/* Read path into *file. The caller owns the result and frees it with
 * al_safetensors_free. On failure *file is empty. */
al_status al_safetensors_read(al_safetensors *file, const char *path, al_error *err);

/* The header alone: the same checks as al_safetensors_read, the metadata
 * read into *file, but no tensor's data (file->count is 0). Cheap: for a
 * program that only wants to know what a file holds. Freed by
 * al_safetensors_free. */
al_status al_safetensors_read_metadata(al_safetensors *file, const char *path, al_error *err);

void al_safetensors_free(al_safetensors *file);

/* The tensor called name, or NULL. */
const al_matrix *al_safetensors_find(const al_safetensors *file, const char *name);

/* The metadata value stored under key, or NULL. */
const char *al_safetensors_metadata(const al_safetensors *file, const char *key);

#endif
