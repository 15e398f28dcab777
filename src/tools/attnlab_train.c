/* attnlab-train: train a Transformer on a text file and save it as a
 * model file: decoder-only (GPT-style) to predict each next word,
 * encoder-only (BERT-style) to recover masked words, or encoder-decoder
 * to translate (a file of source<TAB>target lines, train_corpus.h), as the
 * RNN seq2seq with attention does too (train_learner.h).
 *
 *   corpus  -> words (the tokenizer of vocab.h, lower-cased), a vocabulary
 *              of the words seen at least --min-count times (others <unk>)
 *   split   -> the last --validation fraction of the words (or the pairs)
 *              is held out
 *   batches -> --batch windows at seeded offsets. Decoder-only: C + 1
 *              words; the model reads words 0 .. C-1 and learns words
 *              1 .. C. Encoder-only: [CLS] then C - 1 words, of which 15%
 *              (at least one) are chosen; each chosen word is read as
 *              [MASK] 8 times in 10, as a random word once, as itself once
 *              (BERT's rule), and is the only thing the model is asked for.
 *              Encoder-decoder: --batch pairs drawn at random; the encoder
 *              reads the source, the decoder <bos> and the target, and
 *              learns the target and <eos>
 *   steps   -> al_train_step (train.h): AdamW, clipping at 1, linear
 *              warm-up then cosine decay to a tenth of --lr
 *   report  -> every --report-every steps the training loss, the loss on
 *              a fixed validation batch, words per second and time left
 *
 * Weights start as al_transformer_init draws them, with the token and
 * position embeddings then scaled to a standard deviation of 0.02 (GPT-2's
 * choice: the tied output starts near uniform, loss near log V). One
 * thread, a fixed order: the same command writes the same bytes.
 * Exit status 0, 2 for bad usage or an unusable corpus, 1 for a failure
 * while running. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attnlab/atomic_file.h"
#include "attnlab/blas.h"
#include "attnlab/train.h"
#include "attnlab/vocab.h"
#include "cli_options.h"
#include "train_checkpoint.h"
#include "train_corpus.h"
#include "train_curve.h"
#include "train_learner.h"

#define PROGRAM "attnlab-train"

typedef struct settings {
    const char *family, *corpus, *output, *loss_csv, *loss_curve, *trace_path, *trace_filter;
    const char *cell, *score;
    int d_embed;
    int min_count, d_model, heads, layers, d_ff, context, batch, steps, warmup, report_every;
    int checkpoint_every, stop_after, trace_step;
    int argc;
    char **argv;
    float lr, validation;
    uint64_t seed;
    bool quiet, resume;
} settings;

/* Set by SIGINT or SIGTERM: the run stops after the step it is in. */
static volatile sig_atomic_t stop_signal = 0;

static void ask_to_stop(int signal_number)
{
    stop_signal = signal_number;
}



/* --- the corpus ------------------------------------------------------------------ */

/* --- batches ---------------------------------------------------------------------- */

/* count windows of context + 1 words from ids[first .. first + span), at
 * offsets drawn from rng: inputs and next-word targets. */
static void draw_batch(al_batch_item *batch, int *inputs, int *targets, int count,
                       int context, const int *ids, long first, long span, al_rng *rng)
{
    for (int b = 0; b < count; b++) {
        long offset = first + (long)al_rng_below(rng, (uint32_t)(span - context));
        memcpy(inputs + b * context, ids + offset, (size_t)context * sizeof *ids);
        memcpy(targets + b * context, ids + offset + 1, (size_t)context * sizeof *ids);
        batch[b] = (al_batch_item){.input = {.length = context, .ids = inputs + b * context},
                                   .targets = targets + b * context};
    }
}

/* Encoder-only: the windows become [CLS] + C - 1 words, and 15% of the
 * words (at least one) are hidden as BERT hides them; only those are
 * targets. rng decides, after the offsets, so batches stay reproducible. */
