/* heatmap_bars.c: one row of a tensor (a softmax row, an output
 * distribution) as a labelled bar chart: a bar per column with its value
 * written above it, the column labels below, a value axis with ticks on
 * the left. Probabilities use the fixed range [0, 1], like the heatmaps.
 * With --top N only the N largest values are drawn, largest first (a
 * vocabulary of a hundred words becomes its ten most probable).
 * --mark-value draws a dashed line across the plot at a value, labelled
 * on the right (the draws of a roulette wheel on its cumulative sums);
 * --mark-column draws the bars of the labels named in another colour, a
 * legend under the chart saying what they are (the true word), and with
 * --top, a marked bar outside the N largest follows them after a slot
 * with an ellipsis. It does not pick the row (heatmap_main.c checks
 * --row, and that every marked label is a column). */
#include "heatmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TICKS 16
#define ELLIPSIS_SLOT (-1)  /* a gap between the top N and a marked bar */

/* The marks' colour: Okabe and Ito's vermillion, which stands apart from
 * the viridis teal of the bars for colour-blind readers too; black on
 * the gray bars of --gray. */
#define RGB_MARK      ((rgb){0xd5, 0x5e, 0x00})
#define RGB_MARK_GRAY ((rgb){0x00, 0x00, 0x00})

typedef struct bar_row {
    const al_trace_tensor *tensor;
    int row;
    const int *columns;   /* the columns drawn, left to right */
} bar_row;

static const char *bar_label(const void *context, int k, char *buffer, int size)
{
    const bar_row *bars = context;
    if (bars->columns[k] == ELLIPSIS_SLOT) {
        return "\xe2\x80\xa6";  /* U+2026, the ellipsis */
    }
    return tensor_label(bars->tensor, false, bars->columns[k], buffer, size);
}

int column_with_label(const al_trace_tensor *t, const char *label)
{
    char buffer[32];
    for (int j = 0; j < t->cols; j++) {
        if (strcmp(tensor_label(t, false, j, buffer, sizeof buffer), label) == 0) {
            return j;
        }
    }
    return -1;
}

static bool is_marked(const al_trace_tensor *t, int column, const heatmap_options *options)
{
    for (int m = 0; m < options->n_mark_columns; m++) {
        if (column_with_label(t, options->mark_columns[m]) == column) {
            return true;
        }
    }
    return false;
}

/* The row being ranked by by_value_in_row (qsort passes no context). */
static const bar_row *ranked_row;

/* Larger value first; on a tie, or between NaNs (which go last), the
 * earlier column first, so the order is fixed. */
static int by_value_in_row(const void *a, const void *b)
{
    int i = *(const int *)a, j = *(const int *)b;
    float x = al_trace_tensor_at(ranked_row->tensor, ranked_row->row, i);
    float y = al_trace_tensor_at(ranked_row->tensor, ranked_row->row, j);
    if (isnan(x) != isnan(y))
        return isnan(x) ? 1 : -1;
    if (!isnan(x) && x != y)
        return x > y ? -1 : 1;
    return (i > j) - (i < j);
}

/* The columns to draw into columns (room for t->cols + 1 ints): all in
 * order, or the top largest, then (after an ELLIPSIS_SLOT) the marked
 * columns that are not among them, in rank order. Returns how many. */
static int choose_columns(int *columns, const bar_row *bars, int top,
                          const heatmap_options *options)
{
    int n = bars->tensor->cols;
    for (int j = 0; j < n; j++)
        columns[j] = j;
    if (top <= 0 || top >= n)
        return n;
    ranked_row = bars;
    qsort(columns, (size_t)n, sizeof *columns, by_value_in_row);
    ranked_row = NULL;
    int chosen = top, left_out[64], n_left_out = 0;
    for (int k = top; k < n && n_left_out < 64; k++) {
        if (is_marked(bars->tensor, columns[k], options)) {
            left_out[n_left_out++] = columns[k];
        }
    }
    if (n_left_out > 0) {
        columns[chosen++] = ELLIPSIS_SLOT;
        for (int k = 0; k < n_left_out; k++) {
            columns[chosen++] = left_out[k];
        }
    }
    return chosen;
}

/* The value range of the plot: [0, 1] for probabilities, otherwise the
 * values' range stretched to include 0 (bars grow from 0). */
