/* fuzz_replay.c: a main for the fuzz targets without libFuzzer, so that
 * meson test runs every input of tests/fuzz/corpus/<target> (the seeds,
 * and every input that once crashed a target) under the sanitizers of an
 * ordinary build. Usage: replay_<target> DIR-OR-FILE... */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run the target on one file; 0, or 1 if it cannot be read. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    size_t size = 0, capacity = 4096;
    uint8_t *data = malloc(capacity);
    for (size_t got; data && (got = fread(data + size, 1, capacity - size, f)) > 0;) {
        size += got;
        if (size == capacity) {
            uint8_t *bigger = realloc(data, capacity *= 2);
            if (!bigger) {
                free(data);
                data = NULL;
            }
            data = bigger;
        }
    }
    fclose(f);
    if (!data) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        return 1;
    }
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    int failures = 0, inputs = 0;
    for (int a = 1; a < argc; a++) {
        struct stat st;
        if (stat(argv[a], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *dir = opendir(argv[a]);
            for (struct dirent *e; dir && (e = readdir(dir));) {
                if (e->d_name[0] == '.')
                    continue;
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
                failures += replay_file(path);
                inputs++;
            }
            if (dir)
                closedir(dir);
        } else {
            failures += replay_file(argv[a]);
            inputs++;
        }
    }
    printf("replayed %d inputs\n", inputs);
    return failures || inputs == 0;
}