static void mask_batch(al_batch_item *batch, int *inputs, int *targets, int count,
                       int context, int vocab_size, al_rng *rng)
{
    for (int b = 0; b < count; b++) {
        int *in = inputs + b * context, *target = targets + b * context;
        memmove(in + 1, in, (size_t)(context - 1) * sizeof *in);
        in[0] = AL_TOKEN_CLS;
        int chosen = 0;
        for (int i = 0; i < context; i++) {
            target[i] = AL_IGNORE_TARGET;
            bool hide = i > 0 && (al_rng_uniform(rng) < 0.15f ||
                                  (i == context - 1 && chosen == 0));
            if (!hide)
                continue;
            chosen++;
            target[i] = in[i];
            float u = al_rng_uniform(rng);
            if (u < 0.8f)
                in[i] = AL_TOKEN_MASK;
            else if (u < 0.9f)
                in[i] = AL_SPECIAL_TOKENS +
                        (int)al_rng_below(rng, (uint32_t)(vocab_size - AL_SPECIAL_TOKENS));
        }
        batch[b].targets = target;
    }
}

/* count pairs drawn from pairs[first .. first + span): each item reads
 * the pair's rows where they are. */
static void draw_pairs(al_batch_item *batch, int count, const train_pairs *pairs, long first,
                       long span, al_rng *rng)
{
    for (int b = 0; b < count; b++) {
        const train_pair *p = &pairs->pairs[first + (long)al_rng_below(rng, (uint32_t)span)];
        batch[b] = (al_batch_item){
            .input = {.length = p->target_length, .ids = p->read}, .targets = p->write,
            .source = {.length = p->source_length, .ids = p->source}};
    }
}

/* The families that learn from pairs. */
static bool translating(const settings *s)
{
    return strcmp(s->family, "encoder-decoder") == 0 || strcmp(s->family, "rnn-seq2seq") == 0;
}

/* --- progress ----------------------------------------------------------------------- */

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) * 1e-9;
}

/* One report: a bar redrawn in place on a terminal, a line otherwise. */
static void report(bool terminal, int step, int steps, double loss, double val_loss,
                   double words_per_second, double seconds_left)
{
    if (!terminal) {
        printf("step %d/%d  loss %.4f  validation %.4f  %.0f words/s  %.0f s left\n", step,
               steps, loss, val_loss, words_per_second, seconds_left);
        return;
    }
    enum { WIDTH = 24 };
    int filled = (int)((long)WIDTH * step / steps);
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[WIDTH] = '\0';
    printf("\r[%s] step %d/%d  loss %.4f  validation %.4f  %.0f words/s  %.0f s left ", bar,
           step, steps, loss, val_loss, words_per_second, seconds_left);
    if (step == steps)
        printf("\n");
    fflush(stdout);
}

/* --- the run ------------------------------------------------------------------------ */

typedef struct run {
    char *text;
    long text_size;
    char fingerprint[1024];  /* corpus; settings: what a checkpoint must match */
    char corpus_id[512];     /* the corpus's path, size and hash              */
    char checkpoint_path[4096];
    al_vocab vocab;
    al_tokens tokens;       /* the words (one-stack families)       */
    train_pairs pairs;      /* the pairs (encoder-decoder)          */
    long train_part, held_part;   /* words or pairs to learn from, held out */
    learner learner;        /* the model and its trainer                */
    int *inputs, *targets, *val_inputs, *val_targets;
    al_batch_item *batch, *val_batch;
    double *losses, *val_losses;
    al_trace *trace;        /* --trace: open until its step is recorded */
    bool bad_checkpoint;    /* --resume found no usable checkpoint: exit 2 */
} run;

static void run_free(run *r)
{
    free(r->text);
    al_tokens_free(&r->tokens);
    train_pairs_free(&r->pairs);
    learner_free(&r->learner);
    al_vocab_free(&r->vocab);
    free(r->inputs), free(r->targets), free(r->val_inputs), free(r->val_targets);
    free(r->batch), free(r->val_batch), free(r->losses), free(r->val_losses);
    al_trace_discard(r->trace);   /* a trace whose step never came leaves nothing */
}

/* A batch for the family: next words, masked words or pairs; from the
 * part to learn from, or (held_out) from the part held out. */
