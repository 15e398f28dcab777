/* calc_params.c: `attnlab-calc params --preset transformer-base` and
 * `--d-model 512 --heads 8 ...`: how many parameters a Transformer has,
 * part by part, compared with the published figure for a preset. The
 * library counts (param_count.h: al_param_count_config and the presets);
 * this file builds the configuration from the options and prints. */
#include <stdlib.h>
#include <string.h>

#include "attnlab/param_count.h"
#include "calc.h"
#include "calc_print.h"

static const char params_description[] =
    "How many parameters a Transformer has, part by part (embeddings,\n"
    "positions, attention, feed-forward, layer norms, ...), per layer and in\n"
    "total; for a preset, compared with the figure its authors published, and\n"
    "where the small difference comes from.\n"
    "\n"
    "presets:\n"
    "  transformer-base  the original Transformer, base size (about 65M)\n"
    "  bert-base         BERT base (about 110M)\n"
    "  gpt1              GPT-1 (about 117M)\n"
    "\n"
    "Without --preset the starting point is transformer-base; the other options\n"
    "change it (then there is no published figure to compare with). There is\n"
    "no --trace: nothing here is a tensor.\n";

static const char params_examples[] =
    "attnlab-calc params --preset transformer-base\n"
    "attnlab-calc params --preset bert-base --latex\n"
    "attnlab-calc params --preset gpt1 --layers 24 --d-model 1024 --heads 16\n"
    "attnlab-calc params --family decoder-only --d-model 64 --heads 4 --layers 2 --vocab 1000\n";

static const calc_option params_options[] = {
    {.name = "--preset", .value_name = "NAME",
     .help = "start from transformer-base, bert-base or gpt1"},
    {.name = "--family", .value_name = "F",
     .help = "encoder-decoder, encoder-only or decoder-only"},
    {.name = "--d-model", .value_name = "N", .help = "the width of every token vector"},
    {.name = "--heads", .value_name = "N",
     .help = "attention heads h; d_model must be a multiple of h"},
    {.name = "--layers", .value_name = "N", .help = "layers in each stack the family has"},
    {.name = "--encoder-layers", .value_name = "N", .help = "layers of the encoder stack only"},
    {.name = "--decoder-layers", .value_name = "N", .help = "layers of the decoder stack only"},
    {.name = "--d-ff", .value_name = "N",
     .help = "the FFN's hidden width (default 4 x d_model when\n"
             "--d-model is given)"},
    {.name = "--vocab", .value_name = "N", .help = "the vocabulary size V"},
    {.name = "--positions", .value_name = "P",
     .help = "sinusoidal (a formula, no parameters) or learned (a table)"},
    {.name = "--max-positions", .value_name = "N", .help = "rows of a learned position table"},
    {.name = "--norm", .value_name = "post|pre",
     .help = "where the layer norms sit (pre-norm adds a final norm\n"
             "to each stack)"},
    {.name = "--no-biases", .help = "attention and FFN projections without biases"},
    {.name = "--untied",
     .help = "a separate d_model x V output matrix instead of reusing\n"
             "the embedding table"},
    {0},
};

/* The largest size an option takes; al_model_config_check has the real
 * limits, this only keeps the typed number inside int. */
#define SIZE_LIMIT 100000000

typedef struct params_calc {
    const al_preset *preset;  /* the starting point                          */
    bool changed;             /* an option changed the preset's configuration */
    al_model_config config;
    al_param_count count;
} params_calc;

/* ---- the command line ---------------------------------------------------- */

/* An optional whole-number option into *x; marks the configuration changed. */
static int size_option(params_calc *c, int *x, const calc_args *args, const char *name, int min)
{
    const char *text = calc_value(args, name);
    if (!text)
        return CALC_OK;
    c->changed = true;
    return calc_parse_int(x, name, text, min, SIZE_LIMIT);
}

