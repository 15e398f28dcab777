/* out_path.c: output file names for the renderers: swapping an extension,
 * checking one. */
#include "out_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