static void draw_training_batch(run *r, al_batch_item *batch, int *inputs, int *targets,
                                const settings *s, bool held_out, al_rng *rng)
{
    long first = held_out ? r->train_part : 0;
    long span = held_out ? r->held_part : r->train_part;
    if (translating(s)) {
        draw_pairs(batch, s->batch, &r->pairs, first, span, rng);
        return;
    }
    draw_batch(batch, inputs, targets, s->batch, s->context, r->tokens.ids, first, span, rng);
    if (strcmp(s->family, "encoder-only") == 0)
        mask_batch(batch, inputs, targets, s->batch, s->context, r->vocab.size, rng);
}

/* The words (or tokens) a batch reads, for words per second. */
static long batch_words(const al_batch_item *batch, int count)
{
    long words = 0;
    for (int b = 0; b < count; b++)
        words += batch[b].input.length + batch[b].source.length;
    return words;
}

/* Split words (or pairs) into the part to learn from and the part held
 * out; each must hold at least least of them. */
static int split(run *r, const settings *s, long all, long least, const char *what,
                 al_error *err)
{
    r->held_part = (long)(all * (double)s->validation);
    r->train_part = all - r->held_part;
    if (r->train_part >= least && r->held_part >= least)
        return 0;
    char purpose[64] = "training";
    if (!translating(s))
        snprintf(purpose, sizeof purpose, "a context of %d", s->context);
    al_fail(err, AL_ERR_VALUE, "the corpus %s has %ld %s%s: too few for %s with %.0f%% "
            "held out (each part needs at least %ld)", s->corpus, all, what,
            all == 1 ? "" : "s", purpose,
            100.0 * s->validation, least);
    return 2;
}

/* Everything up to the first step; usage-like problems of the corpus
 * return 2. */
static int prepare(run *r, const settings *s, al_error *err)
{
    long size = 0;
    r->text = al_corpus_read(s->corpus, &size, err);
    r->text_size = size;
    if (!r->text)
        return err->status == AL_ERR_NOMEM ? 1 : 2;
    al_status status = al_vocab_from_corpus(&r->vocab, r->text, s->min_count, err);
    if (status == AL_OK && translating(s))
        status = train_read_pairs(&r->pairs, r->text, s->corpus, &r->vocab, s->context, err);
    else if (status == AL_OK)
        status = al_tokenize(&r->tokens, r->text, &r->vocab, AL_TOKENIZE_PLAIN, err);
    if (status != AL_OK) {
        char problem[AL_ERROR_MESSAGE_SIZE];
        snprintf(problem, sizeof problem, "%s", err->message);
        if (status == AL_ERR_FORMAT && translating(s))   /* "PATH:LINE: ..." */
            al_fail(err, status, "%s", problem);
        else
            al_fail(err, status, "the corpus %s: %s", s->corpus, problem);
        return status == AL_ERR_NOMEM ? 1 : 2;
    }
    if (translating(s))
        return split(r, s, r->pairs.count, 1, "pair", err);
    return split(r, s, r->tokens.count, s->context + 2, "word", err);
}

/* Everything that decides the run's numbers, and the corpus's size and
 * FNV-1a hash: a checkpoint only resumes the run that made it. */
static void fingerprint(run *r, const settings *s)
{
    uint64_t hash = 14695981039346656037ull;
    for (long i = 0; i < r->text_size; i++)
        hash = (hash ^ (unsigned char)r->text[i]) * 1099511628211ull;
    snprintf(r->corpus_id, sizeof r->corpus_id, "%s (%ld bytes, FNV-1a %016llx)", s->corpus,
             r->text_size, (unsigned long long)hash);
    snprintf(r->fingerprint, sizeof r->fingerprint,
             "corpus %ld bytes fnv1a %016llx; family %s min-count %d d-model %d heads %d "
             "layers %d d-ff %d context %d batch %d steps %d lr %.9g warmup %d validation %.9g "
             "seed %llu cell %s score %s d-embed %d", r->text_size, (unsigned long long)hash,
             s->family, s->min_count, s->d_model, s->heads, s->layers, s->d_ff, s->context,
             s->batch, s->steps, (double)s->lr, s->warmup, (double)s->validation,
             (unsigned long long)s->seed, s->cell, s->score, s->d_embed);
}

