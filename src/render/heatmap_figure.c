/* heatmap_figure.c: the whole figure. Panels go in a grid with their cell
 * areas lined up by column and by row; a colour bar shared by all panels
 * stands to the right, with ticks and numbers, and under it a "masked"
 * legend when any cell is masked. With several panels, each is titled by
 * what tells its tensor apart (h0, h1, ...) and the figure by the rest
 * ("enc.0.attn.*.weights"). It does not write files. */
#include "heatmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TICKS 16
#define MAX_PANELS 256

/* ---- names ------------------------------------------------------------------ */

void shared_name_parts(size_t *prefix, size_t *suffix, const al_trace_tensor *const *t, int n)
{
    *prefix = *suffix = 0;
    size_t shortest = strlen(t[0]->name), p = shortest, q = shortest;
    for (int k = 1; k < n; k++) {
        const char *a = t[0]->name, *b = t[k]->name;
        size_t la = strlen(a), lb = strlen(b), i = 0, j = 0;
        while (i < p && i < lb && a[i] == b[i]) {
            i++;
        }
        while (j < q && j < la && j < lb && a[la - 1 - j] == b[lb - 1 - j]) {
            j++;
        }
        p = i;
        q = j;
        shortest = lb < shortest ? lb : shortest;
    }
    const char *a = t[0]->name;
    size_t la = strlen(a);
    while (p > 0 && a[p - 1] != '.') {   /* back to just after a dot */
        p--;
    }
    while (q > 0 && a[la - q] != '.') {  /* back to start at a dot */
        q--;
    }
    if (p + q < shortest) {
        *prefix = p;
        *suffix = q;
    }
}

/* Titles for the panels (panel_titles[k], each malloc'ed) and for the
 * figure (*figure_title, malloc'ed, or NULL for a single panel or when
 * the names share nothing and there is no --title). --panel-title gives
 * the panels' titles in words, as typed (the trace names then appear
 * nowhere in the panels: a book prints the words); without it each
 * panel is titled by what tells its tensor's name apart. */
static al_status make_titles(char **panel_titles, char **figure_title,
                             const al_trace_tensor *const *t, int n,
                             const heatmap_options *options, al_error *err)
{
    *figure_title = NULL;
    size_t prefix = 0, suffix = 0;
    if (n > 1) {
        shared_name_parts(&prefix, &suffix, t, n);
    }
    for (int k = 0; k < n; k++) {
        const char *name = t[k]->name;
        size_t length = strlen(name) - prefix - suffix;
        char row_part[64] = "";
        if (options->bars && t[k]->rows > 1) {
            char buffer[32];
            snprintf(row_part, sizeof row_part, ", row %d (%s)", options->row,
                     tensor_label(t[k], true, options->row, buffer, sizeof buffer));
        }
        const char *whole = options->n_panel_titles > 0 ? options->panel_titles[k]
                            : (n == 1 && options->title) ? options->title : NULL;
        if (options->n_panel_titles > 0) {
            row_part[0] = '\0';  /* the words given say which row it is */
        }
        size_t size = (whole ? strlen(whole) : length) + strlen(row_part) + 1;
        panel_titles[k] = malloc(size);
        if (!panel_titles[k]) {
            return al_fail(err, AL_ERR_NOMEM, "out of memory");
        }
        if (whole) {
            snprintf(panel_titles[k], size, "%s%s", whole, row_part);
        } else {
            snprintf(panel_titles[k], size, "%.*s%s", (int)length, name + prefix, row_part);
        }
    }
    bool own_panel_title = n == 1 && options->n_panel_titles > 0;
    if ((n > 1 && (options->title || prefix + suffix > 0)) || (own_panel_title && options->title)) {
        const char *name = t[0]->name;
        size_t size = options->title ? strlen(options->title) + 1 : prefix + suffix + 2;
        *figure_title = malloc(size);
        if (!*figure_title) {
            return al_fail(err, AL_ERR_NOMEM, "out of memory");
        }
        if (options->title) {
            snprintf(*figure_title, size, "%s", options->title);
        } else {
            snprintf(*figure_title, size, "%.*s*%s", (int)prefix, name,
                     name + strlen(name) - suffix);
        }
    }
    return AL_OK;
}

