/* fuzz_tokenizer.c: any text as a sentence for the tokenizer, with a
 * small vocabulary and every combination of [CLS], <bos> and <eos>: it
 * gives tokens whose labels are the words typed (an unknown word flagged
 * and given <unk>'s id) or refuses the text with one message (not UTF-8,
 * empty). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/vocab.h"
#include "fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const words[] = {"the", "cat", "sat", "on", "mat", "bank", "river", "."};
    if (size == 0)
        return 0;
    al_vocab vocab;
    if (al_vocab_init(&vocab, NULL) != AL_OK)
        abort();
    int id;
    for (int w = 0; w < 8; w++)
        if (al_vocab_add(&vocab, words[w], &id, NULL) != AL_OK)
            abort();
    int flags = data[0] & (AL_TOKENIZE_CLS | AL_TOKENIZE_BOS | AL_TOKENIZE_EOS);
    char *text = fuzz_input_text(data + 1, size - 1);
    if (text) {
        al_tokens tokens;
        al_error err;
        if (al_tokenize(&tokens, text, &vocab, flags, &err) == AL_OK) {
            for (int i = 0; i < tokens.count; i++)
                if (tokens.ids[i] < 0 || tokens.ids[i] >= vocab.size || !tokens.labels[i])
                    abort();
        }
        al_tokens_free(&tokens);
        free(text);
    }
    al_vocab_free(&vocab);
    return 0;
}
