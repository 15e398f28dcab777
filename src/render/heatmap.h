/* heatmap.h: what the files of attnlab-heatmap share (internal):
 *   heatmap_main.c    options, reading the trace, writing PNG and SVG
 *   heatmap_style.c   text sizes and gaps from --dpi and --scale; labels
 *                     along an edge, placed from their measured size
 *   heatmap_panel.c   one matrix: cells, labels, axis names
 *   heatmap_bars.c    one row as a labelled bar chart
 *   heatmap_figure.c  panels in a grid, their titles, the shared colour bar,
 *                     the legend
 *   heatmap_lines.c   --lines: rows of tensors as a line chart with axes,
 *                     ticks (linear or log10) and a legend
 * Every position is in pixels, y growing downwards. A panel is laid out
 * with its plot area's top-left corner at (0, 0); the figure then moves
 * panels into place by whole pixels. */
#ifndef ATTNLAB_RENDER_HEATMAP_H
#define ATTNLAB_RENDER_HEATMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "attnlab/trace_file.h"
#include "colormap.h"
#include "scene.h"

/* --mark-value V[:LABEL]: a line across a bar chart at V. */
#define MAX_VALUE_MARKS 8
typedef struct value_mark {
    double value;
    char label[64];       /* LABEL, or V as typed */
} value_mark;

typedef struct heatmap_options {
    const char *trace_path;
    const char *out_path;          /* the PNG; the SVG goes beside it */
    const char **selects;          /* --select patterns */
    int n_selects;
    const char *title;             /* --title, or NULL */
    const char **panel_titles;     /* --panel-title, one per panel drawn */
    int n_panel_titles;
    const char *row_axis, *col_axis;  /* --axes, or NULL for automatic; with
                                         --lines the x and y axis names */
    bool svg, gray, annotate, bars, bare;
    bool lines, log_x, log_y;      /* --lines, --log-x, --log-y */
    const char *x_name;            /* --x: the tensor of x values, or NULL */
    const char *legend;            /* --legend "a,b,...", or NULL */
    int row;                       /* --row for --bars, or -1 */
    value_mark value_marks[MAX_VALUE_MARKS];  /* --mark-value, in order given */
    int n_value_marks;
    const char **mark_columns;     /* --mark-column: labels of bars to mark */
    int n_mark_columns;
    const char *mark_legend;       /* --mark-legend: what marked bars are */
    int top;                       /* --top for --bars: the N largest, or 0 for all */
    int columns;                   /* --columns, or 0 for automatic */
    int scale;                     /* pixels per cell */
    int dpi;
    double print_width_in;         /* --print-width in inches, or 0 */
    double cell_zoom;              /* cells (a line chart's plot) alone, and */
    double zoom;                   /* cells and text together: both 1 unless
                                      --print-width asks for a width */
    int label_angle;               /* 90 or 45: how long column labels turn */
    bool has_range;                /* --range low,high */
    float range_low, range_high;
} heatmap_options;

/* Sizes, all in pixels, worked out once from --scale and --dpi. */
typedef struct heatmap_style {
    int scale;                     /* cell side */
    double label_px;               /* token labels */
    double title_px;               /* figure and panel titles */
    double axis_px;                /* axis names */
    double tick_px;                /* colour bar and bar chart numbers */
    double value_px;               /* numbers written inside cells or on bars */
    int gap;                       /* between a label block and what it labels */
    int margin;                    /* around the whole figure */
    int label_angle;
    bool annotate;
} heatmap_style;

/* One laid-out panel: its scene with the plot area at (0, 0). The column
 * axis name and the title are added last by the figure, so that across a
 * figure row every axis name stands at one height, above the tallest
 * column labels of the row, and every title likewise above the highest
 * of them. */
typedef struct heatmap_panel {
    scene drawing;
    int plot_width, plot_height;   /* the cells (or the bar chart's plot area) */
    double body_right;             /* right edge of all but the title */
    bool has_masked;               /* draw the "masked" legend */
    const char *col_axis;          /* a heatmap's column axis name to stand
                                      above header_y ("" none; NULL for bars) */
    double header_y;               /* the top of the column labels */
    double title_x;                /* the title's centre */
    double title_y;                /* the lowest the title's bottom may stand:
                                      clear of everything above the plot */
} heatmap_panel;

/* ---- heatmap_style.c ------------------------------------------------------ */

/* Sizes for the figure, measuring with font where a size must fit a cell. */
heatmap_style heatmap_style_for(const heatmap_options *options, text_font *font);

