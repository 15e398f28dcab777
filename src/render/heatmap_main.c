/* heatmap_main.c: attnlab-heatmap, traced matrices drawn as heatmaps.
 * Reads a trace (never the computing library), selects tensors by name or
 * glob, lays the figure out once and writes it as PNG and, with --svg, as
 * SVG beside it. Both files appear whole or not at all; any bad input is
 * one line on stderr and exit status 2. Layout lives in heatmap_*.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/trace_file.h"
#include "canvas.h"
#include "cli.h"
#include "heatmap.h"
#include "attnlab/atomic_file.h"
#include "out_path.h"
#include "png_out.h"
#include "select.h"
#include "svg_out.h"

#define PROGRAM "attnlab-heatmap"
#define EXIT_BAD_INPUT 2

static const char usage[] =
    "usage: attnlab-heatmap TRACE -o OUT.png [options]\n"
    "Draw traced matrices as heatmaps: PNG, and SVG with --svg.\n"
    "\n"
    "  -o, --output FILE   the PNG to write (required)\n"
    "  --select NAME       a tensor name or glob ('enc.0.attn.h*.weights'); repeat for\n"
    "                      more; default: every tensor of weights or probabilities\n"
    "  --svg               also write the figure as SVG (FILE with .svg instead of .png)\n"
    "  --title TEXT        the title (default: the tensor's name)\n"
    "  --axes ROWS,COLS    axis names (default: queries,keys; target,source for\n"
    "                      cross-attention and s2s.* tensors)\n"
    "  --gray              grayscale, for print\n"
    "  --annotate          write each value in its cell\n"
    "  --columns N         panels per row when several tensors are drawn\n"
    "  --bars              draw a row as a labelled bar chart\n"
    "  --row I             which row --bars draws (from 0; needed when there are several)\n"
    "  --scale N           pixels per cell (default 40)\n"
    "  --dpi N             resolution written in the PNG (default 150); text sizes in\n"
    "                      points follow it\n"
    "  --label-angle A     90 or 45: how long column labels are turned (default 90)\n"
    "  --range LOW,HIGH    the colour range (default: [0, 1] for weights, +-max|x| for\n"
    "                      signed values, [min, max] otherwise)\n"
    "  --bare              the cells only, no text or margin (one tensor)\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit status: 0 when the figure was written, 2 on bad input (nothing is written).\n";

/* The value of option argv[*i] ("--scale 40" or "--scale=40"), moving *i
 * past it; NULL (and a message) when it is missing. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (arg[n] == '=') {
        return arg + n + 1;
    }
    if (*i + 1 >= argc) {
        cli_error(PROGRAM, "%s needs a value (see --help)", name);
        return NULL;
    }
    return argv[++*i];
}

/* True when argv[i] is the option name, alone or as "name=value". */
static bool is_option(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* Split "ROWS,COLS" into two strings inside a copy the caller frees. */
static char *split_axes(const char **rows, const char **cols, const char *text)
{
    const char *comma = strchr(text, ',');
    char *copy = malloc(strlen(text) + 1);
    if (!comma || comma == text || comma[1] == '\0' || strchr(comma + 1, ',') || !copy) {
        free(copy);
        return NULL;
    }
    strcpy(copy, text);
    copy[comma - text] = '\0';
    *rows = copy;
    *cols = copy + (comma - text) + 1;
    return copy;
}

typedef enum parse_result { PARSED, HELP_SHOWN, BAD_OPTION } parse_result;

/* Read the command line into *o. *axes_copy holds --axes' strings. */
static parse_result parse_options(heatmap_options *o, char **axes_copy, int argc, char **argv)
{
    *o = (heatmap_options){.row = -1, .scale = 40, .dpi = 150, .label_angle = 90};
    o->selects = calloc((size_t)argc, sizeof *o->selects);
    if (!o->selects) {
        cli_error(PROGRAM, "out of memory");
        return BAD_OPTION;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        bool ok = true;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(usage, stdout);
            return HELP_SHOWN;
        } else if (strcmp(arg, "-o") == 0 || is_option(arg, "--output")) {
            ok = (value = option_value(argc, argv, &i, strcmp(arg, "-o") ? "--output" : "-o"));
            o->out_path = value;
        } else if (is_option(arg, "--select")) {
            ok = (value = option_value(argc, argv, &i, "--select"));
            o->selects[o->n_selects++] = value;
        } else if (is_option(arg, "--title")) {
            ok = (value = o->title = option_value(argc, argv, &i, "--title"));
        } else if (is_option(arg, "--axes")) {
            ok = (value = option_value(argc, argv, &i, "--axes"));
            if (ok && !*axes_copy && !(*axes_copy = split_axes(&o->row_axis, &o->col_axis, value))) {
                cli_error(PROGRAM, "--axes needs two names, ROWS,COLS, not '%s'", value);
                return BAD_OPTION;
            }
        } else if (strcmp(arg, "--svg") == 0) {
            o->svg = true;
        } else if (strcmp(arg, "--gray") == 0 || strcmp(arg, "--grey") == 0) {
            o->gray = true;
        } else if (strcmp(arg, "--annotate") == 0) {
            o->annotate = true;
        } else if (strcmp(arg, "--bars") == 0) {
            o->bars = true;
        } else if (strcmp(arg, "--bare") == 0) {
            o->bare = true;
        } else if (is_option(arg, "--columns")) {
            ok = (value = option_value(argc, argv, &i, "--columns")) &&
                 cli_parse_int(&o->columns, value, 1, 64);
        } else if (is_option(arg, "--row")) {
            ok = (value = option_value(argc, argv, &i, "--row")) &&
                 cli_parse_int(&o->row, value, 0, 1 << 30);
        } else if (is_option(arg, "--scale")) {
            ok = (value = option_value(argc, argv, &i, "--scale")) &&
                 cli_parse_int(&o->scale, value, 2, 400);
        } else if (is_option(arg, "--dpi")) {
            ok = (value = option_value(argc, argv, &i, "--dpi")) &&
                 cli_parse_int(&o->dpi, value, 36, 1200);
        } else if (is_option(arg, "--label-angle")) {
            ok = (value = option_value(argc, argv, &i, "--label-angle")) &&
                 cli_parse_int(&o->label_angle, value, 45, 90) &&
                 (o->label_angle == 45 || o->label_angle == 90);
        } else if (is_option(arg, "--range")) {
            ok = (value = option_value(argc, argv, &i, "--range")) &&
                 cli_parse_range(&o->range_low, &o->range_high, value);
            o->has_range = true;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            cli_error(PROGRAM, "unknown option '%s' (see --help)", arg);
            return BAD_OPTION;
        } else if (!o->trace_path) {
            o->trace_path = arg;
        } else {
            cli_error(PROGRAM, "one trace at a time: '%s' and '%s'", o->trace_path, arg);
            return BAD_OPTION;
        }
        if (!ok) {
            if (value) {
                cli_error(PROGRAM, "bad value '%s' for %s (see --help)", value, arg);
            }
            return BAD_OPTION;
        }
    }
    if (!o->trace_path || !o->out_path) {
        cli_error(PROGRAM, "%s (usage: attnlab-heatmap TRACE -o OUT.png [options])",
                  !o->trace_path ? "no trace file given" : "no output given: -o OUT.png");
        return BAD_OPTION;
    }
    if (!path_ends_with(o->out_path, ".png")) {
        cli_error(PROGRAM, "the output must be a .png file, not '%s'", o->out_path);
        return BAD_OPTION;
    }
    if (o->row >= 0 && !o->bars) {
        cli_error(PROGRAM, "--row chooses the row for --bars; add --bars");
        return BAD_OPTION;
    }
    if (o->bare && (o->bars || o->annotate)) {
        cli_error(PROGRAM, "--bare draws cells only; it cannot go with --bars or --annotate");
        return BAD_OPTION;
    }
    return PARSED;
}