static void value_range(double *low, double *high, const al_trace_tensor *t, int row,
                        const int *columns, int n, const heatmap_options *options)
{
    *low = 0;
    *high = tensor_is_probability(t) ? 1 : 0;
    for (int m = 0; m < options->n_value_marks; m++) {  /* every mark in the plot */
        *low = fmin(*low, options->value_marks[m].value);
        *high = fmax(*high, options->value_marks[m].value);
    }
    for (int k = 0; k < n; k++) {
        if (columns[k] == ELLIPSIS_SLOT) {
            continue;
        }
        float value = al_trace_tensor_at(t, row, columns[k]);
        if (!isnan(value)) {
            *low = fmin(*low, value);
            *high = fmax(*high, value);
        }
    }
    if (*high - *low == 0) {
        *high = 1;
    }
}

/* y of a value in a plot plot_height high: high at the top (0), low at the
 * bottom (plot_height). */
static double y_of(double value, double low, double high, int plot_height)
{
    return plot_height - (value - low) / (high - low) * plot_height;
}

/* The value axis: a line on the left with ticks and their numbers.
 * Returns the box of the numbers. */
static box add_value_axis(scene *s, const heatmap_style *style, double low, double high,
                          int plot_height)
{
    double ticks[MAX_TICKS];
    int decimals;
    int n = nice_ticks(ticks, MAX_TICKS, &decimals, low, high);
    scene_add_rect(s, -1, 0, 1, plot_height, RGB_AXIS);
    box covered = {-1, 0, -1, plot_height};
    for (int k = 0; k < n; k++) {
        int y = (int)lround(y_of(ticks[k], low, high, plot_height));
        scene_add_rect(s, -5, y, 4, 1, RGB_AXIS);
        char text[32];
        snprintf(text, sizeof text, "%.*f", decimals, ticks[k]);
        covered = box_union(covered, scene_add_text(s, text, style->tick_px, 0,
                                                    -5 - style->gap / 2.0, y + 0.5, 1, 0.5,
                                                    RGB_TEXT));
    }
    return covered;
}

/* Each --mark-value: a dashed line across the plot at its value, drawn
 * over the bars, and its label just right of the plot at that height. */
static void add_value_marks(scene *s, const heatmap_style *style, const heatmap_options *options,
                            rgb colour, double low, double high, int plot_height, int plot_width)
{
    double width = fmax(1.5, style->label_px / 8);  /* about a point */
    double dash[2] = {4 * width, 2.5 * width};
    for (int m = 0; m < options->n_value_marks; m++) {
        double y = y_of(options->value_marks[m].value, low, high, plot_height);
        double xy[4] = {0, y, plot_width, y};
        scene_add_line(s, xy, 2, width, dash, 2, colour);
        scene_add_text(s, options->value_marks[m].label, style->tick_px, 0,
                       plot_width + style->gap, y, 0, 0.5, colour);
    }
}

/* A bar's number: two decimals ("0.49"), but two significant digits for a
 * value that two decimals would show as 0.00 ("0.0005", "3.1e-07"), and "0"
 * only for exactly zero: a tiny value is not nothing. Those digits must
 * leave a gap to the next bar's number (0.8 of the slot): if not, "<0.01"
 * says the value is small and not zero, and where even that does not fit,
 * the bar's height (none to see) says it alone. */
static void bar_value_text(char *text, size_t size, float value, text_font *font,
                           double size_px, double slot)
{
    if (value == 0.0f || fabsf(value) >= 0.005f) {
        snprintf(text, size, value == 0.0f ? "0" : "%.2f", (double)value);
        return;
    }
    snprintf(text, size, "%.2g", (double)value);
    if (text_measure(font, text, size_px).advance > 0.8 * slot)
        snprintf(text, size, "%s0.01", value > 0 ? "<" : ">-");
    if (text_measure(font, text, size_px).advance > 0.8 * slot)
        text[0] = '\0';
}

/* The legend of the marked bars: a square of their colour and the word,
 * centred on x, its top at y plus a gap. */
static void add_column_legend(scene *s, const heatmap_style *style, const char *legend,
                              rgb colour, double x, double y)
{
    int side = (int)lround(0.8 * style->tick_px);
    double text_width = text_measure(s->font, legend, style->tick_px).advance;
    double left = x - (side + style->gap + text_width) / 2;
    double middle = y + style->gap + style->tick_px * 0.6;
    scene_add_rect(s, (int)lround(left), (int)lround(middle - side / 2.0), side, side, colour);
    scene_add_text(s, legend, style->tick_px, 0, left + side + style->gap, middle, 0, 0.5,
                   RGB_TEXT);
}

