/* trace_capture.h: for tests of traced functions: open a trace in a fresh
 * temporary folder, then close it and read the whole file back as text, so
 * a test can look for the records it expects. Include after <cmocka.h>. */
#ifndef ATTNLAB_TESTS_TRACE_CAPTURE_H
#define ATTNLAB_TESTS_TRACE_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "attnlab/trace.h"

typedef struct trace_capture {
    char folder[64];
    char path[96];
    al_trace *trace;
    char *text;   /* after capture_finish: the file's contents, malloc'd */
} trace_capture;

static inline void capture_start(trace_capture *c)
{
    snprintf(c->folder, sizeof c->folder, "/tmp/attnlab-test-XXXXXX");
    assert_non_null(mkdtemp(c->folder));
    snprintf(c->path, sizeof c->path, "%s/t.jsonl", c->folder);
    al_trace_options options = {.program = "test", .seed = 1, .level = AL_TRACE_TENSORS};
    assert_int_equal(al_trace_open(&c->trace, c->path, &options, NULL), AL_OK);
    c->text = NULL;
}

/* Close the trace, read it into c->text and remove the file and folder. */
static inline void capture_finish(trace_capture *c)
{
    assert_int_equal(al_trace_close(c->trace, NULL), AL_OK);
    FILE *file = fopen(c->path, "rb");
    assert_non_null(file);
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    rewind(file);
    c->text = malloc((size_t)size + 1);
    assert_non_null(c->text);
    assert_int_equal(fread(c->text, 1, (size_t)size, file), (size_t)size);
    c->text[size] = '\0';
    fclose(file);
    remove(c->path);
    rmdir(c->folder);
}

static inline void capture_free(trace_capture *c)
{
    free(c->text);
    c->text = NULL;
}

/* Fail unless the captured text contains needle, showing the text. */
#define assert_trace_has(capture, needle)                                                 \
    do {                                                                                 \
        if (!strstr((capture)->text, (needle)))                                          \
            fail_msg("trace lacks\n  %s\nin\n%s", (needle), (capture)->text);            \
    } while (0)

#endif