/* An optional named choice, parsed by the library's own parser. */
static int choice_option(params_calc *c, const calc_args *args, const char *name,
                         al_status (*parse)(void *, const char *, al_error *), void *out)
{
    const char *text = calc_value(args, name);
    if (!text)
        return CALC_OK;
    c->changed = true;
    al_error err;
    if (parse(out, text, &err) != AL_OK)
        return calc_fail("%s: %s", name, err.message);
    return CALC_OK;
}

static al_status parse_family(void *out, const char *text, al_error *err)
{
    return al_family_parse(out, text, err);
}

static al_status parse_positions(void *out, const char *text, al_error *err)
{
    return al_positions_parse(out, text, err);
}

static al_status parse_norm(void *out, const char *text, al_error *err)
{
    return al_norm_parse(out, text, err);
}

static int parse_preset(params_calc *c, const calc_args *args)
{
    const char *name = calc_value(args, "--preset");
    c->preset = al_preset_find(name ? name : "transformer-base");
    if (!c->preset) {
        char known[200] = "";
        for (int k = 0; k < al_preset_count(); k++) {
            size_t used = strlen(known);
            snprintf(known + used, sizeof known - used, "%s%s", k ? ", " : "",
                     al_preset_at(k)->name);
        }
        return calc_fail("--preset: unknown preset '%s'; known: %s", name, known);
    }
    c->config = c->preset->config;
    return CALC_OK;
}

/* Layers: --layers for every stack the family has, or one stack at a time;
 * a stack the family lacks has none, and one it gains takes the other's
 * count. */
static int parse_layers(params_calc *c, const calc_args *args)
{
    al_model_config *m = &c->config;
    int layers = m->encoder_layers > m->decoder_layers ? m->encoder_layers : m->decoder_layers;
    if (size_option(c, &layers, args, "--layers", 1) != CALC_OK)
        return CALC_USAGE;
    bool encoder = m->family != AL_FAMILY_DECODER_ONLY;
    bool decoder = m->family != AL_FAMILY_ENCODER_ONLY;
    m->encoder_layers = encoder ? layers : 0;
    m->decoder_layers = decoder ? layers : 0;
    if (size_option(c, &m->encoder_layers, args, "--encoder-layers", 0) != CALC_OK ||
        size_option(c, &m->decoder_layers, args, "--decoder-layers", 0) != CALC_OK)
        return CALC_USAGE;
    return CALC_OK;
}

static int parse(void *calc, const calc_args *args)
{
    params_calc *c = calc;
    al_model_config *m = &c->config;
    if (parse_preset(c, args) != CALC_OK ||
        choice_option(c, args, "--family", parse_family, &m->family) != CALC_OK ||
        choice_option(c, args, "--positions", parse_positions, &m->positions) != CALC_OK ||
        choice_option(c, args, "--norm", parse_norm, &m->norm) != CALC_OK ||
        size_option(c, &m->d_model, args, "--d-model", 1) != CALC_OK ||
        size_option(c, &m->heads, args, "--heads", 1) != CALC_OK ||
        size_option(c, &m->vocab_size, args, "--vocab", 1) != CALC_OK ||
        size_option(c, &m->max_positions, args, "--max-positions", 0) != CALC_OK ||
        parse_layers(c, args) != CALC_OK)
        return CALC_USAGE;
    if (calc_given(args, "--d-model") && !calc_given(args, "--d-ff"))
        m->d_ff = 4 * m->d_model;  /* the paper's choice */
    if (size_option(c, &m->d_ff, args, "--d-ff", 1) != CALC_OK)
        return CALC_USAGE;
    c->changed = c->changed || calc_given(args, "--no-biases") || calc_given(args, "--untied");
    m->biases = m->biases && !calc_given(args, "--no-biases");
    m->tied_output = m->tied_output && !calc_given(args, "--untied");
    return CALC_OK;
}

/* ---- text ---------------------------------------------------------------- */