static al_status save_checkpoint(run *r, long steps_done, const al_rng *batch_rng,
                                 al_error *err)
{
    train_state state = {.step = steps_done, .batch_rng = *batch_rng,
                         .settings = r->fingerprint, .losses = r->losses,
                         .val_losses = r->val_losses};
    train_tensors tensors = learner_tensors(&r->learner);
    return train_checkpoint_write(r->checkpoint_path, &tensors, &state, err);
}

/* The shortest text of x that reads back as the same float. */
static void shortest_float(char *out, size_t size, float x)
{
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(out, size, "%.*g", digits, (double)x);
        if (strtof(out, NULL) == x)
            return;
    }
}

/* The command that makes this model again, every setting spelled out (the
 * defaults too, so the record does not depend on them), the corpus's path
 * in single quotes if it needs them. Options that do not change the
 * numbers (-o, --resume, --quiet, ...) are left out, so a resumed run and
 * one that never stopped write the same file. */
static void remaking_command(char *out, size_t size, const settings *s)
{
    char corpus[1024] = "", lr[32], validation[32];
    cli_shell_append(corpus, sizeof corpus, s->corpus);   /* " book.txt", quoted if need be */
    shortest_float(lr, sizeof lr, s->lr);
    shortest_float(validation, sizeof validation, s->validation);
    char shape[128];
    if (strcmp(s->family, "rnn-seq2seq") == 0)
        snprintf(shape, sizeof shape, "--cell %s --score %s --d-embed %d", s->cell, s->score,
                 s->d_embed ? s->d_embed : s->d_model);
    else
        snprintf(shape, sizeof shape, "--heads %d --layers %d --d-ff %d", s->heads, s->layers,
                 s->d_ff ? s->d_ff : 4 * s->d_model);
    snprintf(out, size, "%s --family %s --corpus%s --min-count %d --d-model %d %s "
             "--context %d --batch %d --steps %d --lr %s --warmup %d --validation %s "
             "--seed %llu", PROGRAM, s->family, corpus, s->min_count, s->d_model, shape,
             s->context, s->batch, s->steps, lr, s->warmup, validation,
             (unsigned long long)s->seed);
}

/* How the weights were made, for the model file (model_file.h). */
static al_status save_model(run *r, const settings *s, al_error *err)
{
    char command[2048], steps[32], loss[32], val_loss[32];
    remaking_command(command, sizeof command, s);
    const char *task = translating(s) ? "translation"
                     : strcmp(s->family, "encoder-only") == 0 ? "masked words" : "next word";
    snprintf(steps, sizeof steps, "%d", s->steps);
    snprintf(loss, sizeof loss, "%.9g", r->losses[s->steps - 1]);
    snprintf(val_loss, sizeof val_loss, "%.9g", r->val_losses[s->steps - 1]);
    const al_metadata_entry record[] = {
        {"training.program", PROGRAM}, {"training.command", command},
        {"training.task", task}, {"training.corpus", r->corpus_id},
        {"training.steps", steps}, {"training.loss", loss},
        {"training.validation_loss", val_loss}};
    return learner_save(&r->learner, &r->vocab, s->output, record,
                        (int)(sizeof record / sizeof record[0]), err);
}

/* The training loop; *stopped is set when it stopped early (Ctrl-C,
 * SIGTERM, --stop-after), after writing the checkpoint. */
