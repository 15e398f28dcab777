/* fuzz_model_file.c: any bytes as a model file (safetensors with attnlab's
 * metadata). The loader must refuse them with one message or load a model
 * whose every tensor is there at its configuration's shape; nothing it
 * declares may make it allocate beyond what the file holds. */
#include <stddef.h>
#include <stdint.h>

#include "attnlab/model_file.h"
#include "fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_input_file(data, size);
    al_model_file model;
    al_error err;
    if (path && al_model_file_read(&model, path, NULL, &err) == AL_OK)
        al_model_file_free(&model);
    return 0;
}
