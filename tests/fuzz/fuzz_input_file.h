/* fuzz_input_file.h: the fuzz targets whose readers take a path (the trace
 * reader, the model-file loader) get the fuzzer's bytes as a file: one per
 * process, rewritten for every input. */
#ifndef TESTS_FUZZ_INPUT_FILE_H
#define TESTS_FUZZ_INPUT_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Write data[0, size) to this process's scratch file and return its path
 * (the same path every call), or NULL if it cannot be written. */
const char *fuzz_input_file(const uint8_t *data, size_t size);

#endif
