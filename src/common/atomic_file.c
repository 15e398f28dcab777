/* atomic_file.c: temporary file, then rename (see atomic_file.h). It knows
 * nothing about what is written. */
#include "attnlab/atomic_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attnlab/cleanup.h"

static char *copy_string(const char *text)
{
    size_t size = strlen(text) + 1;
    char *copy = malloc(size);
    if (copy)
        memcpy(copy, text, size);
    return copy;
}

/* What stands at path, in words, if it is not a regular file. */
static const char *not_regular(mode_t mode)
{
    return S_ISDIR(mode) ? "a folder" : S_ISLNK(mode) ? "a symbolic link"
         : S_ISFIFO(mode) ? "a FIFO" : S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
         : S_ISSOCK(mode) ? "a socket" : "not a regular file";
}

/* The mode the finished file gets: the old file's, or what a new file
 * made with 0666 gets under the umask (read by setting it and back: a
 * program that writes from several threads at once must not rely on it). */
static mode_t new_mode(const struct stat *old, bool exists)
{
    if (exists)
        return old->st_mode & 07777;
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

al_status al_atomic_begin(al_atomic_file *file, const char *path, al_error *err)
{
    *file = (al_atomic_file){0};
    /* only a regular file is ever replaced: renaming over a FIFO, a device
     * or a link would put a file where something else was */
    struct stat old;
    bool exists = lstat(path, &old) == 0;
    if (exists && !S_ISREG(old.st_mode))
        return al_fail(err, AL_ERR_IO, "%s is %s; attnlab replaces only regular files", path,
                       not_regular(old.st_mode));
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
    fchmod(fd, new_mode(&old, exists)); /* mkstemp makes 0600 */
    al_cleanup_add_file(file->temporary_path);   /* a signal removes it */
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
    /* The reason is the first failure's errno: fclose after a failed flush
     * tries again and may set another. ferror alone (an earlier fwrite
     * failed, errno long gone) has the flush repeat that write's error. */
    int reason = 0;
    if (fflush(file->stream) != 0 || ferror(file->stream) != 0 ||
        fsync(fileno(file->stream)) != 0) {
        reason = errno ? errno : EIO;
    }
    if (fclose(file->stream) != 0 && reason == 0) {
        reason = errno;
    }
    file->stream = NULL;
    if (reason != 0)
        return al_fail(err, AL_ERR_IO, "cannot write %s: %s", file->path, strerror(reason));
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
    al_cleanup_forget_file(file->temporary_path);
    free(file->temporary_path);
    free(file->path);
    *file = (al_atomic_file){0};
    return AL_OK;
}

void al_atomic_discard(al_atomic_file *file)
{
    if (file->stream)
        fclose(file->stream);
    if (file->temporary_path) {
        unlink(file->temporary_path);
        al_cleanup_forget_file(file->temporary_path);
    }
    free(file->temporary_path);
    free(file->path);
    *file = (al_atomic_file){0};
}
