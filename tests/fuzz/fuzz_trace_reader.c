/* fuzz_trace_reader.c: any bytes as a trace file. The reader must refuse
 * or accept them with one message, never crash, leak or read out of
 * bounds; an accepted trace's tensors are walked to the last entry. */
#include <stddef.h>
#include <stdint.h>

#include "attnlab/trace_file.h"
#include "fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the last entries read go, so the reads are not optimised away. */
static volatile float sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_input_file(data, size);
    al_trace_file *trace = NULL;
    al_error err;
    if (path && al_trace_file_read(&trace, path, &err) == AL_OK) {
        for (int t = 0; t < trace->n_tensors; t++) {
            const al_trace_tensor *tensor = &trace->tensors[t];
            if (tensor->rows > 0 && tensor->cols > 0)
                sink = al_trace_tensor_at(tensor, tensor->rows - 1, tensor->cols - 1);
            (void)al_trace_file_find(trace, tensor->name);
        }
        al_trace_file_free(trace);
    }
    return 0;
}
