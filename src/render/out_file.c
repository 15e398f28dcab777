/* out_file.c: atomic output files (temporary name, then rename), shared by
 * both renderers for PNG, SVG and DOT. It does not decide file names beyond
 * swapping an extension. */
#include "out_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *copy_string(const char *text)
{
    size_t size = strlen(text) + 1;
    char *copy = malloc(size);
    if (copy) {
        memcpy(copy, text, size);
    }
    return copy;
}

al_status out_file_begin(out_file *out, const char *path, al_error *err)
{
    *out = (out_file){0};
    size_t size = strlen(path) + 32;
    out->path = copy_string(path);
    out->temporary_path = malloc(size);
    if (!out->path || !out->temporary_path) {
        out_file_discard(out);
        return al_fail(err, AL_ERR_NOMEM, "out of memory");
    }
    /* The process id keeps two programs writing the same figure apart;
     * O_EXCL refuses to write through a file that is already there. */
    snprintf(out->temporary_path, size, "%s.%ld.tmp", path, (long)getpid());
    int fd = open(out->temporary_path, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0) {
        al_status status = al_fail(err, AL_ERR_IO, "cannot create %s: %s", path, strerror(errno));
        free(out->temporary_path);
        out->temporary_path = NULL;
        out_file_discard(out);
        return status;
    }
    out->stream = fdopen(fd, "wb");
    if (!out->stream) {
        close(fd);
        out_file_discard(out);
        return al_fail(err, AL_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    }
    return AL_OK;
}

al_status out_file_end(out_file *out, al_error *err)
{
    bool failed = ferror(out->stream) != 0;
    failed |= fclose(out->stream) != 0;
    out->stream = NULL;
    if (failed) {
        return al_fail(err, AL_ERR_IO, "cannot write %s: %s", out->path, strerror(errno));
    }
    return AL_OK;
}

al_status out_file_commit(out_file *out, al_error *err)
{
    if (rename(out->temporary_path, out->path) != 0) {
        al_status status = al_fail(err, AL_ERR_IO, "cannot rename the finished file to %s: %s",
                                   out->path, strerror(errno));
        out_file_discard(out);
        return status;
    }
    free(out->temporary_path);
    free(out->path);
    *out = (out_file){0};
    return AL_OK;
}

void out_file_discard(out_file *out)
{
    if (out->stream) {
        fclose(out->stream);
    }
    if (out->temporary_path) {
        unlink(out->temporary_path);
    }
    free(out->temporary_path);
    free(out->path);
    *out = (out_file){0};
}

char *path_with_extension(const char *path, const char *extension)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    size_t stem = (dot && (!slash || dot > slash)) ? (size_t)(dot - path) : strlen(path);
    size_t size = stem + strlen(extension) + 1;
    char *result = malloc(size);
    if (result) {
        snprintf(result, size, "%.*s%s", (int)stem, path, extension);
    }
    return result;
}

bool path_ends_with(const char *path, const char *suffix)
{
    size_t n = strlen(path), m = strlen(suffix);
    return n >= m && strcmp(path + n - m, suffix) == 0;
}
