/* heatmap_main.c: attnlab-heatmap, traced matrices drawn as heatmaps.
 * Reads a trace (never the computing library), selects tensors by name or
 * glob, lays the figure out once and writes it as PNG and, with --svg, as
 * SVG beside it. Both files appear whole or not at all; any bad input is
 * one line on stderr and exit status 2. Layout lives in heatmap_*.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/trace_file.h"
#include "canvas.h"
#include "cli_options.h"
#include "heatmap.h"
#include "attnlab/atomic_file.h"
#include "out_path.h"
#include "png_out.h"
#include "select.h"
#include "svg_out.h"

#define PROGRAM "attnlab-heatmap"
#define EXIT_BAD_INPUT 2

/* The lines around the generated option lines of --help. */
static const char help_top[] =
    "usage: attnlab-heatmap TRACE -o OUT.png [options]\n"
    "Draw traced matrices as heatmaps (or rows as bars or lines): PNG, and SVG\n"
    "with --svg.\n"
    "\n";
static const char help_bottom[] =
    "\n"
    "Exit status: 0 when the figure was written, 2 on bad input (nothing is written).\n";

/* --axes ROWS,COLS: two names, each not empty. The strings are split
 * after parsing (split_axes), so this only checks. */
static bool parse_axes(void *target, const char *value)
{
    const char *comma = strchr(value, ',');
    if (!comma || comma == value || comma[1] == '\0' || strchr(comma + 1, ','))
        return false;
    *(const char **)target = value;
    return true;
}

/* --range LOW,HIGH with LOW < HIGH, both finite. */
static bool parse_range(void *target, const char *value)
{
    heatmap_options *o = target;
    char *end;
    double low = strtod(value, &end);
    if (end == value || *end != ',')
        return false;
    const char *second = end + 1;
    double high = strtod(second, &end);
    if (end == second || *end != '\0' || !isfinite(low) || !isfinite(high) || !(low < high))
        return false;
    o->range_low = (float)low;
    o->range_high = (float)high;
    o->has_range = true;
    return true;
}

/* --print-width LENGTH: a number and its unit, in, mm or cm, from half
 * an inch to 40 inches; kept in inches. */
static bool parse_print_width(void *target, const char *value)
{
    static const struct {
        const char *unit;
        double per_inch;
    } units[] = {{"in", 1}, {"mm", 25.4}, {"cm", 2.54}};
    char *end;
    double length = strtod(value, &end);
    if (end == value || !isfinite(length)) {
        return false;
    }
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
        if (strcmp(end, units[k].unit) == 0) {
            double inches = length / units[k].per_inch;
            *(double *)target = inches;
            return inches >= 0.5 && inches <= 40;
        }
    }
    return false;
}

/* --mark-value V or V:LABEL, repeatable: a finite number and a label of
 * at most 63 bytes (V as typed when there is none); at most
 * MAX_VALUE_MARKS of them. */
static bool parse_value_mark(void *target, const char *value)
{
    heatmap_options *o = target;
    char *end;
    double v = strtod(value, &end);
    if (end == value || !isfinite(v) || (*end != '\0' && *end != ':') ||
        o->n_value_marks == MAX_VALUE_MARKS) {
        return false;
    }
    value_mark *mark = &o->value_marks[o->n_value_marks];
    const char *label = *end == ':' ? end + 1 : value;
    size_t length = *end == ':' ? strlen(label) : (size_t)(end - value);
    if (length == 0 || length >= sizeof mark->label) {
        return false;
    }
    memcpy(mark->label, label, length);
    mark->label[length] = '\0';
    mark->value = v;
    o->n_value_marks++;
    return true;
}

/* --label-angle: 90 or 45 only; the layout knows no other turn. */
static bool parse_angle(void *target, const char *value)
{
    bool known = strcmp(value, "90") == 0 || strcmp(value, "45") == 0;
    if (known)
        *(int *)target = atoi(value);
    return known;
}

/* Split "ROWS,COLS" (already checked by parse_axes) into two strings
 * inside a copy the caller frees. */
static char *split_axes(const char **rows, const char **cols, const char *text)
{
    size_t comma = strcspn(text, ",");
    char *copy = malloc(strlen(text) + 1);
    if (copy) {
        strcpy(copy, text);
        copy[comma] = '\0';
        *rows = copy;
        *cols = copy + comma + 1;
    }
    return copy;
}

