/* atomic_file.c: temporary file, then rename (see atomic_file.h). It knows
 * nothing about what is written. */
#include "attnlab/atomic_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *copy_string(const char *text)
{
    size_t size = strlen(text) + 1;
    char *copy = malloc(size);
    if (copy)
        memcpy(copy, text, size);
    return copy;
}

al_status al_atomic_begin(al_atomic_file *file, const char *path, al_error *err)
{
    *file = (al_atomic_file){0};
    size_t size = strlen(path) + sizeof ".XXXXXX";
    file->path = copy_string(path);
    file->temporary_path = malloc(size);
    if (!file->path || !file->temporary_path) {
        al_atomic_discard(file);
        return al_fail(err, AL_ERR_NOMEM, "out of memory writing %s", path);
    }
    snprintf(file->temporary_path, size, "%s.XXXXXX", path); /* mkstemp's template */
    int fd = mkstemp(file->temporary_path);
    if (fd < 0) {
        al_status status = al_fail(err, AL_ERR_IO, "cannot create %s (%s; is the folder there "
                                   "and writable?)", path, strerror(errno));
        free(file->temporary_path);
        file->temporary_path = NULL; /* nothing was created: nothing to delete */
        al_atomic_discard(file);
        return status;
    }
    fchmod(fd, 0644); /* mkstemp makes 0600; what attnlab writes is meant to be shared */
    file->stream = fdopen(fd, "wb");
    if (!file->stream) {
        close(fd);
        al_atomic_discard(file);
        return al_fail(err, AL_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    }
    return AL_OK;
}

al_status al_atomic_finish(al_atomic_file *file, al_error *err)
{
    bool failed = fflush(file->stream) != 0 || ferror(file->stream) != 0 ||
                  fsync(fileno(file->stream)) != 0;
    failed |= fclose(file->stream) != 0;
    file->stream = NULL;
    if (failed)
        return al_fail(err, AL_ERR_IO, "cannot write %s: %s", file->path, strerror(errno));
    return AL_OK;
}

al_status al_atomic_commit(al_atomic_file *file, al_error *err)
{
    if (rename(file->temporary_path, file->path) != 0) {
        al_status status = al_fail(err, AL_ERR_IO, "cannot rename the finished file to %s: %s",
                                   file->path, strerror(errno));
        al_atomic_discard(file);
        return status;
    }
    free(file->temporary_path);
    free(file->path);
    *file = (al_atomic_file){0};
    return AL_OK;
}

void al_atomic_discard(al_atomic_file *file)
{
    if (file->stream)
        fclose(file->stream);
    if (file->temporary_path)
        unlink(file->temporary_path);
    free(file->temporary_path);
    free(file->path);
    *file = (al_atomic_file){0};
}
