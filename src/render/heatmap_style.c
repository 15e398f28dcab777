/* heatmap_style.c: the sizes of a heatmap figure and the pieces of layout
 * every panel uses (labels along an edge, tick values, axis names).
 * Text sizes are set in points and turned into pixels by --dpi, so a
 * figure printed at its dpi has 8-point labels; they shrink only when the
 * cells are too small to hold them. It draws no panel itself. */
#include "heatmap.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

heatmap_style heatmap_style_for(const heatmap_options *options, text_font *font)
{
    /* --print-width sizes the cells (cell_zoom), and only when they would
     * be too small for their labels, cells and text together (zoom). */
    double point = options->dpi * options->zoom / 72.0;
    int scale = (int)fmax(2, lround(options->scale * options->cell_zoom * options->zoom));
    heatmap_style style = {
        .scale = scale,
        .title_px = 10 * point,
        .axis_px = 8 * point,
        .tick_px = 7 * point,
        .label_angle = options->label_angle,
        .annotate = options->annotate,
    };
    /* A line of DejaVu Sans is 1.164 em from ascent to descent. Labels are
     * one per cell side by side, and 45-degree labels stand scale / sqrt(2)
     * apart, so 0.6 * scale keeps even those from touching. */
    style.label_px = fmin(8 * point, 0.6 * scale);
    /* Numbers inside a cell: "-0.00" must fit in 85% of the side (wider
     * numbers shrink further, heatmap_panel.c). */
    double sample = text_measure(font, "-0.00", 1).advance;
    style.value_px = fmin(fmin(7 * point, 0.85 * scale / sample), 0.6 * scale);
    style.gap = (int)lround(fmax(2, 0.35 * style.label_px));
    style.margin = 2 * style.gap;
    return style;
}

const char *tensor_label(const al_trace_tensor *t, bool row, int index, char *buffer, int size)
{
    char **labels = row ? t->row_labels : t->col_labels;
    if (labels) {
        return labels[index];
    }
    snprintf(buffer, (size_t)size, "%d", index);
    return buffer;
}

box add_slot_labels(scene *s, const heatmap_style *style, slot_label_fn *labels,
                    const void *context, int n, double edge_y, bool above)
{
    char buffer[32];
    double widest = 0;
    for (int j = 0; j < n; j++) {
        widest = fmax(widest, text_measure(s->font, labels(context, j, buffer, sizeof buffer),
                                           style->label_px).advance);
    }
    bool turn = widest > style->scale - style->gap;
    double angle = turn ? style->label_angle : 0;
    /* Upright: centred on the slot. Turned: above the edge the text starts
     * at the edge and climbs away from it; below, it ends at the edge. */
    double along = turn ? (above ? 0 : 1) : 0.5;
    double across = turn ? 0.5 : (above ? 1 : 0);
    double anchor_y = above ? edge_y - style->gap : edge_y + style->gap;

    /* First pass: how far the placed labels reach back towards the edge. */
    double intrusion = 0;
    for (int j = 0; j < n; j++) {
        text_placement p = text_place(s->font, labels(context, j, buffer, sizeof buffer),
                                      style->label_px, angle, (j + 0.5) * style->scale,
                                      anchor_y, along, across);
        intrusion = fmax(intrusion, above ? p.extent.y1 - anchor_y : anchor_y - p.extent.y0);
    }
    anchor_y += above ? -ceil(intrusion) : ceil(intrusion);

    box covered = {0, anchor_y, n * (double)style->scale, anchor_y};
    for (int j = 0; j < n; j++) {
        box b = scene_add_text(s, labels(context, j, buffer, sizeof buffer), style->label_px,
                               angle, (j + 0.5) * style->scale, anchor_y, along, across,
                               RGB_TEXT);
        covered = box_union(covered, b);
    }
    return covered;
}

/* The number of decimals that prints every multiple of step exactly
 * (0.25 needs 2, 0.5 needs 1, 5 needs 0). */
static int decimals_for(double step)
{
    for (int d = 0; d < 8; d++) {
        double scaled = step * pow(10, d);
        if (fabs(scaled - round(scaled)) < 1e-6 * scaled) {
            return d;
        }
    }
    return 8;
}

int nice_ticks(double *ticks, int max_ticks, int *decimals, double low, double high)
{
    /* Of the steps 1, 2, 2.5 and 5 times a power of ten, the largest that
     * still puts at least four ticks in the range (for [0, 1]: 0.25). */
    double span = high - low;
    double power = pow(10, floor(log10(span)));
    static const double factors[] = {5, 2.5, 2, 1, 0.5, 0.25, 0.2, 0.1};
    double step = factors[7] * power;
    for (int k = 0; k < 8; k++) {
        double candidate = factors[k] * power;
        if (floor(high / candidate + 1e-9) - ceil(low / candidate - 1e-9) + 1 >= 4) {
            step = candidate;
            break;
        }
    }
    *decimals = decimals_for(step);
    int n = 0;
    /* Multiples of step inside the range, allowing for rounding at the ends. */
    for (double k = ceil(low / step - 1e-9); k * step <= high + 1e-9 * span && n < max_ticks;
         k++) {
        double value = k * step;
        ticks[n++] = fabs(value) < 1e-12 * span ? 0 : value;  /* no "-0" */
    }
    return n;
}

int thin_ticks(double *ticks, int n, int *decimals, double length, double spacing)
{
    int stride = 1;
    while (n > 2 * stride && length * stride / (n - 1) < spacing) {
        stride++;
    }
    if (stride == 1) {
        return n;
    }
    int keep = 0;  /* the first tick kept: the one at 0, if any, stays */
    for (int k = 0; k < n; k++) {
        if (ticks[k] == 0) {
            keep = k % stride;
        }
    }
    int kept = 0;
    for (int k = keep; k < n; k += stride) {
        ticks[kept++] = ticks[k];
    }
    *decimals = kept > 1 ? decimals_for(ticks[1] - ticks[0]) : *decimals;
    return kept;
}

/* True for a matrix of queries against keys: scores, scaled or masked
 * scores, weights, a mask, an RNN decoder's alignment. */
static bool is_attention_matrix(const al_trace_tensor *t)
{
    static const char *const endings[] = {"*.scores", "*.scaled", "*.masked", "*.weights",
                                          "*.mask", "*scores", "*weights", "*.alignment"};
    for (int k = 0; k < 8; k++) {
        if (fnmatch(endings[k], t->name, 0) == 0) {
            return true;
        }
    }
    return strcmp(t->op, "softmax_rows") == 0 && t->rows > 1;
}

void axis_names(const char **row_axis, const char **col_axis, const al_trace_tensor *t,
                const heatmap_options *options)
{
    if (options->row_axis) {
        *row_axis = options->row_axis;
        *col_axis = options->col_axis;
    } else if (is_attention_matrix(t)) {
        bool seq2seq = strstr(t->name, "cross_attn") || strncmp(t->name, "s2s.", 4) == 0;
        *row_axis = seq2seq ? "target" : "queries";
        *col_axis = seq2seq ? "source" : "keys";
    } else if (strcmp(t->role, "param") == 0) {
        *row_axis = "d_in";  /* applied as x · W: rows meet x's columns */
        *col_axis = "d_out";
    } else {
        /* Token vectors (L x d_model), an output distribution (1 x V):
         * name what the labels are, and leave a single row unnamed. */
        *row_axis = t->row_labels ? "tokens" : t->rows == 1 ? "" : "rows";
        *col_axis = t->col_labels ? "tokens" : "dimensions";
    }
}