typedef enum parse_result { PARSED, HELP_SHOWN, BAD_OPTION } parse_result;

/* Read the command line into *o. *axes_copy holds --axes' strings. */
static parse_result parse_options(heatmap_options *o, char **axes_copy, int argc, char **argv)
{
    *o = (heatmap_options){.row = -1, .scale = 40, .dpi = 150, .label_angle = 90,
                           .cell_zoom = 1, .zoom = 1};
    const char *axes = NULL;
    const char **words = calloc((size_t)argc, sizeof *words);
    o->selects = calloc((size_t)argc, sizeof *o->selects);
    if (!o->selects || !words) {
        free(words);
        cli_report(PROGRAM, "out of memory");
        return BAD_OPTION;
    }
    o->panel_titles = calloc((size_t)argc, sizeof *o->panel_titles);
    o->mark_columns = calloc((size_t)argc, sizeof *o->mark_columns);
    if (!o->panel_titles || !o->mark_columns) {
        free(words);
        cli_report(PROGRAM, "out of memory");
        return BAD_OPTION;
    }
    cli_list selects = {.items = o->selects, .capacity = argc};
    cli_list panel_titles = {.items = o->panel_titles, .capacity = argc};
    cli_list mark_columns = {.items = o->mark_columns, .capacity = argc};
    cli_list operands = {.items = words, .capacity = argc};
    const cli_option options[] = {
        {.name = "output", .short_name = 'o', .kind = CLI_STRING, .target = &o->out_path,
         .value_name = "FILE", .help = "the PNG to write (required)"},
        {.name = "select", .kind = CLI_LIST, .target = &selects, .value_name = "NAME",
         .help = "a tensor name or glob ('enc.0.attn.h*.weights'); repeat for\n"
                 "more; default: every tensor of weights or probabilities"},
        {.name = "svg", .kind = CLI_FLAG, .target = &o->svg,
         .help = "also write the figure as SVG (FILE with .svg instead of .png)"},
        {.name = "title", .kind = CLI_STRING, .target = &o->title, .value_name = "TEXT",
         .help = "the title (default: the tensor's name)"},
        {.name = "panel-title", .kind = CLI_LIST, .target = &panel_titles,
         .value_name = "TEXT",
         .help = "a panel's title in words ('head 1'), repeated once per panel\n"
                 "in drawing order (the trace's order); any text, commas too\n"
                 "(default: what tells the tensor names apart, 'h0')"},
        {.name = "axes", .kind = CLI_CUSTOM, .target = &axes, .value_name = "ROWS,COLS",
         .help = "axis names (default: queries,keys; target,source for\n"
                 "cross-attention and s2s.* tensors); with --bars VALUES,LABELS\n"
                 "(default: probability or value); with --lines X,Y",
         .parse = parse_axes, .needs = "two names, ROWS,COLS"},
        {.name = "gray", .kind = CLI_FLAG, .target = &o->gray, .help = "grayscale, for print"},
        {.name = "grey", .kind = CLI_FLAG, .target = &o->gray}, /* no help: an alias */
        {.name = "annotate", .kind = CLI_FLAG, .target = &o->annotate,
         .help = "write each value in its cell"},
        {.name = "columns", .kind = CLI_INT, .target = &o->columns, .value_name = "N",
         .help = "panels per row when several tensors are drawn", .min = 1, .max = 64},
        {.name = "bars", .kind = CLI_FLAG, .target = &o->bars,
         .help = "draw a row as a labelled bar chart"},
        {.name = "row", .kind = CLI_INT, .target = &o->row, .value_name = "I",
         .help = "which row --bars draws (from 0; needed when there are several)",
         .max = 1 << 30},
        {.name = "top", .kind = CLI_INT, .target = &o->top, .value_name = "N",
         .help = "--bars: only the N largest values, largest first (ties: the\n"
                 "earlier column first)", .min = 1, .max = 1 << 30},
        {.name = "mark-value", .kind = CLI_CUSTOM, .target = o, .value_name = "V[:LABEL]",
         .help = "--bars: a dashed line across the chart at V, labelled LABEL\n"
                 "(default V) on the right; repeat for more (at most 8):\n"
                 "--mark-value '0.4:u = 0.4' --mark-value '0.6:u = 0.6'",
         .parse = parse_value_mark,
         .needs = "a number V, or V:LABEL (at most 8 marks, labels of at most 63 bytes)"},
        {.name = "mark-column", .kind = CLI_LIST, .target = &mark_columns,
         .value_name = "LABEL",
         .help = "--bars: draw the bar of the column labelled LABEL in another\n"
                 "colour (with --top, after the N largest if not among them);\n"
                 "repeatable"},
        {.name = "mark-legend", .kind = CLI_STRING, .target = &o->mark_legend,
         .value_name = "TEXT",
         .help = "what the --mark-column bars are, in the legend under the\n"
                 "chart ('the true word'; default 'marked')"},
        {.name = "scale", .kind = CLI_INT, .target = &o->scale, .value_name = "N",
         .help = "pixels per cell (default 40)", .min = 2, .max = 400},
        {.name = "dpi", .kind = CLI_INT, .target = &o->dpi, .value_name = "N",
         .help = "resolution written in the PNG (default 150); text sizes in\n"
                 "points follow it",
         .min = 36, .max = 1200},
        {.name = "print-width", .kind = CLI_CUSTOM, .target = &o->print_width_in,
         .value_name = "LENGTH",
         .help = "the printed width, with its unit: 3.3in, 84mm, 8.4cm. The PNG\n"
                 "is LENGTH x --dpi pixels wide (3.3in at --dpi 300: 990);\n"
                 "text keeps its point sizes and the cells (a line chart's\n"
                 "plot) grow or shrink to fill it; where they would be too\n"
                 "small for their labels, cells and text shrink together.\n"
                 "The SVG has the same layout. Common book columns are about\n"
                 "3.3in (84mm) single and 6.9in (175mm) full width; the\n"
                 "publisher's are the ones that count. Default: --scale",
         .parse = parse_print_width,
         .needs = "a length with its unit (3.3in, 84mm or 8.4cm) from 0.5in to 40in"},
        {.name = "label-angle", .kind = CLI_CUSTOM, .target = &o->label_angle,
         .value_name = "A", .help = "90 or 45: how long column labels are turned (default 90)",
         .parse = parse_angle, .needs = "90 or 45"},
        {.name = "range", .kind = CLI_CUSTOM, .target = o, .value_name = "LOW,HIGH",
         .help = "the colour range (default: [0, 1] for weights, +-max|x| for\n"
                 "signed values, [min, max] otherwise); with --lines the\n"
                 "y range",
         .parse = parse_range, .needs = "two numbers LOW,HIGH with LOW < HIGH"},
        {.name = "bare", .kind = CLI_FLAG, .target = &o->bare,
         .help = "the cells only, no text or margin (one tensor)"},
        {.name = "lines", .kind = CLI_FLAG, .target = &o->lines,
         .help = "draw each row of the selected tensors as a line of a\n"
                 "line chart (null entries skipped)"},
        {.name = "x", .kind = CLI_STRING, .target = &o->x_name, .value_name = "NAME",
         .help = "with --lines: the 1 x n tensor of x values (strictly\n"
                 "increasing; default 1 .. n)"},
        {.name = "log-x", .kind = CLI_FLAG, .target = &o->log_x,
         .help = "with --lines: a log10 x axis"},
        {.name = "log-y", .kind = CLI_FLAG, .target = &o->log_y,
         .help = "with --lines: a log10 y axis"},
        {.name = "legend", .kind = CLI_STRING, .target = &o->legend, .value_name = "A,B,...",
         .help = "with --lines: the series' names (default: what tells\n"
                 "the tensor names apart, or the row labels)"},
        CLI_HELP_OPTION,
        {0},
    };
    cli_error error;
    cli_result result = cli_parse(options, &operands, 1, argc, argv, &error);
    o->n_selects = selects.count;
    o->n_panel_titles = panel_titles.count;
    o->n_mark_columns = mark_columns.count;
    o->trace_path = operands.count > 0 ? words[0] : NULL;
    const char *second = operands.count > 1 ? words[1] : NULL;
    free(words);
    if (result == CLI_HELP_ASKED) {
        fputs(help_top, stdout);
        cli_print_options(stdout, options, 20);
        fputs(help_bottom, stdout);
        return HELP_SHOWN;
    }
    if (result == CLI_BAD_USAGE) {
        cli_report(PROGRAM, "%s (see --help)", error.message);
        return BAD_OPTION;
    }
    if (second) {
        cli_report(PROGRAM, "one trace at a time: '%s' and '%s'", o->trace_path, second);
        return BAD_OPTION;
    }
    if (axes && !(*axes_copy = split_axes(&o->row_axis, &o->col_axis, axes))) {
        cli_report(PROGRAM, "out of memory");
        return BAD_OPTION;
    }
    if (!o->trace_path || !o->out_path) {
        cli_report(PROGRAM, "%s (usage: attnlab-heatmap TRACE -o OUT.png [options])",
                  !o->trace_path ? "no trace file given" : "no output given: -o OUT.png");
        return BAD_OPTION;
    }
    if (!path_ends_with(o->out_path, ".png")) {
        cli_report(PROGRAM, "the output must be a .png file, not '%s'", o->out_path);
        return BAD_OPTION;
    }
    if (o->top > 0 && !o->bars) {
        cli_report(PROGRAM, "--top chooses the bars --bars draws; add --bars");
        return BAD_OPTION;
    }
    if ((o->n_value_marks > 0 || o->n_mark_columns > 0) && !o->bars) {
        cli_report(PROGRAM, "%s marks a bar chart; add --bars",
                   o->n_value_marks > 0 ? "--mark-value" : "--mark-column");
        return BAD_OPTION;
    }
    if (o->mark_legend && o->n_mark_columns == 0) {
        cli_report(PROGRAM, "--mark-legend names the --mark-column bars; add --mark-column LABEL");
        return BAD_OPTION;
    }
    if (o->row >= 0 && !o->bars) {
        cli_report(PROGRAM, "--row chooses the row for --bars; add --bars");
        return BAD_OPTION;
    }
    if (o->lines && (o->bars || o->annotate || o->bare)) {
        cli_report(PROGRAM, "--lines draws a line chart; it cannot go with %s",
                   o->bars ? "--bars" : o->annotate ? "--annotate" : "--bare");
        return BAD_OPTION;
    }
    if (!o->lines && (o->x_name || o->log_x || o->log_y || o->legend)) {
        cli_report(PROGRAM, "%s belongs to line charts; add --lines",
                   o->x_name ? "--x" : o->log_x ? "--log-x" : o->log_y ? "--log-y" : "--legend");
        return BAD_OPTION;
    }
    if (o->lines && o->n_selects == 0) {
        cli_report(PROGRAM, "--lines needs --select NAME for the series to draw");
        return BAD_OPTION;
    }
    if (o->n_panel_titles > 0 && (o->lines || o->bare)) {
        cli_report(PROGRAM, "--panel-title titles the panels of heatmaps and bar charts; %s",
                   o->lines ? "a line chart has one plot: use --title and --legend"
                            : "--bare draws no text");
        return BAD_OPTION;
    }
    if (o->bare && o->print_width_in > 0) {
        cli_report(PROGRAM, "--bare draws cells only, exactly --scale pixels each; "
                   "--print-width cannot go with it");
        return BAD_OPTION;
    }
    if (o->bare && (o->bars || o->annotate)) {
        cli_report(PROGRAM, "--bare draws cells only; it cannot go with --bars or --annotate");
        return BAD_OPTION;
    }
    return PARSED;
}

