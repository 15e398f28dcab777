/* heatmap_panel.c: one matrix as a panel: the cells, a thin frame, row
 * labels (queries) on the left, column labels (keys) on top, the axis
 * names beyond them, the title above, and with --annotate each value in
 * its cell. Every block is placed from the measured size of the one
 * inside it, so nothing overlaps whatever the tokens. It does not choose
 * the colour scale or place the panel in the figure. */
#include "heatmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cells.h"

static const char *column_label(const void *context, int j, char *buffer, int size)
{
    return tensor_label(context, false, j, buffer, size);
}

/* A 1-pixel frame just outside the cells, so white or pale cells keep an
 * edge (the gray map's 0 is white). */
static void add_frame(scene *s, int width, int height)
{
    scene_add_rect(s, -1, -1, width + 2, 1, RGB_AXIS);
    scene_add_rect(s, -1, height, width + 2, 1, RGB_AXIS);
    scene_add_rect(s, -1, 0, 1, height, RGB_AXIS);
    scene_add_rect(s, width, 0, 1, height, RGB_AXIS);
}

/* A value as --annotate writes it: two decimals, and -0.001 as 0.00, not
 * -0.00. */
static void format_value(char *text, size_t size, float value)
{
    snprintf(text, size, "%.2f", value);
    if (text[0] == '-' && strtod(text, NULL) == 0) {
        snprintf(text, size, "0.00");
    }
}

/* The size of the values' text: style->value_px, or smaller where the
 * widest value of t ("-31.67") would not fit 85% of a cell. */
static double value_size(text_font *font, const al_trace_tensor *t, const heatmap_style *style)
{
    double widest = 0;
    for (long e = 0; e < (long)t->rows * t->cols; e++) {
        if (!isnan(t->data[e])) {
            char text[32];
            format_value(text, sizeof text, t->data[e]);
            widest = fmax(widest, text_measure(font, text, 1).advance);
        }
    }
    return widest > 0 ? fmin(style->value_px, 0.85 * style->scale / widest) : style->value_px;
}

/* Each value centred in its cell: dark text on light cells, white on dark
 * ones. Masked cells keep their hatching only. */
static void add_values(scene *s, const al_trace_tensor *t, const colour_scale *scale,
                       const heatmap_style *style)
{
    double size = value_size(s->font, t, style);
    for (int i = 0; i < t->rows; i++) {
        for (int j = 0; j < t->cols; j++) {
            float value = al_trace_tensor_at(t, i, j);
            if (isnan(value)) {
                continue;
            }
            char text[32];
            format_value(text, sizeof text, value);
            rgb cell = colour_scale_rgb(scale, value);
            rgb ink = rgb_luminance(cell) > 0.36 ? RGB_TEXT : RGB_WHITE;
            scene_add_text(s, text, size, 0, (j + 0.5) * style->scale, (i + 0.5) * style->scale,
                           0.5, 0.5, ink);
        }
    }
}

/* Row labels right-aligned just left of the cells; returns their box. */
static box add_row_labels(scene *s, const al_trace_tensor *t, const heatmap_style *style)
{
    box covered = {-style->gap, 0, -style->gap, t->rows * (double)style->scale};
    for (int i = 0; i < t->rows; i++) {
        char buffer[32];
        box b = scene_add_text(s, tensor_label(t, true, i, buffer, sizeof buffer),
                               style->label_px, 0, -style->gap, (i + 0.5) * style->scale, 1,
                               0.5, RGB_TEXT);
        covered = box_union(covered, b);
    }
    return covered;
}

void heatmap_panel_matrix(heatmap_panel *panel, text_font *font, const al_trace_tensor *t,
                          const colour_scale *scale, const heatmap_style *style,
                          const heatmap_options *options)
{
    *panel = (heatmap_panel){.plot_width = t->cols * style->scale,
                             .plot_height = t->rows * style->scale};
    scene *s = &panel->drawing;
    scene_init(s, font);
    scene_add_cells(s, t, scale, style->scale, 0, 0);
    panel->body_right = panel->plot_width;
    for (long e = 0; e < (long)t->rows * t->cols; e++) {
        panel->has_masked |= isnan(t->data[e]) != 0;
    }
    if (options->bare) {
        return;
    }
    add_frame(s, panel->plot_width, panel->plot_height);
    if (style->annotate) {
        add_values(s, t, scale, style);
    }
    box rows = add_row_labels(s, t, style);
    box columns = add_slot_labels(s, style, column_label, t, t->cols, 0, true);

    const char *row_axis, *col_axis;
    axis_names(&row_axis, &col_axis, t, options);
    double middle_x = panel->plot_width / 2.0, middle_y = panel->plot_height / 2.0;
    /* The row axis name reads upwards, its descent side towards the labels. */
    if (row_axis[0]) {
        scene_add_text(s, row_axis, style->axis_px, 90, rows.x0 - style->gap, middle_y, 0.5, 1,
                       RGB_SOFT_TEXT);
    }
    /* The column axis name and the title wait for the figure, which
     * stands them at one height across a row of panels
     * (heatmap_figure.c), however tall each panel's column labels are. */
    double axis_half = text_measure(s->font, col_axis, style->axis_px).advance / 2;
    panel->body_right = fmax(scene_bounds(s).x1, middle_x + axis_half);
    panel->col_axis = col_axis;
    panel->header_y = columns.y0;
    panel->title_x = middle_x;
    panel->title_y = columns.y0 - style->gap / 2.0;
}

void heatmap_panel_free(heatmap_panel *panel)
{
    scene_free(&panel->drawing);
}
