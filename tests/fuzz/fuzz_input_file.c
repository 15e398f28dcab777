/* fuzz_input_file.c: see fuzz_input_file.h. */
#include "fuzz_input_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *fuzz_input_file(const uint8_t *data, size_t size)
{
    static char path[512];
    if (!path[0]) {
        const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(path, sizeof path, "%s/attnlab_fuzz_%ld", dir, (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    size_t written = fwrite(data, 1, size, f);
    if (fclose(f) != 0 || written != size)
        return NULL;
    return path;
}

char *fuzz_input_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
    }
    return text;
}
