/* safetensors_write.c: writing named float32 matrices as a safetensors
 * file (layout in safetensors.h), atomically: a temporary file beside the
 * destination, renamed into place only when every byte is on disk.
 * Reading is safetensors_read.c. */
#include "attnlab/safetensors.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/atomic_file.h"

/* Names unique and usable, numbers finite: what the reader will demand. */
static al_status check_tensors(const al_named_tensor *tensors, int count, al_error *err)
{
    for (int t = 0; t < count; t++) {
        const char *name = tensors[t].name;
        if (!name || !name[0] || strcmp(name, "__metadata__") == 0)
            return al_fail(err, AL_ERR_VALUE, "safetensors: tensor %d needs a name other "
                           "than \"\" and \"__metadata__\"", t);
        for (int u = 0; u < t; u++)
            if (strcmp(tensors[u].name, name) == 0)
                return al_fail(err, AL_ERR_VALUE, "safetensors: two tensors are named '%s'",
                               name);
        const al_matrix *m = &tensors[t].value;
        for (int i = 0; i < m->rows; i++)
            for (int j = 0; j < m->cols; j++)
                if (!isfinite(*al_at(m, i, j)))
                    return al_fail(err, AL_ERR_VALUE, "safetensors: tensor '%s' holds %g at "
                                   "(%d, %d)", name, (double)*al_at(m, i, j), i, j);
    }
    return AL_OK;
}

/* {"__metadata__": {...}, "name": {"dtype": "F32", "shape": [r, c],
 *  "data_offsets": [begin, end]}, ...}, tensors back to back in the given
 * order. Jansson keeps keys in insertion order, so the text is the same on
 * every run. */
static json_t *build_header(const al_named_tensor *tensors, int count,
                            const al_metadata_entry *metadata, int metadata_count)
{
    json_t *root = json_object();
    if (metadata_count > 0) {
        json_t *entries = json_object();
        json_object_set_new(root, "__metadata__", entries);
        for (int e = 0; e < metadata_count; e++) {
            /* json_string refuses text that is not UTF-8 */
            json_t *value = json_string(metadata[e].value);
            if (!value || json_object_set_new(entries, metadata[e].key, value) != 0) {
                json_decref(root);
                return NULL;
            }
        }
    }
    json_int_t offset = 0;
    for (int t = 0; t < count; t++) {
        const al_matrix *m = &tensors[t].value;
        json_int_t bytes = (json_int_t)m->rows * m->cols * 4;
        json_t *entry = json_pack("{s:s, s:[i, i], s:[I, I]}", "dtype", "F32", "shape", m->rows,
                                  m->cols, "data_offsets", offset, offset + bytes);
        if (!entry || json_object_set_new(root, tensors[t].name, entry) != 0) {
            json_decref(root);
            return NULL;
        }
        offset += bytes;
    }
    return root;
}

/* The 8-byte little-endian length. */
static void write_length(FILE *file, uint64_t n)
{
    for (int byte = 0; byte < 8; byte++)
        fputc((int)((n >> (8 * byte)) & 0xffu), file);
}

/* Each float's four bytes, least significant first, whatever the machine. */
static void write_floats(FILE *file, const al_matrix *m)
{
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++) {
            uint32_t bits;
            memcpy(&bits, al_at(m, i, j), sizeof bits);
            for (int byte = 0; byte < 4; byte++)
                fputc((int)((bits >> (8 * byte)) & 0xffu), file);
        }
}

/* Header padded with spaces to a multiple of 8, so the data starts aligned
 * (as the safetensors library writes it). */
static void write_contents(FILE *file, const char *header, const al_named_tensor *tensors,
                           int count)
{
    size_t length = strlen(header), padded = (length + 7) / 8 * 8;
    write_length(file, padded);
    fputs(header, file);
    for (size_t k = length; k < padded; k++)
        fputc(' ', file);
    for (int t = 0; t < count; t++)
        write_floats(file, &tensors[t].value);
}

/* The file appears whole or not at all (atomic_file.h). */
static al_status write_atomically(const char *path, const char *header,
                                  const al_named_tensor *tensors, int count, al_error *err)
{
    al_atomic_file file;
    al_status status = al_atomic_begin(&file, path, err);
    if (status != AL_OK)
        return status;
    write_contents(file.stream, header, tensors, count);
    status = al_atomic_finish(&file, err);
    if (status == AL_OK)
        status = al_atomic_commit(&file, err);
    al_atomic_discard(&file);
    return status;
}

al_status al_safetensors_write(const char *path, const al_named_tensor *tensors, int count,
                               const al_metadata_entry *metadata, int metadata_count,
                               al_error *err)
{
    al_status status = check_tensors(tensors, count, err);
    if (status != AL_OK)
        return status;
    json_t *root = build_header(tensors, count, metadata, metadata_count);
    char *header = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!header)
        return al_fail(err, AL_ERR_VALUE, "cannot make the header of %s (is every name, "
                       "key and value UTF-8 text?)", path);
    status = write_atomically(path, header, tensors, count, err);
    free(header);
    return status;
}