static al_status train(run *r, const settings *s, bool *stopped, al_error *err)
{
    learner_config config = {
        .family = s->family, .vocab_size = r->vocab.size, .d_model = s->d_model,
        .heads = s->heads, .layers = s->layers, .d_ff = s->d_ff, .context = s->context,
        .cell = s->cell, .score = s->score, .d_embed = s->d_embed};
    al_rng init_rng, batch_rng;
    al_rng_seed(&init_rng, s->seed, 0);
    al_rng_seed(&batch_rng, s->seed, 1);
    al_status status = learner_init(&r->learner, &config, &init_rng, s->batch, err);
    size_t window = (size_t)s->batch * s->context;
    r->inputs = calloc(window, sizeof *r->inputs), r->targets = calloc(window, sizeof(int));
    r->val_inputs = calloc(window, sizeof(int)), r->val_targets = calloc(window, sizeof(int));
    r->batch = calloc((size_t)s->batch, sizeof *r->batch);
    r->val_batch = calloc((size_t)s->batch, sizeof *r->val_batch);
    r->losses = calloc((size_t)s->steps, sizeof *r->losses);
    r->val_losses = calloc((size_t)s->steps, sizeof *r->val_losses);
    if (status == AL_OK && !(r->inputs && r->targets && r->val_inputs && r->val_targets &&
                             r->batch && r->val_batch && r->losses && r->val_losses))
        status = al_fail(err, AL_ERR_NOMEM, "no memory for batches of %d x %d words", s->batch,
                         s->context);
    if (status != AL_OK)
        return status;
    /* one fixed validation batch: windows of the held-out words, or the
     * first held-out pairs, each once */
    int val_count = s->batch;
    if (translating(s)) {
        val_count = r->held_part < s->batch ? (int)r->held_part : s->batch;
        for (int b = 0; b < val_count; b++)
            draw_pairs(&r->val_batch[b], 1, &r->pairs, r->train_part + b, 1, &batch_rng);
    } else
        draw_training_batch(r, r->val_batch, r->val_inputs, r->val_targets, s, true,
                            &batch_rng);

    if (s->trace_path) {
        al_trace_options options = {.program = PROGRAM, .argc = s->argc - 1,
                                    .argv = (const char *const *)s->argv + 1, .seed = s->seed,
                                    .filter = s->trace_filter};
        status = al_trace_open(&r->trace, s->trace_path, &options, err);
        if (status != AL_OK)
            return status;
    }
    long first = 0;
    if (s->resume) {
        train_state state = {.settings = r->fingerprint, .losses = r->losses,
                             .val_losses = r->val_losses};
        train_tensors tensors = learner_tensors(&r->learner);
        status = train_checkpoint_read(r->checkpoint_path, &tensors, &state, s->steps, err);
        if (status == AL_OK)
            learner_set_step(&r->learner, state.step);
        r->bad_checkpoint = status != AL_OK && status != AL_ERR_NOMEM;
        if (status != AL_OK)
            return status;
        first = state.step;
        batch_rng = state.batch_rng;
        if (!s->quiet)
            printf("resuming from %s at step %ld of %d\n", r->checkpoint_path, first,
                   s->steps);
    }
    al_train_settings ts = {.adamw = AL_ADAMW_DEFAULTS,
                            .schedule = {.max_lr = s->lr, .min_lr = s->lr / 10,
                                         .warmup = s->warmup, .total = s->steps},
                            .clip_norm = 1.0};
    bool terminal = isatty(STDOUT_FILENO) && !s->quiet;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long words_read = 0;
    for (int step = (int)first; step < s->steps && status == AL_OK; step++) {
        draw_training_batch(r, r->batch, r->inputs, r->targets, s, false, &batch_rng);
        words_read += batch_words(r->batch, s->batch);
        bool tracing = r->trace && step + 1 == s->trace_step;
        status = learner_step(&r->learner, r->batch, s->batch, &ts,
                              (const char *const *)r->vocab.words, tracing ? r->trace : NULL,
                              &r->losses[step], err);
        if (status == AL_OK && tracing) {
            al_trace *trace = r->trace;
            r->trace = NULL;
            status = al_trace_close(trace, err);
        }
        r->val_losses[step] = -1.0;
        bool reporting = (step + 1) % s->report_every == 0 || step + 1 == s->steps;
        if (status == AL_OK && reporting)
            status = learner_evaluate(&r->learner, r->val_batch, val_count,
                                      &r->val_losses[step], err);
        if (status == AL_OK && reporting && !s->quiet) {
            double elapsed = seconds_since(&start);
            double done = (double)(step + 1 - first);
            report(terminal, step + 1, s->steps, r->losses[step], r->val_losses[step],
                   words_read / elapsed, elapsed / done * (s->steps - step - 1));
        }
        /* a checkpoint every --checkpoint-every steps, at the end, and on stopping */
        bool stopping = stop_signal || step + 1 == s->stop_after;
        bool due = s->checkpoint_every && (step + 1) % s->checkpoint_every == 0;
        if (status == AL_OK && (due || stopping || step + 1 == s->steps))
            status = save_checkpoint(r, step + 1, &batch_rng, err);
        if (status == AL_OK && stopping && step + 1 < s->steps) {
            if (terminal)
                printf("\n");
            fprintf(stderr, "%s: stopped after step %d of %d; %s holds the run. Go on with "
                    "the same command and --resume\n", PROGRAM, step + 1, s->steps,
                    r->checkpoint_path);
            *stopped = true;
            return AL_OK;
        }
    }
    return status;
}