/* 63082496 -> "63,082,496" (sep ","), or "63\,082\,496" for LaTeX. */
static const char *count_text(char text[CALC_NUMBER_SIZE], long long n, const char *sep)
{
    char digits[32];
    int length = snprintf(digits, sizeof digits, "%lld", n < 0 ? -n : n);
    size_t used = 0;
    text[0] = '\0';
    if (n < 0)
        text[used++] = '-';
    for (int k = 0; k < length && used + 4 < CALC_NUMBER_SIZE; k++) {
        if (k > 0 && (length - k) % 3 == 0)
            used += (size_t)snprintf(text + used, CALC_NUMBER_SIZE - used, "%s", sep);
        text[used++] = digits[k];
    }
    text[used] = '\0';
    return text;
}

static void print_configuration(calc_printer *p, const al_model_config *m)
{
    char number[CALC_NUMBER_SIZE];
    calc_step(p, "the configuration", NULL);
    text_table *t = text_table_new(11, 2);
    text_table_align(t, 1, TEXT_LEFT);
    const char *names[] = {"family", "d_model", "heads h", "encoder layers", "decoder layers",
                           "d_ff", "vocabulary V", "positions", "layer norms", "biases",
                           "output layer"};
    for (int i = 0; i < 11; i++)
        text_table_set(t, i, 0, "%s", names[i]);
    text_table_set(t, 0, 1, "%s", al_family_name(m->family));
    text_table_set(t, 1, 1, "%d", m->d_model);
    text_table_set(t, 2, 1, "%d", m->heads);
    text_table_set(t, 3, 1, "%d", m->encoder_layers);
    text_table_set(t, 4, 1, "%d", m->decoder_layers);
    text_table_set(t, 5, 1, "%d", m->d_ff);
    text_table_set(t, 6, 1, "%s", count_text(number, m->vocab_size, ","));
    if (m->positions == AL_POSITIONS_LEARNED)
        text_table_set(t, 7, 1, "learned, a table of %d rows", m->max_positions);
    else
        text_table_set(t, 7, 1, "sinusoidal (a formula, no parameters)");
    text_table_set(t, 8, 1, "%s-norm%s", al_norm_name(m->norm),
                    m->embedding_norm ? ", and one after the embeddings" : "");
    text_table_set(t, 9, 1, "%s", m->biases ? "yes" : "no");
    text_table_set(t, 10, 1, "%s", m->tied_output ? "tied: logits = x · (embedding table)ᵀ"
                                                   : "its own d_model x V matrix");
    calc_table_print(p, t);
}

static void print_parts(calc_printer *p, const al_param_count *count)
{
    char number[CALC_NUMBER_SIZE], empty[200] = "";
    calc_step(p, "the parameters, part by part", NULL);
    int rows = 1;  /* the total */
    for (int part = 0; part < AL_PARTS; part++)
        rows += count->parts[part] != 0;
    text_table *t = text_table_new(rows, 3);
    text_table_set(t, -1, 0, "part");
    text_table_set(t, -1, 1, "parameters");
    text_table_set(t, -1, 2, "share");
    int row = 0;
    for (int part = 0; part < AL_PARTS; part++) {
        const char *name = al_param_part_name((al_param_part)part);
        if (count->parts[part] == 0) {
            size_t used = strlen(empty);
            snprintf(empty + used, sizeof empty - used, "%s%s", used ? ", " : "", name);
            continue;
        }
        text_table_set(t, row, 0, "%s", name);
        text_table_set(t, row, 1, "%s", count_text(number, count->parts[part], ","));
        double share = 100.0 * (double)count->parts[part] / (double)count->total;
        text_table_set(t, row, 2, share < 0.05 ? "<0.1%%" : "%.1f%%", share);
        row++;
    }
    text_table_set(t, row, 0, "total");
    text_table_set(t, row, 1, "%s", count_text(number, count->total, ","));
    text_table_set(t, row, 2, "100%%");
    calc_table_print(p, t);
    fputc('\n', p->out);
    if (count->per_encoder_layer)
        calc_say(p, "one encoder layer: %s", count_text(number, count->per_encoder_layer, ","));
    if (count->per_decoder_layer)
        calc_say(p, "one decoder layer: %s", count_text(number, count->per_decoder_layer, ","));
    calc_say(p, "biases, counted in the parts above: %s", count_text(number, count->biases, ","));
    if (empty[0])
        calc_say(p, "no parameters: %s", empty);
}