/* The label of row or column index of t ("0", "1", ... when the trace has
 * none), written into buffer of size bytes, which is returned. */
const char *tensor_label(const al_trace_tensor *t, bool row, int index, char *buffer, int size);

/* Labels for n slots of width style->scale along a horizontal edge at
 * y = edge_y, the first slot starting at x = 0: above the edge (above true)
 * or below it. Horizontal when every label fits its slot, otherwise turned
 * by style->label_angle and moved off the edge until no label comes within
 * style->gap of it. labels(context, j, buffer, size) gives label j.
 * Returns the box the labels cover (empty, at the edge, when n is 0). */
typedef const char *slot_label_fn(const void *context, int j, char *buffer, int size);
box add_slot_labels(scene *s, const heatmap_style *style, slot_label_fn *labels,
                    const void *context, int n, double edge_y, bool above);

/* Nice tick values (1, 2, 2.5 or 5 times a power of ten apart) inside
 * [low, high], about five of them; returns how many (at most max_ticks),
 * and the decimals needed to print them in *decimals. */
int nice_ticks(double *ticks, int max_ticks, int *decimals, double low, double high);

/* Every second (third, ...) of the n ticks from nice_ticks, so that ticks
 * spread evenly over length pixels stand at least spacing apart: a short
 * colour bar beside a one-row heatmap reads 0, 0.5, 1 rather than five
 * crowded numbers. The tick at 0 stays when there is one. Returns how many
 * are left (at the front of ticks) and updates *decimals for their step. */
int thin_ticks(double *ticks, int n, int *decimals, double length, double spacing);

/* The axis names for t: --axes if given; for attention matrices
 * "queries"/"keys" ("target"/"source" for cross-attention and s2s.*
 * names); "d_in"/"d_out" for parameters; otherwise "tokens" where there
 * are labels, "dimensions" or "rows" where there are none, and "" (no
 * name) for the one row of a vector. */
void axis_names(const char **row_axis, const char **col_axis, const al_trace_tensor *t,
                const heatmap_options *options);

/* ---- heatmap_panel.c / heatmap_bars.c -------------------------------------- */

/* Lay out t as a heatmap panel, all but its title. */
void heatmap_panel_matrix(heatmap_panel *panel, text_font *font, const al_trace_tensor *t,
                          const colour_scale *scale, const heatmap_style *style,
                          const heatmap_options *options);

/* Lay out row `row` of t as a bar chart panel, all but its title, with
 * the --mark-value lines and the --mark-column bars. */
void heatmap_panel_bars(heatmap_panel *panel, text_font *font, const al_trace_tensor *t, int row,
                        const heatmap_style *style, const heatmap_options *options);

void heatmap_panel_free(heatmap_panel *panel);

/* The column of t whose label is label, or -1. */
int column_with_label(const al_trace_tensor *t, const char *label);

/* ---- heatmap_figure.c ------------------------------------------------------ */

/* Lengths of the longest prefix and suffix, each ending (or starting) at a
 * dot, that every one of the n names shares, provided every name keeps
 * something in the middle; otherwise both 0 ("loss.train", "loss.validation":
 * prefix 5, suffix 0, so the parts that tell them apart are "train" and
 * "validation"). */
void shared_name_parts(size_t *prefix, size_t *suffix, const al_trace_tensor *const *t, int n);

/* The whole figure for the selected tensors: panels in a grid, a shared
 * colour bar (for matrices), a "masked" legend when any cell is masked,
 * a figure title above several panels. On success *figure holds the
 * scene, moved so that it starts at (margin, margin), and *width, *height
 * the picture's size; the caller frees it with scene_free. */
al_status heatmap_figure(scene *figure, int *width, int *height, text_font *font,
                         const al_trace_tensor *const *tensors, int n,
                         const heatmap_options *options, al_error *err);

/* ---- heatmap_lines.c ------------------------------------------------------- */

/* The line chart (--lines) of the selected tensors: every row a series
 * against x (the tensor options->x_name of trace, or 1 .. n). Checks the
 * data first and refuses (AL_ERR_ARG, naming the tensor) series of
 * different lengths, a series with no value, an x that does not increase,
 * and a value <= 0 on a log axis. On success *figure holds the scene from
 * (margin, margin) and *width, *height the picture's size; the caller frees
 * it with scene_free. */
al_status heatmap_lines_figure(scene *figure, int *width, int *height, text_font *font,
                               const al_trace_tensor *const *tensors, int n,
                               const al_trace_file *trace, const heatmap_options *options,
                               al_error *err);

#endif