static const char help_top[] =
    "usage: attnlab-train --corpus FILE -o MODEL [options]\n"
    "Train a Transformer on a UTF-8 text file and save it as a model file\n"
    "(attnlab-model show MODEL says what it holds): decoder-only (GPT-style)\n"
    "learns to predict each next word; encoder-only (BERT-style) reads [CLS]\n"
    "and the words with 15% of them hidden, and learns to recover them;\n"
    "encoder-decoder (or rnn-seq2seq, the RNN encoder-decoder with attention)\n"
    "learns to translate from a file of pairs, one a line, the source and the\n"
    "target separated by a tab. The vocabulary is the corpus's words,\n"
    "lower-cased, that appear at least --min-count times; the others become\n"
    "<unk>. The last --validation part of the words (or pairs) is held out\n"
    "and measured at every report.\n"
    "\n";

static const char help_bottom[] =
    "\n"
    "example:\n"
    "  attnlab-train --corpus book.txt -o book.safetensors --steps 300\n"
    "  attnlab-train --family encoder-decoder --corpus en-fr.tsv -o en-fr.safetensors\n"
    "\n"
    "Ctrl-C (or SIGTERM) stops after the current step and writes the checkpoint;\n"
    "the same command with --resume goes on from it.\n"
    "\n"
    "exit status: 0 done (or stopped by --stop-after), 2 bad usage or an unusable\n"
    "corpus, 1 a failure while running (one line on stderr; no file is left half\n"
    "written), 130 or 143 stopped by SIGINT or SIGTERM.\n";