/* The tensors to draw: --select, or by default every tensor of weights or
 * probabilities. Checks what --bars and --bare need. */
static al_status choose_tensors(const al_trace_tensor ***chosen, int *n, const al_trace_file *trace,
                                const heatmap_options *o, al_error *err)
{
    al_status status;
    if (o->n_selects > 0) {
        status = select_tensors(chosen, n, trace, o->selects, o->n_selects, err);
    } else {
        *n = 0;
        *chosen = malloc(((size_t)trace->n_tensors + 1) * sizeof **chosen);
        if (!*chosen) {
            return al_fail(err, AL_ERR_NOMEM, "out of memory");
        }
        for (int t = 0; t < trace->n_tensors; t++) {
            if (tensor_is_probability(&trace->tensors[t])) {
                (*chosen)[(*n)++] = &trace->tensors[t];
            }
        }
        status = *n > 0 ? AL_OK : al_fail(err, AL_ERR_ARG,
                                          "%s has no weights or probabilities to draw; "
                                          "choose tensors with --select", o->trace_path);
    }
    for (int k = 0; status == AL_OK && k < *n; k++) {
        const al_trace_tensor *t = (*chosen)[k];
        if (o->bars && o->row < 0 && t->rows > 1) {
            status = al_fail(err, AL_ERR_ARG, "--bars draws one row, and '%s' has %d: choose "
                             "one with --row", t->name, t->rows);
        } else if (o->bars && o->row >= t->rows) {
            status = al_fail(err, AL_ERR_ARG, "--row %d is past the last row of '%s' (%d rows, "
                             "counted from 0)", o->row, t->name, t->rows);
        }
    }
    if (status == AL_OK && o->bare && *n != 1) {
        status = al_fail(err, AL_ERR_ARG, "--bare draws one tensor, and %d were selected", *n);
    }
    return status;
}

