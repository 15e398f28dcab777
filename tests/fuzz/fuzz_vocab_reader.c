/* fuzz_vocab_reader.c: any bytes as a vocabulary file (data/lesson10/
 * vocab.txt: one word a line after the special tokens). The reader
 * refuses them with one message or gives a vocabulary whose every word
 * can be found again under its own id. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "attnlab/vocab.h"
#include "fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_input_file(data, size);
    al_vocab vocab;
    al_error err;
    if (path && al_vocab_read(&vocab, path, &err) == AL_OK) {
        for (int id = 0; id < vocab.size; id++)
            if (al_vocab_find(&vocab, vocab.words[id]) != id)
                abort();
        al_vocab_free(&vocab);
    }
    return 0;
}
