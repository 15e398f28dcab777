/* atomic_file.h: writing a file so that it appears whole or not at all.
 * The bytes go to a fresh temporary file beside the destination
 * ("PATH.XXXXXX", made by mkstemp, so two programs writing the same path
 * never share one), which is renamed over PATH only when every byte was
 * written and flushed to disk; any failure deletes it, and so does a
 * signal that ends the program (cleanup.h). Used for traces,
 * model files and figures. Not a general file API: one writer, one
 * destination. Part of the small common library, so the renderers can use
 * it without the computing code. */
#ifndef ATTNLAB_ATOMIC_FILE_H
#define ATTNLAB_ATOMIC_FILE_H

#include <stdio.h>

#include "attnlab/status.h"

typedef struct al_atomic_file {
    FILE *stream;          /* write here between begin and finish */
    char *path;            /* the destination                     */
    char *temporary_path;  /* where the bytes are until commit    */
} al_atomic_file;

/* Create the temporary file and open file->stream on it. It gets the mode
 * of the file it will replace, or for a new file 0666 less the umask (as
 * fopen's files). Something at path that is not a regular file (a folder,
 * a FIFO, a device, a symbolic link) is refused: AL_ERR_IO "PATH is a
 * FIFO; attnlab replaces only regular files". On failure nothing is left
 * on disk, *file is cleared and the error names path. */
al_status al_atomic_begin(al_atomic_file *file, const char *path, al_error *err);

/* Flush to disk, close the stream and check that every byte arrived. The
 * temporary file stays until al_atomic_commit or al_atomic_discard (so a
 * program writing two files can finish both before naming either). */
al_status al_atomic_finish(al_atomic_file *file, al_error *err);

/* Rename the finished temporary file over its destination and clear
 * *file. On failure the temporary file is deleted. */
al_status al_atomic_commit(al_atomic_file *file, al_error *err);

/* Close (if still open) and delete the temporary file, clear *file. Safe
 * on a cleared or committed al_atomic_file. */
void al_atomic_discard(al_atomic_file *file);

#endif