/* The cells alone of one tensor must fit the largest figure (bars are 5
 * cells high). *width and *height are its size in pixels. */
static bool cells_fit(double *width, double *height, const heatmap_options *o, int rows,
                      int cols)
{
    double columns = o->bars && o->top > 0 && o->top < cols ? o->top : cols;
    *width = columns * o->scale;
    *height = (o->bars ? 5 : rows) * (double)o->scale;
    return o->lines || *width * *height <= CANVAS_MAX_PIXELS;
}

/* Whether the figure may need a tensor's numbers, from its name, op and
 * shape alone (al_trace_read_options): the tensors selected (by default,
 * the probabilities) and the --x tensor, unless too large to draw. The
 * reader checks every other number but keeps none of them, so a figure of
 * one tensor of a large trace holds one tensor, and a tensor too large to
 * draw is refused from its shape (choose_tensors) without being held (a
 * 1 x 4,000,000 tensor took 57 s and 2.7 GB to reach the canvas's check). */
static bool figure_needs_data(void *context, const char *name, const char *op, int rows,
                              int cols)
{
    const heatmap_options *o = context;
    double width, height;
    bool chosen = o->n_selects > 0 ? name_matches_any(name, o->selects, o->n_selects)
                                   : is_probability(name, op);
    bool is_x = o->x_name && strcmp(name, o->x_name) == 0;
    return is_x || (chosen && cells_fit(&width, &height, o, rows, cols));
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
    for (int k = 0; status == AL_OK && !o->lines && k < *n; k++) {
        const al_trace_tensor *t = (*chosen)[k];
        double width, height;
        if (!cells_fit(&width, &height, o, t->rows, t->cols)) {
            status = al_fail(err, AL_ERR_ARG, "'%s' (%d x %d) alone would be %.0f x %.0f "
                             "pixels at --scale %d, more than a figure may have (%.0f); choose a "
                             "smaller --scale%s", t->name, t->rows, t->cols, width, height,
                             o->scale, CANVAS_MAX_PIXELS, o->bars ? " or --top" : "");
        }
    }
    for (int k = 0; status == AL_OK && k < *n; k++) {
        for (int m = 0; status == AL_OK && m < o->n_mark_columns; m++) {
            if (column_with_label((*chosen)[k], o->mark_columns[m]) < 0) {
                status = al_fail(err, AL_ERR_ARG, "--mark-column '%s' is not a column label of "
                                 "'%s'", o->mark_columns[m], (*chosen)[k]->name);
            }
        }
    }
    if (status == AL_OK && o->n_panel_titles > 0 && o->n_panel_titles != *n) {
        status = al_fail(err, AL_ERR_ARG, "%d --panel-title given for %d panel%s (%s%s); give "
                         "one per panel, in the trace's order", o->n_panel_titles, *n,
                         *n == 1 ? "" : "s", (*chosen)[0]->name, *n > 1 ? ", ..." : "");
    }
    if (status == AL_OK && o->bare && *n != 1) {
        status = al_fail(err, AL_ERR_ARG, "--bare draws one tensor, and %d were selected", *n);
    }
    return status;
}