int main(int argc, char **argv)
{
    settings s = {.family = "decoder-only", .min_count = 1, .d_model = 64, .heads = 4,
                  .layers = 2, .context = 32, .batch = 16, .steps = 200, .warmup = 20,
                  .report_every = 10, .lr = 3e-3f, .validation = 0.1f, .seed = AL_DEFAULT_SEED,
                  .trace_step = 1, .argc = argc, .argv = argv};
    const cli_option options[] = {
        {.name = "corpus", .kind = CLI_STRING, .target = &s.corpus, .value_name = "FILE",
         .help = "the text to learn from (UTF-8)", .required = true},
        {.name = "output", .short_name = 'o', .kind = CLI_STRING, .target = &s.output,
         .value_name = "MODEL", .help = "where the model file goes (.safetensors)",
         .required = true},
        {.name = "family", .kind = CLI_CHOICE, .target = &s.family, .value_name = "KIND",
         .choices = "decoder-only|encoder-only|encoder-decoder|rnn-seq2seq",
         .help = "decoder-only learns the next word (the default),\n"
                 "encoder-only masked words, encoder-decoder and\n"
                 "rnn-seq2seq (an RNN encoder and decoder with\n"
                 "attention) to translate (the corpus: source<TAB>target\n"
                 "lines)"},
        {.name = "cell", .kind = CLI_CHOICE, .target = &s.cell, .value_name = "CELL",
         .choices = "elman|gru|gru-pytorch",
         .help = "rnn-seq2seq: the RNN cell (default gru)"},
        {.name = "score", .kind = CLI_CHOICE, .target = &s.score, .value_name = "KIND",
         .choices = "additive|dot|scaled-dot|general|none",
         .help = "rnn-seq2seq: how the decoder scores the encoder's\n"
                 "states (default additive; none: no attention)"},
        {.name = "d-embed", .kind = CLI_INT, .target = &s.d_embed, .value_name = "N",
         .help = "rnn-seq2seq: the width of a word vector (default\n"
                 "d_model, which is the width of a state)", .min = 1, .max = 1024},
        {.name = "min-count", .kind = CLI_INT, .target = &s.min_count, .value_name = "N",
         .help = "N appearances give a word its own id (default 1)", .min = 1,
         .max = 1000000},
        {.name = "d-model", .kind = CLI_INT, .target = &s.d_model, .value_name = "N",
         .help = "width of every token vector (default 64)", .min = 2, .max = 1024},
        {.name = "heads", .kind = CLI_INT, .target = &s.heads, .value_name = "N",
         .help = "attention heads, d_model divisible by N (default 4)", .min = 1,
         .max = 16},
        {.name = "layers", .kind = CLI_INT, .target = &s.layers, .value_name = "N",
         .help = "layers (default 2)", .min = 1, .max = 24},
        {.name = "d-ff", .kind = CLI_INT, .target = &s.d_ff, .value_name = "N",
         .help = "the FFN's hidden width (default 4 x d_model)", .min = 1, .max = 8192},
        {.name = "context", .kind = CLI_INT, .target = &s.context, .value_name = "N",
         .help = "words the model reads at once (default 32); for\n"
                 "pairs, the longest source or target with <eos>", .min = 2, .max = 1024},
        {.name = "batch", .kind = CLI_INT, .target = &s.batch, .value_name = "N",
         .help = "windows (or pairs) per step (default 16)", .min = 1, .max = 4096},
        {.name = "steps", .kind = CLI_INT, .target = &s.steps, .value_name = "N",
         .help = "optimiser steps (default 200)", .min = 1, .max = 10000000},
        {.name = "lr", .kind = CLI_NUMBER, .target = &s.lr, .value_name = "RATE",
         .help = "the peak learning rate (default 0.003)"},
        {.name = "warmup", .kind = CLI_INT, .target = &s.warmup, .value_name = "N",
         .help = "steps of linear warm-up (default 20)", .min = 0, .max = 10000000},
        {.name = "validation", .kind = CLI_NUMBER, .target = &s.validation,
         .value_name = "FRACTION",
         .help = "the part of the words (or pairs) held out (default 0.1)"},
        {.name = "seed", .kind = CLI_UINT64, .target = &s.seed, .value_name = "N",
         .help = "seed of the weights and the batches (default 42)", .min = 0,
         .max = 1LL << 53},
        {.name = "report-every", .kind = CLI_INT, .target = &s.report_every, .value_name = "N",
         .help = "steps between reports (default 10)", .min = 1, .max = 10000000},
        {.name = "loss-csv", .kind = CLI_STRING, .target = &s.loss_csv, .value_name = "FILE",
         .help = "also write step, training and validation loss as CSV"},
        {.name = "loss-curve", .kind = CLI_STRING, .target = &s.loss_curve,
         .value_name = "STEM",
         .help = "also write STEM.csv and the trace STEM.jsonl, and draw\n"
                 "them as STEM.png and STEM.svg (attnlab-heatmap --lines)"},
        {.name = "checkpoint-every", .kind = CLI_INT, .target = &s.checkpoint_every,
         .value_name = "N",
         .help = "also write MODEL.checkpoint every N steps (it is\n"
                 "written at the end and when the run stops anyway)",
         .min = 0, .max = 10000000},
        {.name = "resume", .kind = CLI_FLAG, .target = &s.resume,
         .help = "go on from MODEL.checkpoint, to the bytes of a run that\n"
                 "never stopped"},
        {.name = "stop-after", .kind = CLI_INT, .target = &s.stop_after, .value_name = "N",
         .help = "stop after step N as Ctrl-C would (go on with --resume)",
         .min = 0, .max = 10000000},
        {.name = "trace", .kind = CLI_STRING, .target = &s.trace_path, .value_name = "PATH",
         .help = "record one step (--trace-step) whole: the batch, every\n"
                 "forward pass, the loss, every gradient and the update\n"
                 "(traces/FORMAT.md, \"A training step\")"},
        {.name = "trace-step", .kind = CLI_INT, .target = &s.trace_step, .value_name = "N",
         .help = "the step --trace records (default 1)", .min = 1, .max = 10000000},
        {.name = "trace-filter", .kind = CLI_STRING, .target = &s.trace_filter,
         .value_name = "GLOB", .help = "record only the names that match (e.g. '*.grad')"},
        {.name = "quiet", .kind = CLI_FLAG, .target = &s.quiet, .help = "no progress"},
        CLI_HELP_OPTION,
        {0},
    };
    const cli_program program = {PROGRAM, help_top, help_bottom};
    int parsed = cli_parse_program(&program, options, NULL, argc, argv);
    if (parsed >= 0)
        return parsed;
    /* MODEL.checkpoint and the loss curve's files are built from these */
    if (strlen(s.output) > 3000 || (s.loss_curve && strlen(s.loss_curve) > 3000)) {
        cli_report(PROGRAM, "-o and --loss-curve take paths of up to 3000 bytes");
        return 2;
    }
    bool rnn = strcmp(s.family, "rnn-seq2seq") == 0;
    if (!rnn && (s.cell || s.score || s.d_embed)) {
        cli_report(PROGRAM, "--cell, --score and --d-embed are for --family rnn-seq2seq");
        return 2;
    }
    s.cell = s.cell ? s.cell : "gru", s.score = s.score ? s.score : "additive";
    if (!rnn && s.d_model % s.heads != 0) {
        cli_report(PROGRAM, "d_model %d does not split into %d heads", s.d_model, s.heads);
        return 2;
    }
    if (s.trace_step > s.steps || ((s.trace_filter || s.trace_step > 1) && !s.trace_path)) {
        cli_report(PROGRAM, "--trace-step must be at most --steps, and --trace-step and "
                   "--trace-filter need --trace");
        return 2;
    }
    if (!(s.lr > 0) || !(s.validation > 0 && s.validation < 1)) {
        cli_report(PROGRAM, "--lr must be above 0 and --validation between 0 and 1");
        return 2;
    }
    al_blas_set_threads(1);
    struct sigaction stop = {.sa_handler = ask_to_stop};
    sigemptyset(&stop.sa_mask);
    sigaction(SIGINT, &stop, NULL);
    sigaction(SIGTERM, &stop, NULL);
    run r = {0};
    al_error err = {0};
    snprintf(r.checkpoint_path, sizeof r.checkpoint_path, "%s.checkpoint", s.output);
    int code = prepare(&r, &s, &err);
    if (code == 0)
        fingerprint(&r, &s);
    if (code == 0 && !s.quiet && translating(&s))
        printf("%s: %d pairs, vocabulary of %d; %ld to learn from, %ld held out\n", s.corpus,
               r.pairs.count, r.vocab.size, r.train_part, r.held_part);
    else if (code == 0 && !s.quiet)
        printf("%s: %ld words, vocabulary of %d; %ld to learn from, %ld held out\n", s.corpus,
               (long)r.tokens.count, r.vocab.size, r.train_part, r.held_part);
    bool stopped = false;
    if (code == 0 && train(&r, &s, &stopped, &err) != AL_OK)
        code = r.bad_checkpoint ? 2 : 1;
    if (code == 0 && stopped) {
        run_free(&r);
        return stop_signal ? 128 + stop_signal : 0;
    }
    if (code == 0 && save_model(&r, &s, &err) != AL_OK)
        code = 1;
    if (code == 0 && s.loss_csv &&
        train_curve_csv(s.loss_csv, r.losses, r.val_losses, s.steps, &err) != AL_OK)
        code = 1;
    if (code == 0 && s.loss_curve) {
        const char *slash = strrchr(s.corpus, '/');
        char title[256];
        snprintf(title, sizeof title, "Loss of the %s model on %s", s.family,
                 slash ? slash + 1 : s.corpus);
        if (train_curve_write(s.loss_curve, r.losses, r.val_losses, s.steps, title, argc, argv,
                              &err) != AL_OK)
            code = 1;
    }
    if (code != 0)
        cli_report(PROGRAM, "%s", err.message);
    else if (!s.quiet) {
        printf("wrote %s", s.output);
        if (s.loss_csv)
            printf(", %s", s.loss_csv);
        if (s.loss_curve)
            printf(", %s.csv, %s.jsonl, %s.png and %s.svg", s.loss_curve, s.loss_curve,
                   s.loss_curve, s.loss_curve);
        printf("\n");
    }
    run_free(&r);
    return code;
}