/* ---- the colour bar ----------------------------------------------------------- */

/* A vertical bar of the scale's colours, top at (x, y), with tick marks
 * and numbers on its right; returns the bottom of what it drew. */
static double add_colour_bar(scene *s, const colour_scale *scale, const heatmap_style *style,
                             int x, int y, int width, int height)
{
    /* One row of pixels per step of colour, the top row the high end. */
    for (int row = 0; row < height; row++) {
        double t = 1 - (row + 0.5) / height;
        scene_add_rect(s, x, y + row, width, 1, colour_map_at(scale->map, t));
    }
    scene_add_rect(s, x - 1, y - 1, width + 2, 1, RGB_AXIS);
    scene_add_rect(s, x - 1, y + height, width + 2, 1, RGB_AXIS);
    scene_add_rect(s, x - 1, y, 1, height, RGB_AXIS);
    scene_add_rect(s, x + width, y, 1, height, RGB_AXIS);

    double ticks[MAX_TICKS];
    int decimals;
    int n = nice_ticks(ticks, MAX_TICKS, &decimals, scale->low, scale->high);
    n = thin_ticks(ticks, n, &decimals, height, 1.5 * style->tick_px);
    double bottom = y + height;
    for (int k = 0; k < n; k++) {
        double fraction = (ticks[k] - scale->low) / ((double)scale->high - scale->low);
        int tick_y = (int)lround(y + height - fraction * height);
        tick_y = tick_y >= y + height ? y + height - 1 : tick_y;
        scene_add_rect(s, x + width, tick_y, 5, 1, RGB_AXIS);
        char text[32];
        snprintf(text, sizeof text, "%.*f", decimals, ticks[k]);
        box b = scene_add_text(s, text, style->tick_px, 0, x + width + 5 + style->gap / 2.0,
                               tick_y + 0.5, 0, 0.5, RGB_TEXT);
        bottom = fmax(bottom, b.y1);
    }
    return bottom;
}

/* The legend entry: a hatched square and the word "masked". */
static void add_masked_legend(scene *s, const heatmap_style *style, int x, int y, int side)
{
    scene_add_masked(s, x, y, side, side);
    scene_add_rect(s, x - 1, y - 1, side + 2, 1, RGB_AXIS);
    scene_add_rect(s, x - 1, y + side, side + 2, 1, RGB_AXIS);
    scene_add_rect(s, x - 1, y, 1, side, RGB_AXIS);
    scene_add_rect(s, x + side, y, 1, side, RGB_AXIS);
    scene_add_text(s, "masked", style->tick_px, 0, x + side + style->gap, y + side / 2.0, 0, 0.5,
                   RGB_TEXT);
}

/* ---- the grid of panels ------------------------------------------------------- */

/* Columns: --columns, or up to four panels a row with the rows as even as
 * they can be (6 panels: 3 + 3; 8: 4 + 4; 5: 3 + 2). */
static int grid_columns(int n, int requested)
{
    if (requested > 0) {
        return requested < n ? requested : n;
    }
    int rows = (n + 3) / 4;
    return (n + rows - 1) / rows;
}

/* Place every panel: each figure column as wide as its widest panel on
 * both sides of the cells, each figure row likewise, so cell areas line
 * up. Writes each panel's plot origin to origin_x, origin_y. */