/* Lay the figure out at options->zoom: a line chart or heatmaps and bars. */
static al_status lay_out(scene *figure, int *width, int *height, text_font *font,
                         const al_trace_tensor *const *chosen, int n, const al_trace_file *trace,
                         const heatmap_options *o, al_error *err)
{
    return o->lines ? heatmap_lines_figure(figure, width, height, font, chosen, n, trace, o, err)
                    : heatmap_figure(figure, width, height, font, chosen, n, o, err);
}

/* Lay the figure out again with cell zoom c; *width is its width. */
static al_status lay_out_cells(scene *figure, int *width, int *height, text_font *font,
                               const al_trace_tensor *const *chosen, int n,
                               const al_trace_file *trace, heatmap_options *o, double c,
                               al_error *err)
{
    o->cell_zoom = c;
    scene_free(figure);
    return lay_out(figure, width, height, font, chosen, n, trace, o, err);
}

/* The figure laid out to fill --print-width: the width at --dpi, in
 * pixels, is the target. Text keeps its point sizes (the book's type is
 * the same in every figure) and the cells grow or shrink: the width is a
 * fixed part (labels, margins, colour bar) plus a part in proportion to
 * the cells, so two layouts give the cell zoom to try, and a few more
 * steps take it to the largest that fits (cells are whole pixels, so the
 * width moves in steps of the cells across). Cells too small for their
 * labels (smaller than the labels' 8 points need, 0.6 of a side; a line
 * chart's plot under half its 4 inches) are not made: from that size,
 * cells and text are zoomed down together until the figure fits. The
 * figure is then centred in the target width. Without --print-width,
 * laid out once as --scale and --dpi say. */
