/* fuzz_table_reader.c: any bytes as a labelled data table (data/lesson05/
 * w_q.txt, embeddings.txt: "columns:" then a label and numbers a row).
 * The reader refuses them with one message naming the line, or gives a
 * table whose every row has its label and one number per column. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "attnlab/table_file.h"
#include "fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_input_file(data, size);
    al_table table;
    al_error err;
    if (path && al_table_read(&table, path, &err) == AL_OK) {
        if (table.values.rows < 0 || table.values.cols < 0)
            abort();
        al_table_free(&table);
    }
    return 0;
}