void heatmap_panel_bars(heatmap_panel *panel, text_font *font, const al_trace_tensor *t, int row,
                        const heatmap_style *style, const heatmap_options *options)
{
    int slot = style->scale;
    int plot_height = 5 * slot;
    *panel = (heatmap_panel){.plot_height = plot_height};
    scene *s = &panel->drawing;
    scene_init(s, font);
    int *columns = malloc(((size_t)t->cols + 1) * sizeof *columns);
    if (!columns) {
        s->out_of_memory = true;  /* the figure reports it (scene_status) */
        return;
    }
    bar_row context = {t, row, columns};
    int n = choose_columns(columns, &context, options->top, options);
    panel->plot_width = n * slot;

    double low, high;
    value_range(&low, &high, t, row, columns, n, options);
    int zero_y = (int)lround(y_of(0, low, high, plot_height));
    int bar_width = (int)lround(0.7 * slot);
    rgb bar_colour = options->gray ? (rgb){0x59, 0x59, 0x59} : colour_map_at(MAP_VIRIDIS, 0.5);
    rgb mark_colour = options->gray ? RGB_MARK_GRAY : RGB_MARK;
    box top = {0, 0, panel->plot_width, 0};
    for (int k = 0; k < n; k++) {
        if (columns[k] == ELLIPSIS_SLOT) {
            continue;
        }
        float value = al_trace_tensor_at(t, row, columns[k]);
        double centre = (k + 0.5) * slot;
        if (isnan(value)) {
            /* A masked entry has no bar; a cross marks the empty slot. */
            top = box_union(top, scene_add_text(s, "\xc3\x97", style->value_px, 0, centre,
                                                zero_y - 2.0, 0.5, 1, RGB_SOFT_TEXT));
            continue;
        }
        int value_y = (int)lround(y_of(value, low, high, plot_height));
        int y0 = value_y < zero_y ? value_y : zero_y, y1 = value_y < zero_y ? zero_y : value_y;
        scene_add_rect(s, k * slot + (slot - bar_width) / 2, y0, bar_width, y1 - y0,
                       is_marked(t, columns[k], options) ? mark_colour : bar_colour);
        char text[32];
        bar_value_text(text, sizeof text, value, font, style->value_px, slot);
        bool up = value >= 0;
        rgb text_colour = is_marked(t, columns[k], options) ? mark_colour : RGB_TEXT;
        if (text[0])
            top = box_union(top, scene_add_text(s, text, style->value_px, 0, centre,
                                                up ? y0 - 2.0 : y1 + 2.0, 0.5, up ? 1 : 0,
                                                text_colour));
    }
    scene_add_rect(s, -1, zero_y, panel->plot_width + 1, 1, RGB_AXIS);
    box numbers = add_value_axis(s, style, low, high, plot_height);
    add_value_marks(s, style, options, mark_colour, low, high, plot_height, panel->plot_width);

    box labels = add_slot_labels(s, style, bar_label, &context, n,
                                 fmax(plot_height, top.y1), false);
    const char *row_axis, *col_axis;
    axis_names(&row_axis, &col_axis, t, options);
    /* The value axis takes --axes' first name; without it, what the values are. */
    const char *value_name = options->row_axis ? options->row_axis
                             : tensor_is_probability(t) ? "probability" : "value";
    scene_add_text(s, value_name, style->axis_px, 90, numbers.x0 - style->gap, plot_height / 2.0,
                   0.5, 1, RGB_SOFT_TEXT);
    box axis = scene_add_text(s, col_axis, style->axis_px, 0, panel->plot_width / 2.0,
                              labels.y1 + style->gap / 2.0, 0.5, 0, RGB_SOFT_TEXT);
    if (options->n_mark_columns > 0) {
        add_column_legend(s, style, options->mark_legend ? options->mark_legend : "marked",
                          mark_colour, panel->plot_width / 2.0, fmax(axis.y1, labels.y1));
    }
    panel->body_right = scene_bounds(s).x1;
    panel->title_x = panel->plot_width / 2.0;
    panel->title_y = fmin(0, top.y0) - style->gap;  /* above the highest value label */
    free(columns);
}
