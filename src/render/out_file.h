/* out_file.h: writing an output file so that it appears whole or not at all.
 * The bytes go to a temporary file beside the destination ("PATH.PID.tmp"),
 * which is renamed over PATH only when everything was written; a failure
 * deletes it. It is not a general file API: one writer, one destination. */
#ifndef ATTNLAB_RENDER_OUT_FILE_H
#define ATTNLAB_RENDER_OUT_FILE_H

#include <stdbool.h>
#include <stdio.h>

#include "attnlab/status.h"

typedef struct out_file {
    FILE *stream;          /* write here between begin and end */
    char *path;            /* the destination */
    char *temporary_path;  /* where the bytes go until commit */
} out_file;

/* Create the temporary file and open out->stream on it. On failure nothing
 * is left on disk and *out is cleared. */
al_status out_file_begin(out_file *out, const char *path, al_error *err);

/* Close the stream and check that every byte reached the file. The
 * temporary file stays until out_file_commit or out_file_discard. */
al_status out_file_end(out_file *out, al_error *err);

/* Rename the finished temporary file to its destination and free *out. */
al_status out_file_commit(out_file *out, al_error *err);

/* Close (if still open) and delete the temporary file, free *out. Safe on a
 * cleared or already committed out_file. */
void out_file_discard(out_file *out);

/* A copy of path with its extension (from the last '.' after the last '/')
 * replaced by extension (".svg"), or extension appended if it has none.
 * The caller frees it; NULL when out of memory. */
char *path_with_extension(const char *path, const char *extension);

/* True when path ends with suffix (".png"), letters compared exactly. */
bool path_ends_with(const char *path, const char *suffix);

#endif