static void arrange(int *origin_x, int *origin_y, const heatmap_panel *panels, int n, int columns,
                    int spacing)
{
    int rows = (n + columns - 1) / columns;
    double left[MAX_PANELS] = {0}, right[MAX_PANELS] = {0};
    double above[MAX_PANELS] = {0}, below[MAX_PANELS] = {0};
    for (int k = 0; k < n; k++) {
        box b = scene_bounds(&panels[k].drawing);
        int c = k % columns, r = k / columns;
        left[c] = fmax(left[c], -b.x0);
        right[c] = fmax(right[c], b.x1);
        above[r] = fmax(above[r], -b.y0);
        below[r] = fmax(below[r], b.y1);
    }
    int column_x[MAX_PANELS], row_y[MAX_PANELS];
    double x = 0, y = 0;
    for (int c = 0; c < columns; c++) {
        column_x[c] = (int)ceil(x + left[c]);
        x = column_x[c] + right[c] + spacing;
    }
    for (int r = 0; r < rows; r++) {
        row_y[r] = (int)ceil(y + above[r]);
        y = row_y[r] + below[r] + spacing;
    }
    for (int k = 0; k < n; k++) {
        origin_x[k] = column_x[k % columns];
        origin_y[k] = row_y[k / columns];
    }
}

static colour_scale scale_for(const al_trace_tensor *const *tensors, int n,
                              const heatmap_options *options)
{
    colour_scale scale;
    colour_scale_for_tensors(&scale, tensors, n, options->gray);
    if (options->has_range) {
        scale.low = options->range_low;
        scale.high = options->range_high;
        scale.map = options->gray ? MAP_GRAY : scale.low < 0 ? MAP_DIVERGING : MAP_VIRIDIS;
    }
    return scale;
}

/* Each heatmap's column axis name and each panel's title, every one of a
 * figure row at one height: the axis names just above the tallest column
 * labels of the row, the titles above the highest axis name (or, for a
 * bar chart, its highest value label). Panels of different shapes or with
 * labels of different lengths (a sentence beside one padded with <pad>)
 * then line up. All panels of a row share their plot's top, so their
 * header_y and title_y compare directly. */
static void add_panel_headers(heatmap_panel *panels, char **titles, int n, int columns,
                              const heatmap_style *style)
{
    for (int first = 0; first < n; first += columns) {
        int end = first + columns < n ? first + columns : n;
        double header_y = 0;
        for (int k = first; k < end; k++) {
            header_y = panels[k].col_axis ? fmin(header_y, panels[k].header_y) : header_y;
        }
        for (int k = first; k < end; k++) {
            heatmap_panel *panel = &panels[k];
            if (!panel->col_axis) {
                continue;
            }
            panel->title_y = header_y - style->gap / 2.0;
            if (panel->col_axis[0]) {
                box axis = scene_add_text(&panel->drawing, panel->col_axis, style->axis_px, 0,
                                          panel->title_x, header_y - style->gap, 0.5, 1,
                                          RGB_SOFT_TEXT);
                panel->title_y = axis.y0 - style->gap / 2.0;
            }
        }
        double row_title_y = panels[first].title_y;
        for (int k = first + 1; k < end; k++) {
            row_title_y = fmin(row_title_y, panels[k].title_y);
        }
        for (int k = first; k < end; k++) {
            scene_add_text(&panels[k].drawing, titles[k], style->title_px, 0, panels[k].title_x,
                           row_title_y, 0.5, 1, RGB_TEXT);
        }
    }
}