/* Print text as indented lines of at most width characters, breaking at spaces. */
static void print_wrapped(calc_printer *p, const char *text, int width)
{
    while (*text) {
        int length = (int)strlen(text), cut = length;
        if (length > width) {
            cut = width;
            while (cut > 0 && text[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = width;
        }
        fprintf(p->out, "  %.*s\n", cut, text);
        text += cut;
        text += strspn(text, " ");
    }
}

static void print_comparison(calc_printer *p, const params_calc *c)
{
    char published[CALC_NUMBER_SIZE], counted[CALC_NUMBER_SIZE], difference[CALC_NUMBER_SIZE];
    calc_step(p, "compared with the published figure", NULL);
    char text[300];
    if (c->changed) {
        snprintf(text, sizeof text, "The options changed %s's configuration, so there is no "
                 "published figure to compare with.", c->preset->name);
        print_wrapped(p, text, 76);
        return;
    }
    long long diff = c->count.total - c->preset->published;
    calc_say(p, "published:     %s", count_text(published, c->preset->published, ","));
    calc_say(p, "counted here:  %s, %s %s (%.1f%% %s)", count_text(counted, c->count.total, ","),
             count_text(difference, diff < 0 ? -diff : diff, ","), diff < 0 ? "fewer" : "more",
             100.0 * (double)(diff < 0 ? -diff : diff) / (double)c->preset->published,
             diff < 0 ? "under" : "over");
    fputc('\n', p->out);
    print_wrapped(p, c->preset->differences, 76);
}

static void print_text(calc_printer *p, const void *calc)
{
    const params_calc *c = calc;
    if (c->changed)
        calc_title(p, "parameters of a Transformer (starting from %s, changed by the options)",
                   c->preset->name);
    else
        calc_title(p, "parameters of %s: %s", c->preset->name, c->preset->description);
    print_configuration(p, &c->config);
    print_parts(p, &c->count);
    print_comparison(p, c);
}

/* ---- LaTeX --------------------------------------------------------------- */

static void print_latex(calc_printer *p, const calc_args *args, const void *calc)
{
    const params_calc *c = calc;
    char number[CALC_NUMBER_SIZE];
    calc_latex_begin(p, args);
    for (int part = 0; part < AL_PARTS; part++)
        if (c->count.parts[part])
            calc_latex_line(p, "\\text{%s} &= %s", al_param_part_name((al_param_part)part),
                            count_text(number, c->count.parts[part], "\\,"));
    calc_latex_line(p, "\\text{total} &= %s", count_text(number, c->count.total, "\\,"));
    if (!c->changed)
        calc_latex_line(p, "\\text{published} &= %s",
                        count_text(number, c->preset->published, "\\,"));
    calc_latex_end(p);
}

/* The parameter count of the configuration, by part. */
static int compute(void *calc, const calc_args *args)
{
    params_calc *c = calc;
    al_error err;
    if (al_param_count_config(&c->count, &c->config, &err) != AL_OK)
        return calc_fail("%s", err.message);
    return CALC_OK;
}

const calc_command calc_params_command = {
    .name = "params",
    .summary = "a Transformer's size -> parameters by part, against published figures",
    .description = params_description,
    .examples = params_examples,
    .options = params_options,
    .traces = false,
    .calc_size = sizeof(params_calc),
    .parse = parse,
    .compute = compute,
    .print_text = print_text,
    .print_latex = print_latex,
    .free_calc = NULL,  /* nothing allocated */
};