static al_status lay_out_to_width(scene *figure, int *width, int *height, text_font *font,
                                  const al_trace_tensor *const *chosen, int n,
                                  const al_trace_file *trace, heatmap_options *o, al_error *err)
{
    al_status status = lay_out(figure, width, height, font, chosen, n, trace, o, err);
    if (status != AL_OK || o->print_width_in <= 0) {
        return status;
    }
    int target = (int)lround(o->print_width_in * o->dpi);
    double smallest = o->lines ? 0.5 : 8 * o->dpi / 72.0 / 0.6 / o->scale;
    /* The width only grows with the cell zoom, but not always in
     * proportion (a title wider than the cells hides their growth): so
     * the largest zoom that fits is found by halving an interval, from
     * the smallest cells to cells that are too wide. */
    /* Nor larger than a book would print them: a cell of a heatmap at most
     * 3/4 inch, a bar's slot 0.4 inch (a bar chart is 5 slots high; four
     * bars across a page would otherwise stand 3 pages tall). Then the
     * figure is narrower than the width, and centred in it. */
    int rows = 1;
    for (int k = 0; k < n; k++)
        rows = chosen[k]->rows > rows ? chosen[k]->rows : rows;
    /* ... and a heatmap's column of cells at most 6 inches high. */
    double largest = (o->bars ? 0.4 : fmin(0.75, 6.0 / rows)) * o->dpi / o->scale;
    double fits = smallest, too_wide = fmax(2 * smallest, 1);
    status = lay_out_cells(figure, width, height, font, chosen, n, trace, o, too_wide, err);
    bool room = true;  /* the cells may still grow */
    for (int step = 0; status == AL_OK && *width <= target && room && step < 16; step++) {
        fits = too_wide;
        too_wide *= 2;
        room = o->lines || too_wide < 2 * largest;
        status = lay_out_cells(figure, width, height, font, chosen, n, trace, o, too_wide, err);
    }
    for (int step = 0; status == AL_OK && step < 16; step++) {
        double middle = (fits + too_wide) / 2;
        status = lay_out_cells(figure, width, height, font, chosen, n, trace, o, middle, err);
        *(*width <= target ? &fits : &too_wide) = middle;
    }
    double c = o->lines ? fits : fmin(fits, fmax(largest, smallest));
    if (status == AL_OK)
        status = lay_out_cells(figure, width, height, font, chosen, n, trace, o, c, err);
    /* Too wide even with the smallest cells: everything shrinks together. */
    for (int step = 0; status == AL_OK && *width > target && step < 24; step++) {
        double ratio = (double)target / *width;
        o->zoom *= step < 4 ? ratio : fmin(ratio, 1 - 0.5 / target);
        status = lay_out_cells(figure, width, height, font, chosen, n, trace, o, c, err);
    }
    if (status != AL_OK) {
        return status;
    }
    if (*width > target) {
        return al_fail(err, AL_ERR_ARG, "the figure cannot be laid out %.4g in wide at --dpi %d "
                       "(%d pixels; it needs %d)", o->print_width_in, o->dpi, target, *width);
    }
    scene_translate(figure, floor((target - *width) / 2.0), 0);
    *width = target;
    return AL_OK;
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
        (status = png_write_canvas(png.stream, o->out_path, &picture, o->dpi, err)) ==
        AL_OK) {
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
        free(options.panel_titles);
        free(options.mark_columns);
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
    al_trace_read_options reading = {.keep_data = figure_needs_data, .context = &options};
    al_status status = al_trace_file_read_with(&trace, options.trace_path, &reading, &err);
    if (status == AL_OK) {
        status = choose_tensors(&chosen, &n, trace, &options, &err);
    }
    if (status == AL_OK) {
        status = text_font_open(&font, &err);
    }
    if (status == AL_OK) {
        status = lay_out_to_width(&figure, &width, &height, font, chosen, n, trace, &options,
                                  &err);
    }
    if (status == AL_OK && options.print_width_in > 0 &&
        (double)width * height > CANVAS_MAX_PIXELS) {
        status = al_fail(&err, AL_ERR_ARG, "--print-width %.4gin at --dpi %d makes a figure of "
                         "%d x %d pixels, more than a figure may have (%.0f); choose a smaller "
                         "width or --dpi", options.print_width_in, options.dpi, width, height,
                         CANVAS_MAX_PIXELS);
    }
    if (status == AL_OK) {
        status = write_figure(&figure, width, height, &options, &err);
    }
    if (status != AL_OK) {
        cli_report(PROGRAM, "%s", err.message);
    }
    scene_free(&figure);
    text_font_close(font);
    free(chosen);
    al_trace_file_free(trace);
    free(options.selects);
    free(options.panel_titles);
    free(options.mark_columns);
    free(axes_copy);
    return status == AL_OK ? 0 : EXIT_BAD_INPUT;
}
