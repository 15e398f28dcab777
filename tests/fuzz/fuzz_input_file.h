/* fuzz_input_file.h: the fuzzer's bytes in the form a target's reader
 * takes: as a file (the trace, model-file, vocabulary and table readers
 * take a path: one per process, rewritten for every input), or as a
 * NUL-terminated copy (the parsers take text). */
#ifndef TESTS_FUZZ_INPUT_FILE_H
#define TESTS_FUZZ_INPUT_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Write data[0, size) to this process's scratch file and return its path
 * (the same path every call), or NULL if it cannot be written. */
const char *fuzz_input_file(const uint8_t *data, size_t size);

/* data[0, size) and a NUL after it, malloc'ed (free() it), or NULL. */
char *fuzz_input_text(const uint8_t *data, size_t size);

#endif
