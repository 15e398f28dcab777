/* seq2seq_model.c: the hand-made, seeded random or trained RNN seq2seq
 * model of lessons 01 and 04 and their source sentences (see
 * seq2seq_model.h). */
#include "seq2seq_model.h"

#include <stdio.h>
#include <string.h>

#include "attnlab/rng.h"
#include "attnlab/seq2seq_file.h"
#include "options.h"

static void lesson04_path(char *buf, size_t size, const char *data_dir, const char *file)
{
    snprintf(buf, size, "%s/lesson04%s%s", data_dir, file ? "/" : "", file ? file : "");
}

al_rnn_kind lesson_s2s_cell(const char *option)
{
    if (option && strcmp(option, "gru") == 0)
        return AL_RNN_GRU;
    if (option && strcmp(option, "gru-pytorch") == 0)
        return AL_RNN_GRU_PYTORCH;
    return AL_RNN_ELMAN;
}

const char *lesson_s2s_gru_form(al_rnn_kind cell)
{
    switch (cell) {
    case AL_RNN_GRU:
        return "  The GRU in Cho et al.'s form (2014; ops gru, gru_candidate): the reset gate "
               "scales the\n  old state before W_h reads it, n_j = tanh(e_j · W_x + "
               "(r_j ⊙ h_{j-1}) · W_h + b).";
    case AL_RNN_GRU_PYTORCH:
        return "  The GRU in PyTorch's form (torch.nn.GRU; ops gru_pytorch, "
               "gru_pytorch_candidate): the\n  reset gate scales W_h's product, which has a "
               "hidden bias of its own (s2s.enc.b_hn,\n  0 when seeded): n_j = tanh(e_j · W_x "
               "+ b + r_j ⊙ (h_{j-1} · W_h + b_hn)). The same\n  seed gives --cell gru the "
               "same weights: only the form differs.";
    default:
        return NULL;
    }
}

al_status lesson_s2s_vocab_read(al_vocab *vocab, const char *data_dir, al_error *err)
{
    char path[LESSON_PATH_SIZE];
    lesson04_path(path, sizeof path, data_dir, "vocab.txt");
    return al_vocab_read(vocab, path, err);
}

static al_seq2seq_config config_of(const lesson_s2s_choice *choice, int vocab_size)
{
    al_seq2seq_config config = {.cell = choice->cell, .vocab_size = vocab_size,
                                .d_embed = choice->d_embed, .d_hidden = choice->d_hidden,
                                .attention = choice->attention, .score = choice->score,
                                .d_attention = choice->d_hidden};
    if (choice->hand_made) {
        config.cell = AL_RNN_ELMAN;
        config.d_embed = LESSON_S2S_HAND_MADE_D_EMBED;
        config.d_hidden = LESSON_S2S_HAND_MADE_D_HIDDEN;
        config.d_attention = LESSON_S2S_HAND_MADE_D_ATTENTION;
    }
    return config;
}

al_status lesson_s2s_model(al_seq2seq *model, const al_vocab *vocab,
                           const lesson_s2s_choice *choice, al_error *err)
{
    al_seq2seq_config config = config_of(choice, vocab->size);
    al_status status = al_seq2seq_alloc(model, &config, err);
    if (status != AL_OK)
        return status;
    if (choice->hand_made) {
        char folder[512];
        lesson04_path(folder, sizeof folder, choice->data_dir, NULL);
        return al_seq2seq_read(model, vocab, folder, err);
    }
    al_rng rng;
    al_rng_seed(&rng, choice->seed, 0);
    al_seq2seq_init(model, &rng);
    return AL_OK;
}

al_status lesson_s2s_names_read(lesson_s2s_names *names, const char *data_dir, al_error *err)
{
    *names = (lesson_s2s_names){0};
    const char *files[3] = {"s2s.enc.embed.table.txt", "s2s.enc.b.txt", "s2s.dec.w_x.txt"};
    al_table *tables[3] = {&names->embed, &names->state, &names->input};
    al_status status = AL_OK;
    for (int k = 0; k < 3 && status == AL_OK; k++) {
        char path[LESSON_PATH_SIZE];
        lesson04_path(path, sizeof path, data_dir, files[k]);
        status = al_table_read(tables[k], path, err);
    }
    return status;
}

void lesson_s2s_names_free(lesson_s2s_names *names)
{
    al_table_free(&names->embed);
    al_table_free(&names->state);
    al_table_free(&names->input);
}

/* "european economic area ...": the vocabulary's words after the special
 * tokens, as many as fit in buf. */
static const char *word_list(char *buf, size_t size, const al_vocab *vocab)
{
    buf[0] = '\0';
    for (int id = AL_SPECIAL_TOKENS; id < vocab->size; id++) {
        const char *word = al_vocab_word(vocab, id);
        size_t used = strlen(buf);
        if (used + strlen(word) + 6 >= size) {
            strcat(buf, " ...");
            break;
        }
        snprintf(buf + used, size - used, "%s%s", used ? " " : "", word);
    }
    return buf;
}

/* The text's tokens, refused when empty (al_tokenize) or longer than
 * max_words words (<bos> not counted). */
static al_status tokens_within(al_tokens *tokens, const char *text, const al_vocab *vocab,
                               int flags, int max_words, al_error *err)
{
    al_status status = al_tokenize(tokens, text, vocab, flags, err);
    if (status != AL_OK)
        return status;
    int words = tokens->count - ((flags & AL_TOKENIZE_BOS) ? 1 : 0);
    if (words > max_words)
        return al_fail(err, AL_ERR_VALUE, "the sentence has %d words; this lesson takes at most "
                       "%d", words, max_words);
    return AL_OK;
}

al_status lesson_s2s_source(al_tokens *tokens, const char *text, const al_vocab *vocab,
                            int flags, int max_words, al_error *err)
{
    al_status status = tokens_within(tokens, text, vocab, flags, max_words, err);
    if (status != AL_OK)
        return status;
    char known[300];
    for (int i = 0; i < tokens->count; i++)
        if (tokens->unknown[i])
            return al_fail(err, AL_ERR_VALUE, "'%s' is not in the model's vocabulary (%s); "
                           "the hand-made model translates only these words, so it refuses "
                           "others", tokens->labels[i], word_list(known, sizeof known, vocab));
    return AL_OK;
}

al_status lesson_s2s_source_unknown(al_tokens *tokens, const char *text, const al_vocab *vocab,
                                    int flags, int max_words, printout *p, al_error *err)
{
    al_status status = tokens_within(tokens, text, vocab, flags, max_words, err);
    if (status != AL_OK)
        return status;
    for (int i = 0; i < tokens->count; i++)
        if (tokens->unknown[i])
            print_text(p, "note: '%s' is not in the model's vocabulary (%d words); it becomes "
                          "<unk>", tokens->labels[i], vocab->size);
    return AL_OK;
}

al_status lesson_s2s_trained_read(al_seq2seq *model, al_vocab *vocab, char *path, size_t size,
                                  const char *data_dir, al_error *err)
{
    snprintf(path, size, "%s/%s", data_dir, LESSON_S2S_TRAINED_FILE);
    return al_seq2seq_file_read(model, vocab, path, err);
}
