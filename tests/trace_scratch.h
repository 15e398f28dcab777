/* trace_scratch.h: for the attention tests, write a trace into a fresh
 * folder under /tmp, read it back as text, and clean up. Tests look for
 * exact record fragments in the text; reading traces as data is the
 * reader's job (traceio) and the NumPy reference's.
 * Include after <cmocka.h>. */
#ifndef ATTNLAB_TESTS_TRACE_SCRATCH_H
#define ATTNLAB_TESTS_TRACE_SCRATCH_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attnlab/trace.h"

typedef struct trace_scratch {
    char folder[64];
    char path[128];
    char *text;  /* the whole file after trace_scratch_read, malloc'd */
} trace_scratch;

/* Open a trace at rows level (so softmax rows are written too). */
static inline al_trace *trace_scratch_open(trace_scratch *s)
{
    *s = (trace_scratch){0};
    snprintf(s->folder, sizeof s->folder, "/tmp/attnlab-attention-XXXXXX");
    assert_non_null(mkdtemp(s->folder));
    snprintf(s->path, sizeof s->path, "%s/t.jsonl", s->folder);
    al_trace_options options = {.program = "test", .seed = 1, .level = AL_TRACE_ROWS};
    al_trace *trace = NULL;
    assert_int_equal(al_trace_open(&trace, s->path, &options, NULL), AL_OK);
    return trace;
}

/* Close the trace and read the file into s->text. */
static inline const char *trace_scratch_read(trace_scratch *s, al_trace *trace)
{
    assert_int_equal(al_trace_close(trace, NULL), AL_OK);
    FILE *file = fopen(s->path, "rb");
    assert_non_null(file);
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    s->text = calloc((size_t)size + 1, 1);
    assert_non_null(s->text);
    assert_int_equal(fread(s->text, 1, (size_t)size, file), (size_t)size);
    fclose(file);
    return s->text;
}

/* The line of the tensor record called name, or fail. */
static inline const char *trace_scratch_record(const trace_scratch *s, const char *name)
{
    char key[160];
    snprintf(key, sizeof key, "\"kind\": \"tensor\", \"name\": \"%s\",", name);
    const char *line = strstr(s->text, key);
    if (!line)
        fail_msg("no tensor record named %s in the trace", name);
    return line;
}

/* Fail unless the record of name contains fragment (on its own line);
 * the message shows the record. */
static inline void trace_scratch_expect(const trace_scratch *s, const char *name,
                                        const char *fragment)
{
    const char *line = trace_scratch_record(s, name);
    const char *end = strchr(line, '\n');
    int length = end ? (int)(end - line) : (int)strlen(line);
    const char *found = strstr(line, fragment);
    if (!found || (end && found > end))
        fail_msg("record %s lacks %s:\n%.*s", name, fragment, length, line);
}

static inline void trace_scratch_remove(trace_scratch *s)
{
    remove(s->path);
    rmdir(s->folder);
    free(s->text);
    s->text = NULL;
}

#endif
