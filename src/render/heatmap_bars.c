/* heatmap_bars.c: one row of a tensor (a softmax row, an output
 * distribution) as a labelled bar chart: a bar per column with its value
 * written above it, the column labels below, a value axis with ticks on
 * the left. Probabilities use the fixed range [0, 1], like the heatmaps.
 * With --top N only the N largest values are drawn, largest first (a
 * vocabulary of a hundred words becomes its ten most probable). It does
 * not pick the row (heatmap_main.c checks --row). */
#include "heatmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_TICKS 16

typedef struct bar_row {
    const al_trace_tensor *tensor;
    int row;
    const int *columns;   /* the columns drawn, left to right */
} bar_row;

static const char *bar_label(const void *context, int k, char *buffer, int size)
{
    const bar_row *bars = context;
    return tensor_label(bars->tensor, false, bars->columns[k], buffer, size);
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

/* The columns to draw into columns (t->cols ints): all in order, or the
 * top largest. Returns how many. */
static int choose_columns(int *columns, const bar_row *bars, int top)
{
    int n = bars->tensor->cols;
    for (int j = 0; j < n; j++)
        columns[j] = j;
    if (top <= 0 || top >= n)
        return n;
    ranked_row = bars;
    qsort(columns, (size_t)n, sizeof *columns, by_value_in_row);
    ranked_row = NULL;
    return top;
}

/* The value range of the plot: [0, 1] for probabilities, otherwise the
 * values' range stretched to include 0 (bars grow from 0). */
static void value_range(double *low, double *high, const al_trace_tensor *t, int row,
                        const int *columns, int n)
{
    *low = 0;
    *high = tensor_is_probability(t) ? 1 : 0;
    for (int k = 0; k < n; k++) {
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

void heatmap_panel_bars(heatmap_panel *panel, text_font *font, const al_trace_tensor *t, int row,
                        const heatmap_style *style, const heatmap_options *options)
{
    int slot = style->scale;
    int plot_height = 5 * slot;
    *panel = (heatmap_panel){.plot_height = plot_height};
    scene *s = &panel->drawing;
    scene_init(s, font);
    int *columns = malloc((size_t)t->cols * sizeof *columns);
    if (!columns) {
        s->out_of_memory = true;  /* the figure reports it (scene_status) */
        return;
    }
    bar_row context = {t, row, columns};
    int n = choose_columns(columns, &context, options->top);
    panel->plot_width = n * slot;

    double low, high;
    value_range(&low, &high, t, row, columns, n);
    int zero_y = (int)lround(y_of(0, low, high, plot_height));
    int bar_width = (int)lround(0.7 * slot);
    rgb bar_colour = options->gray ? (rgb){0x59, 0x59, 0x59} : colour_map_at(MAP_VIRIDIS, 0.5);
    box top = {0, 0, panel->plot_width, 0};
    for (int k = 0; k < n; k++) {
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
        scene_add_rect(s, k * slot + (slot - bar_width) / 2, y0, bar_width, y1 - y0, bar_colour);
        char text[32];
        snprintf(text, sizeof text, "%.2f", value);
        bool up = value >= 0;
        top = box_union(top, scene_add_text(s, text, style->value_px, 0, centre,
                                            up ? y0 - 2.0 : y1 + 2.0, 0.5, up ? 1 : 0,
                                            RGB_TEXT));
    }
    scene_add_rect(s, -1, zero_y, panel->plot_width + 1, 1, RGB_AXIS);
    box numbers = add_value_axis(s, style, low, high, plot_height);

    box labels = add_slot_labels(s, style, bar_label, &context, n,
                                 fmax(plot_height, top.y1), false);
    const char *row_axis, *col_axis;
    axis_names(&row_axis, &col_axis, t, options);
    /* The value axis takes --axes' first name; without it, what the values are. */
    const char *value_name = options->row_axis ? options->row_axis
                             : tensor_is_probability(t) ? "probability" : "value";
    scene_add_text(s, value_name, style->axis_px, 90, numbers.x0 - style->gap, plot_height / 2.0,
                   0.5, 1, RGB_SOFT_TEXT);
    scene_add_text(s, col_axis, style->axis_px, 0, panel->plot_width / 2.0,
                   labels.y1 + style->gap / 2.0, 0.5, 0, RGB_SOFT_TEXT);
    panel->body_right = scene_bounds(s).x1;
    panel->title_x = panel->plot_width / 2.0;
    panel->title_y = fmin(0, top.y0) - style->gap;  /* above the highest value label */
    free(columns);
}