/* Draw the figure and write the PNG (and the SVG), committing the files
 * only when every one of them was written. */
static al_status write_figure(const scene *figure, int width, int height,
                              const heatmap_options *o, al_error *err)
{
    canvas picture;
    al_status status = canvas_create(&picture, width, height, RGB_WHITE, err);
    if (status != AL_OK) {
        return status;
    }
    scene_draw(&picture, figure);
    al_atomic_file png = {0}, svg = {0};
    char *svg_path = o->svg ? path_with_extension(o->out_path, ".svg") : NULL;
    if (o->svg && !svg_path) {
        status = al_fail(err, AL_ERR_NOMEM, "out of memory");
    }
    if (status == AL_OK && (status = al_atomic_begin(&png, o->out_path, err)) == AL_OK &&
        (status = png_write_canvas(png.stream, &picture, o->dpi, err)) == AL_OK) {
        status = al_atomic_finish(&png, err);
    }
    if (status == AL_OK && svg_path && (status = al_atomic_begin(&svg, svg_path, err)) == AL_OK &&
        (status = svg_write_scene(svg.stream, figure, width, height, err)) == AL_OK) {
        status = al_atomic_finish(&svg, err);
    }
    if (status == AL_OK) {
        status = al_atomic_commit(&png, err);
    }
    if (status == AL_OK && svg_path) {
        status = al_atomic_commit(&svg, err);
    }
    al_atomic_discard(&png);
    al_atomic_discard(&svg);
    free(svg_path);
    canvas_free(&picture);
    return status;
}

int main(int argc, char **argv)
{
    heatmap_options options;
    char *axes_copy = NULL;
    parse_result parsed = parse_options(&options, &axes_copy, argc, argv);
    if (parsed != PARSED) {
        free(options.selects);
        free(axes_copy);
        return parsed == HELP_SHOWN ? 0 : EXIT_BAD_INPUT;
    }
    al_error err = {0};
    al_trace_file *trace = NULL;
    const al_trace_tensor **chosen = NULL;
    int n = 0;
    text_font *font = NULL;
    scene figure = {0};
    int width, height;
    al_status status = al_trace_file_read(&trace, options.trace_path, &err);
    if (status == AL_OK) {
        status = choose_tensors(&chosen, &n, trace, &options, &err);
    }
    if (status == AL_OK) {
        status = text_font_open(&font, &err);
    }
    if (status == AL_OK) {
        status = heatmap_figure(&figure, &width, &height, font, chosen, n, &options, &err);
    }
    if (status == AL_OK) {
        status = write_figure(&figure, width, height, &options, &err);
    }
    if (status != AL_OK) {
        cli_error(PROGRAM, "%s", err.message);
    }
    scene_free(&figure);
    text_font_close(font);
    free(chosen);
    al_trace_file_free(trace);
    free(options.selects);
    free(axes_copy);
    return status == AL_OK ? 0 : EXIT_BAD_INPUT;
}