/* Lay out each panel, then place them, the colour bar and the titles. */
static void compose(scene *figure, heatmap_panel *panels, const al_trace_tensor *const *tensors,
                    int n, char **titles, const char *figure_title, const heatmap_options *options,
                    const heatmap_style *style, const colour_scale *scale)
{
    bool any_masked = false;
    /* Under a figure title, panel titles (h0, h1, ...) are a size smaller. */
    heatmap_style panel_style = *style;
    if (figure_title) {
        panel_style.title_px = style->axis_px * 9 / 8;
    }
    for (int k = 0; k < n; k++) {
        if (options->bars) {
            int row = options->row >= 0 ? options->row : 0;
            heatmap_panel_bars(&panels[k], figure->font, tensors[k], row, &panel_style, options);
        } else {
            heatmap_panel_matrix(&panels[k], figure->font, tensors[k], scale, &panel_style,
                                 options);
        }
        any_masked |= panels[k].has_masked;
    }
    int columns = grid_columns(n, options->columns);
    if (!options->bare) {
        add_panel_headers(panels, titles, n, columns, &panel_style);
    }
    int origin_x[MAX_PANELS], origin_y[MAX_PANELS];
    int spacing = (int)lround(2.5 * style->label_px);
    arrange(origin_x, origin_y, panels, n, columns, spacing);
    int plots_bottom = 0;
    double bar_left = 0;
    for (int k = 0; k < n; k++) {
        scene_append(figure, &panels[k].drawing, origin_x[k], origin_y[k]);
        int bottom = origin_y[k] + panels[k].plot_height;
        plots_bottom = bottom > plots_bottom ? bottom : plots_bottom;
        /* Titles of the first row stand above the bar's top; any others
         * would cross it, so the bar keeps clear of them. */
        double right = k < columns ? panels[k].body_right : scene_bounds(&panels[k].drawing).x1;
        bar_left = fmax(bar_left, origin_x[k] + right);
    }
    if (options->bare) {
        return;
    }
    box everything = scene_bounds(figure);
    if (figure_title) {
        scene_add_text(figure, figure_title, style->title_px, 0,
                       (everything.x0 + everything.x1) / 2, everything.y0 - style->gap, 0.5, 1,
                       RGB_TEXT);
    }
    if (options->bars) {
        return;
    }
    /* The bar stands right of the panels (a first-row title may reach over
     * it: the bar starts lower, level with the cells) and spans the cells from
     * the first row's top to the last row's bottom. Beside a short panel (a
     * 1 x 4 cross-attention row) it is as short as three tick numbers one
     * and a half lines apart allow (thin_ticks keeps that many), so it does
     * not tower over the cells. */
    int bar_x = (int)ceil(bar_left) + 2 * style->gap;
    int bar_width = (int)lround(fmax(10, 0.35 * style->scale));
    int bar_top = origin_y[0];
    int bar_height = (int)fmax(plots_bottom - bar_top, ceil(2 * 1.5 * style->tick_px));
    double bottom = add_colour_bar(figure, scale, style, bar_x, bar_top, bar_width, bar_height);
    if (any_masked) {
        add_masked_legend(figure, style, bar_x, (int)ceil(bottom) + 2 * style->gap,
                          (int)fmax(bar_width, style->tick_px));
    }
}

al_status heatmap_figure(scene *figure, int *width, int *height, text_font *font,
                         const al_trace_tensor *const *tensors, int n,
                         const heatmap_options *options, al_error *err)
{
    scene_init(figure, font);
    *width = *height = 0;
    if (n > MAX_PANELS) {
        return al_fail(err, AL_ERR_ARG, "%d tensors selected; one figure holds at most %d", n,
                       MAX_PANELS);
    }
    heatmap_style style = heatmap_style_for(options, font);
    colour_scale scale = scale_for(tensors, n, options);
    char *titles[MAX_PANELS] = {0};
    char *figure_title = NULL;
    heatmap_panel panels[MAX_PANELS] = {0};
    al_status status = make_titles(titles, &figure_title, tensors, n, options, err);
    if (status == AL_OK) {
        compose(figure, panels, tensors, n, titles, figure_title, options, &style, &scale);
        for (int k = 0; k < n; k++) {
            status = status == AL_OK ? scene_status(&panels[k].drawing, err) : status;
        }
        status = status == AL_OK ? scene_status(figure, err) : status;
    }
    for (int k = 0; k < n; k++) {
        heatmap_panel_free(&panels[k]);
        free(titles[k]);
    }
    free(figure_title);
    if (status != AL_OK) {
        scene_free(figure);
        return status;
    }
    /* Move the figure so that it starts at the margin; a bare figure (cells
     * only) has none and starts at (0, 0). */
    int margin = options->bare ? 0 : style.margin;
    box b = scene_bounds(figure);
    double dx = margin - floor(b.x0), dy = margin - floor(b.y0);
    scene_translate(figure, dx, dy);
    *width = (int)ceil(b.x1 + dx) + margin;
    *height = (int)ceil(b.y1 + dy) + margin;
    return AL_OK;
}
