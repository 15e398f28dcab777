/* heatmap_lines.c: --lines, rows of traced tensors as one line chart: a
 * training loss against steps, a variance against d on log-log axes. Each
 * row is a series with its own colour and its own dash pattern (and marker
 * shape, when it has few points), so the chart reads in grayscale print
 * too; null entries are skipped and the line joins their neighbours. Axes
 * carry ticks at 1, 2 or 5 times a power of ten (linear) or at decades
 * (log10), light grid lines and names; a legend stands where no line
 * passes.
 * It checks the data before anything is laid out; it is not a general
 * plotting library (one plot, one x shared by every series). */
#include "heatmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 12      /* more lines than this cannot be told apart */
#define MAX_TICKS 64
#define FEW_POINTS 30      /* series with at most this many points get markers */
#define MARGIN_SHARE 0.04  /* the share of the data's span left free at each end */
#define NAME_SIZE 128

/* Okabe and Ito's colours, distinct for most colour-blind readers. */
static const rgb series_colours[] = {
    {0x00, 0x72, 0xb2}, {0xd5, 0x5e, 0x00}, {0x00, 0x9e, 0x73}, {0xcc, 0x79, 0xa7},
    {0xe6, 0x9f, 0x00}, {0x56, 0xb4, 0xe9}, {0x1a, 0x1a, 0x1a},
};
static const rgb series_grays[] = {
    {0x1a, 0x1a, 0x1a}, {0x6e, 0x6e, 0x6e}, {0x40, 0x40, 0x40}, {0x8c, 0x8c, 0x8c},
};
/* Dash patterns in line widths: solid, dashed, dotted, dash-dot, long dashes. */
static const double dash_patterns[][4] = {{0}, {4, 2}, {1, 1.6}, {5, 1.8, 1, 1.8}, {8, 3}};
static const int dash_lengths[] = {0, 2, 2, 4, 2};
#define N_DASHES 5

static const rgb RGB_GRID = {0xeb, 0xeb, 0xeb};
static const rgb RGB_LEGEND_FRAME = {0xbd, 0xbd, 0xbd};

/* One line of the chart: row `row` of `tensor`, drawn at y[j] against x[j]. */
typedef struct series {
    const al_trace_tensor *tensor;
    int row;
    char name[NAME_SIZE];  /* its legend entry */
    int n_points;          /* entries that are not null */
} series;

/* An axis maps a value (its log10 on a log axis) from [low, high] onto
 * [0, length] pixels; a vertical axis puts low at the bottom. */
typedef struct axis {
    bool log, vertical;
    double low, high;      /* after log10 on a log axis */
    double length;
} axis;

/* Sizes in pixels, from --dpi: the chart prints at its stated size; for
 * --print-width the plot grows or shrinks (options->cell_zoom), and only
 * a plot too small to read zooms the text with it (options->zoom). */
typedef struct lines_style {
    int plot_width, plot_height;
    double title_px, axis_px, tick_px, legend_px;
    double line_width, marker_size;
    int tick_length, minor_length, gap;
} lines_style;

static lines_style lines_style_for(const heatmap_options *options)
{
    double dpi = options->dpi * options->zoom, point = dpi / 72.0;
    double plot_dpi = dpi * options->cell_zoom;
    lines_style style = {
        .plot_width = (int)lround(4.0 * plot_dpi),   /* 4 by 2.6 inches */
        .plot_height = (int)lround(2.6 * plot_dpi),
        .title_px = 10 * point, .axis_px = 8 * point, .tick_px = 7 * point,
        .legend_px = 7 * point,
        .line_width = 1.25 * point, .marker_size = 4.5 * point,
        .tick_length = (int)lround(3 * point), .minor_length = (int)lround(1.75 * point),
    };
    style.gap = (int)lround(fmax(2, 0.35 * 8 * point));
    return style;
}

/* ---- the axis mapping ----------------------------------------------------------- */

/* Pixels from the plot's left (or top) edge for a value. */
static double axis_position(const axis *a, double value)
{
    double t = a->log ? log10(value) : value;
    double share = (t - a->low) / (a->high - a->low);
    return a->vertical ? a->length - share * a->length : share * a->length;
}

/* The axis over the data's [low, high] (not yet logged), widened by
 * MARGIN_SHARE of the span at each end (one span of 1 around a single
 * value, half a decade on a log axis); fixed is --range, used as given. */
static axis axis_over(double low, double high, bool log, bool vertical, double length,
                      bool fixed)
{
    axis a = {.log = log, .vertical = vertical, .length = length,
              .low = log ? log10(low) : low, .high = log ? log10(high) : high};
    if (fixed) {
        return a;
    }
    if (a.high - a.low == 0) {
        double half = log ? 0.5 : a.low != 0 ? 0.1 * fabs(a.low) : 0.5;
        a.low -= half;
        a.high += half;
    }
    double margin = MARGIN_SHARE * (a.high - a.low);
    a.low -= margin;
    a.high += margin;
    return a;
}

/* ---- ticks ----------------------------------------------------------------------- */

typedef struct tick {
    double value;
    bool labelled;         /* a major tick with its number; minor ticks have none */
    char label[32];
} tick;

/* 10 to the power k written as a reader expects: 1, 10, ..., 10000 and
 * 0.1, 0.01, 0.001; beyond, 10 with a superscript exponent (10⁵, 10⁻⁴). */
static void decade_label(char *text, size_t size, int k)
{
    if (k >= 0 && k <= 4) {
        snprintf(text, size, "%.0f", pow(10, k));
        return;
    }
    if (k < 0 && k >= -3) {
        snprintf(text, size, "%.*f", -k, pow(10, k));
        return;
    }
    static const char *const digits[] = {"\xe2\x81\xb0", "\xc2\xb9", "\xc2\xb2", "\xc2\xb3",
                                         "\xe2\x81\xb4", "\xe2\x81\xb5", "\xe2\x81\xb6",
                                         "\xe2\x81\xb7", "\xe2\x81\xb8", "\xe2\x81\xb9"};
    char exponent[16];
    snprintf(exponent, sizeof exponent, "%d", k);
    size_t used = (size_t)snprintf(text, size, "10");
    for (const char *c = exponent; *c && used < size; c++) {
        const char *glyph = *c == '-' ? "\xe2\x81\xbb" : digits[*c - '0'];
        used += (size_t)snprintf(text + used, size - used, "%s", glyph);
    }
}

/* Ticks of a linear axis, every one labelled: multiples of the largest
 * step of 1, 2 or 5 times a power of ten that puts at least four inside
 * the axis. (The colour bars' nice_ticks also allows 2.5, right for
 * [0, 1] but odd for steps and positions, which are whole numbers.) */
static int linear_ticks(tick *ticks, const axis *a)
{
    double span = a->high - a->low;
    double power = pow(10, floor(log10(span)));
    static const double factors[] = {5, 2, 1, 0.5, 0.2, 0.1};
    double step = factors[5] * power;
    for (int k = 0; k < 6; k++) {
        double candidate = factors[k] * power;
        if (floor(a->high / candidate + 1e-9) - ceil(a->low / candidate - 1e-9) + 1 >= 4) {
            step = candidate;
            break;
        }
    }
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    int n = 0;
    for (double k = ceil(a->low / step - 1e-9); k * step <= a->high + 1e-9 * span &&
                                                 n < MAX_TICKS; k++) {
        double value = fabs(k * step) < 1e-12 * span ? 0 : k * step;  /* no "-0" */
        ticks[n] = (tick){.value = value, .labelled = true};
        snprintf(ticks[n].label, sizeof ticks[n].label, "%.*f", decimals, value);
        n++;
    }
    return n;
}

/* Ticks of a log axis: every decade inside it, labelled, with unlabelled
 * ticks at 2 ... 9 times each decade when the axis spans at most eight
 * decades. An axis holding fewer than two decades labels 1, 2 and 5
 * times each power of ten instead, so there is always a scale to read. */
static int log_ticks(tick *ticks, const axis *a)
{
    int first = (int)floor(a->low), last = (int)ceil(a->high);
    int decades_inside = (int)floor(a->high + 1e-9) - (int)ceil(a->low - 1e-9) + 1;
    bool minor = a->high - a->low <= 8;
    int n = 0;
    for (int k = first; k <= last && n < MAX_TICKS; k++) {
        for (int m = 1; m <= 9 && n < MAX_TICKS; m++) {
            double t = log10(m) + k;
            bool labelled = m == 1 || (decades_inside < 2 && (m == 2 || m == 5));
            if (t < a->low - 1e-9 || t > a->high + 1e-9 || (!labelled && !minor)) {
                continue;
            }
            ticks[n] = (tick){.value = m * pow(10, k), .labelled = labelled};
            if (m == 1) {
                decade_label(ticks[n].label, sizeof ticks[n].label, k);
            } else if (labelled) {
                snprintf(ticks[n].label, sizeof ticks[n].label, "%.*f", k < 0 ? -k : 0,
                         m * pow(10, k));
            }
            n++;
        }
    }
    return n;
}

static int axis_ticks(tick *ticks, const axis *a)
{
    return a->log ? log_ticks(ticks, a) : linear_ticks(ticks, a);
}

/* ---- checking the data and naming the series -------------------------------------- */

/* "'loss.train'" or "row 2 (cat) of 'q'", for messages. */
static const char *series_words(char *text, size_t size, const series *s)
{
    char label[32];
    if (s->tensor->rows == 1) {
        snprintf(text, size, "'%s'", s->tensor->name);
    } else {
        snprintf(text, size, "row %d (%s) of '%s'", s->row,
                 tensor_label(s->tensor, true, s->row, label, sizeof label), s->tensor->name);
    }
    return text;
}

/* The x tensor: 1 x n, no null, strictly increasing, above 0 on a log axis. */
static al_status check_x(const al_trace_tensor *x, const heatmap_options *o, al_error *err)
{
    if (x->rows != 1) {
        return al_fail(err, AL_ERR_ARG, "--x '%s' must be 1 x n, and it is %d x %d", x->name,
                       x->rows, x->cols);
    }
    for (int j = 0; j < x->cols; j++) {
        float value = al_trace_tensor_at(x, 0, j);
        if (isnan(value)) {
            return al_fail(err, AL_ERR_ARG, "--x '%s' has null at position %d; every x needs "
                           "a value", x->name, j);
        }
        if (j > 0 && !(value > al_trace_tensor_at(x, 0, j - 1))) {
            return al_fail(err, AL_ERR_ARG, "--x '%s' is not strictly increasing: %.9g at "
                           "position %d follows %.9g", x->name, value, j,
                           al_trace_tensor_at(x, 0, j - 1));
        }
        if (o->log_x && !(value > 0)) {
            return al_fail(err, AL_ERR_ARG, "--log-x needs x above 0, and '%s' has %.9g at "
                           "position %d", x->name, value, j);
        }
    }
    return AL_OK;
}

/* One series: a value somewhere, all values above 0 on a log axis. */
static al_status check_series(series *s, const heatmap_options *o, al_error *err)
{
    char words[NAME_SIZE + 64];
    s->n_points = 0;
    for (int j = 0; j < s->tensor->cols; j++) {
        float value = al_trace_tensor_at(s->tensor, s->row, j);
        if (isnan(value)) {
            continue;
        }
        if (o->log_y && !(value > 0)) {
            return al_fail(err, AL_ERR_ARG, "--log-y needs values above 0, and %s has %.9g "
                           "at position %d", series_words(words, sizeof words, s), value, j);
        }
        s->n_points++;
    }
    if (s->n_points == 0) {
        return al_fail(err, AL_ERR_ARG, "%s has no value to draw (every entry is null)",
                       series_words(words, sizeof words, s));
    }
    return AL_OK;
}

/* Legend names from --legend: exactly one name per series. */
static al_status names_from_legend(series *all, int n, const char *legend, al_error *err)
{
    int given = 1;
    for (const char *c = legend; *c; c++) {
        given += *c == ',';
    }
    if (given != n) {
        return al_fail(err, AL_ERR_ARG, "--legend names %d series, and %d are drawn", given, n);
    }
    const char *part = legend;
    for (int k = 0; k < n; k++) {
        size_t length = strcspn(part, ",");
        snprintf(all[k].name, NAME_SIZE, "%.*s", (int)length, part);
        part += length + (part[length] == ',');
    }
    return AL_OK;
}

/* Legend names from the tensors: the part of the names that tells them
 * apart (as panel titles do), then the row label for a matrix's rows. */
static void names_from_tensors(series *all, int n, const al_trace_tensor *const *tensors,
                               int n_tensors)
{
    size_t prefix = 0, suffix = 0;
    if (n_tensors > 1) {
        shared_name_parts(&prefix, &suffix, tensors, n_tensors);
    }
    for (int k = 0; k < n; k++) {
        const al_trace_tensor *t = all[k].tensor;
        int length = (int)(strlen(t->name) - prefix - suffix);
        char label[32];
        if (t->rows == 1) {
            snprintf(all[k].name, NAME_SIZE, "%.*s", length, t->name + prefix);
        } else if (n_tensors == 1) {
            snprintf(all[k].name, NAME_SIZE, "%s", tensor_label(t, true, all[k].row, label,
                                                                sizeof label));
        } else {
            snprintf(all[k].name, NAME_SIZE, "%.*s %s", length, t->name + prefix,
                     tensor_label(t, true, all[k].row, label, sizeof label));
        }
    }
}

/* Every row of every tensor but x as a series, checked and named. */
static al_status collect_series(series *all, int *n_series, const al_trace_tensor *const *tensors,
                                int n, const al_trace_tensor *x, const heatmap_options *o,
                                al_error *err)
{
    *n_series = 0;
    const al_trace_tensor *drawn[MAX_SERIES];
    int n_drawn = 0;
    for (int k = 0; k < n; k++) {
        const al_trace_tensor *t = tensors[k];
        if (t == x) {
            continue;  /* a glob may pick up the x tensor too: it is not a line */
        }
        if (*n_series + t->rows > MAX_SERIES) {
            return al_fail(err, AL_ERR_ARG, "more than %d series selected; a line chart of "
                           "more cannot be read", MAX_SERIES);
        }
        drawn[n_drawn++] = t;
        /* Every series as long as --x, or as the first series. */
        int cols = x ? x->cols : *n_series > 0 ? all[0].tensor->cols : t->cols;
        if (t->cols != cols) {
            return al_fail(err, AL_ERR_ARG, "'%s' has %d values a row, and %s '%s' has %d; every "
                           "series needs one value per x", t->name, t->cols,
                           x ? "--x" : "series", x ? x->name : all[0].tensor->name, cols);
        }
        for (int row = 0; row < t->rows; row++) {
            series *s = &all[(*n_series)++];
            *s = (series){.tensor = t, .row = row};
            al_status status = check_series(s, o, err);
            if (status != AL_OK) {
                return status;
            }
        }
    }
    if (*n_series == 0) {
        return al_fail(err, AL_ERR_ARG, "nothing to draw: the selection holds only --x '%s'",
                       x->name);
    }
    if (o->legend) {
        return names_from_legend(all, *n_series, o->legend, err);
    }
    names_from_tensors(all, *n_series, drawn, n_drawn);
    return AL_OK;
}

/* ---- layout --------------------------------------------------------------------- */

/* The x value of entry j: from the --x tensor, or j + 1. */
static double x_value(const al_trace_tensor *x, int j)
{
    return x ? al_trace_tensor_at(x, 0, j) : j + 1;
}

static rgb series_colour(int k, bool gray)
{
    return gray ? series_grays[k % 4] : series_colours[k % 7];
}

/* The part of the segment from (x0, y0) to (x1, y1) inside box b, as the
 * parameters *t0 <= *t1 (0 the start, 1 the end) along it; false when no
 * part is inside. Liang and Barsky's clipping: the segment is cut by each
 * of the box's four half-planes in turn. */
static bool clip_segment(double *t0, double *t1, double x0, double y0, double x1, double y1,
                         box b)
{
    double dx = x1 - x0, dy = y1 - y0;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {x0 - b.x0, b.x1 - x0, y0 - b.y0, b.y1 - y0};
    *t0 = 0;
    *t1 = 1;
    for (int k = 0; k < 4; k++) {
        if (p[k] == 0) {
            if (q[k] < 0) {
                return false;
            }
            continue;
        }
        double t = q[k] / p[k];
        if (p[k] < 0) {
            *t0 = fmax(*t0, t);
        } else {
            *t1 = fmin(*t1, t);
        }
        if (*t0 > *t1) {
            return false;
        }
    }
    return true;
}

static bool segment_meets_box(double x0, double y0, double x1, double y1, box b)
{
    double t0, t1;
    return clip_segment(&t0, &t1, x0, y0, x1, y1, b);
}

/* The points of series s in plot pixels, into xy (2 per point); returns how many. */
static int series_points(double *xy, const series *s, const al_trace_tensor *x,
                         const axis *x_axis, const axis *y_axis)
{
    int n = 0;
    for (int j = 0; j < s->tensor->cols; j++) {
        float value = al_trace_tensor_at(s->tensor, s->row, j);
        if (!isnan(value)) {
            xy[2 * n] = axis_position(x_axis, x_value(x, j));
            xy[2 * n + 1] = axis_position(y_axis, value);
            n++;
        }
    }
    return n;
}

/* The line of series k through n points, in its colour and dash pattern. */
static void add_series_line(scene *s, const double *xy, int n, int k, const lines_style *style,
                            bool gray)
{
    double dash[4];
    int pattern = k % N_DASHES;
    for (int d = 0; d < dash_lengths[pattern]; d++) {
        dash[d] = dash_patterns[pattern][d] * style->line_width;
    }
    if (n > 1) {
        scene_add_line(s, xy, n, style->line_width, dash, dash_lengths[pattern],
                       series_colour(k, gray));
    }
}

/* Point t of the segment from point j of xy to point j + 1, into at; the
 * ends exactly, so that an unclipped line keeps its points' every bit. */
static void point_along(double *at, const double *xy, int j, double t)
{
    for (int c = 0; c < 2; c++) {
        double from = xy[2 * j + c], to = xy[2 * j + 2 + c];
        at[c] = t == 0 ? from : t == 1 ? to : from + t * (to - from);
    }
}

/* Draw series k: the parts of its line inside the plot (a fixed --range
 * may leave points outside), and markers at the points inside when it
 * has few points. piece has room for n + 2 points. */
static void add_series(scene *s, double *piece, const double *xy, int n, int k,
                       const lines_style *style, bool gray)
{
    box plot = {0, 0, style->plot_width, style->plot_height};
    int m = 0;  /* points in the piece being built */
    for (int j = 0; j + 1 < n; j++) {
        double t0, t1;
        if (!clip_segment(&t0, &t1, xy[2 * j], xy[2 * j + 1], xy[2 * j + 2], xy[2 * j + 3],
                          plot)) {
            add_series_line(s, piece, m, k, style, gray);
            m = 0;
            continue;
        }
        if (m == 0 || t0 > 0) {  /* the line comes back into the plot */
            add_series_line(s, piece, m, k, style, gray);
            point_along(piece, xy, j, t0);
            m = 1;
        }
        point_along(piece + 2 * m, xy, j, t1);
        /* A segment that only touches an edge gives one point twice. */
        bool repeated = piece[2 * m] == piece[2 * m - 2] && piece[2 * m + 1] == piece[2 * m - 1];
        m += !repeated;
        if (t1 < 1) {  /* and leaves it */
            add_series_line(s, piece, m, k, style, gray);
            m = 0;
        }
    }
    add_series_line(s, piece, m, k, style, gray);
    if (n <= FEW_POINTS) {
        for (int j = 0; j < n; j++) {
            double x = xy[2 * j], y = xy[2 * j + 1];
            if (x >= plot.x0 && x <= plot.x1 && y >= plot.y0 && y <= plot.y1) {
                scene_add_marker(s, (marker_shape)(k % MARKER_SHAPES), x, y,
                                 style->marker_size, series_colour(k, gray));
            }
        }
    }
}

/* The grid lines, the frame one pixel outside the plot, and the ticks
 * with their numbers. Returns the box of all the numbers of each axis. */
static void add_axes(box *x_numbers, box *y_numbers, scene *s, const axis *x_axis,
                     const axis *y_axis, const lines_style *style)
{
    tick ticks[MAX_TICKS];
    int w = style->plot_width, h = style->plot_height;
    *x_numbers = (box){0, h + 1, w, h + 1 + style->tick_length};
    *y_numbers = (box){-1 - style->tick_length, 0, -1, h};
    for (int vertical = 0; vertical < 2; vertical++) {
        const axis *a = vertical ? y_axis : x_axis;
        int n = axis_ticks(ticks, a);
        for (int k = 0; k < n; k++) {
            /* A tick on the plot's far edge (--range) takes its last pixel. */
            double position = axis_position(a, ticks[k].value);
            int end = vertical ? h : w;
            int p = (int)floor(position);
            if (position < -1e-6 || position > end + 1e-6) {
                continue;
            }
            p = p < 0 ? 0 : p >= end ? end - 1 : p;
            int length = ticks[k].labelled ? style->tick_length : style->minor_length;
            if (ticks[k].labelled && vertical) {
                scene_add_rect(s, 0, p, w, 1, RGB_GRID);
            } else if (ticks[k].labelled) {
                scene_add_rect(s, p, 0, 1, h, RGB_GRID);
            }
            if (vertical) {
                scene_add_rect(s, -1 - length, p, length, 1, RGB_AXIS);
            } else {
                scene_add_rect(s, p, h + 1, 1, length, RGB_AXIS);
            }
            if (!ticks[k].labelled) {
                continue;
            }
            double gap = style->gap / 2.0;
            if (vertical) {
                *y_numbers = box_union(*y_numbers,
                                       scene_add_text(s, ticks[k].label, style->tick_px, 0,
                                                      -1 - style->tick_length - gap, p + 0.5, 1,
                                                      0.5, RGB_TEXT));
            } else {
                *x_numbers = box_union(*x_numbers,
                                       scene_add_text(s, ticks[k].label, style->tick_px, 0,
                                                      p + 0.5, h + 1 + style->tick_length + gap,
                                                      0.5, 0, RGB_TEXT));
            }
        }
    }
    scene_add_rect(s, -1, -1, w + 2, 1, RGB_AXIS);
    scene_add_rect(s, -1, h, w + 2, 1, RGB_AXIS);
    scene_add_rect(s, -1, 0, 1, h, RGB_AXIS);
    scene_add_rect(s, w, 0, 1, h, RGB_AXIS);
}

/* The legend's size: a sample of each line (with its marker) and its name
 * in rows, inside a padded box. */
typedef struct legend_layout {
    double width, height, row_height, sample_length, padding;
} legend_layout;

static legend_layout legend_size(text_font *font, const series *all, int n,
                                 const lines_style *style)
{
    legend_layout l = {.row_height = 1.5 * style->legend_px,
                       .sample_length = 2.6 * style->legend_px, .padding = style->gap};
    double widest = 0;
    for (int k = 0; k < n; k++) {
        widest = fmax(widest, text_measure(font, all[k].name, style->legend_px).advance);
    }
    l.width = 2 * l.padding + l.sample_length + style->gap + widest;
    l.height = 2 * l.padding + n * l.row_height;
    return l;
}

/* Where the legend goes: the first corner of the plot (upper right, upper
 * left, lower right, lower left) where no line or marker passes under it;
 * when every corner is taken, beside the plot on the right. */
static box legend_place(const legend_layout *l, double *const *points, const int *n_points,
                        int n, const lines_style *style)
{
    double inset = style->gap, w = style->plot_width, h = style->plot_height;
    double clearance = style->marker_size;  /* lines and markers keep this far off */
    const double corners[4][2] = {{w - inset - l->width, inset}, {inset, inset},
                                  {w - inset - l->width, h - inset - l->height},
                                  {inset, h - inset - l->height}};
    for (int c = 0; c < 4; c++) {
        box b = {corners[c][0], corners[c][1], corners[c][0] + l->width,
                 corners[c][1] + l->height};
        if (b.x0 < 0 || b.y0 < 0) {
            break;  /* the legend is larger than the plot */
        }
        box wide = {b.x0 - clearance, b.y0 - clearance, b.x1 + clearance, b.y1 + clearance};
        bool clear = true;
        for (int k = 0; k < n && clear; k++) {
            const double *xy = points[k];
            for (int j = 0; j < n_points[k] && clear; j++) {
                int next = j + 1 < n_points[k] ? j + 1 : j;
                clear = !segment_meets_box(xy[2 * j], xy[2 * j + 1], xy[2 * next],
                                           xy[2 * next + 1], wide);
            }
        }
        if (clear) {
            return b;
        }
    }
    double x = w + 2 * style->gap;
    return (box){x, 0, x + l->width, l->height};
}

static void add_legend(scene *s, const legend_layout *l, box at, const series *all, int n,
                       const lines_style *style, bool gray)
{
    int x0 = (int)floor(at.x0), y0 = (int)floor(at.y0);
    int width = (int)ceil(l->width), height = (int)ceil(l->height);
    scene_add_rect(s, x0, y0, width, height, RGB_WHITE);
    scene_add_rect(s, x0 - 1, y0 - 1, width + 2, 1, RGB_LEGEND_FRAME);
    scene_add_rect(s, x0 - 1, y0 + height, width + 2, 1, RGB_LEGEND_FRAME);
    scene_add_rect(s, x0 - 1, y0, 1, height, RGB_LEGEND_FRAME);
    scene_add_rect(s, x0 + width, y0, 1, height, RGB_LEGEND_FRAME);
    for (int k = 0; k < n; k++) {
        double y = y0 + l->padding + (k + 0.5) * l->row_height;
        double x = x0 + l->padding;
        const double sample[4] = {x, y, x + l->sample_length, y};
        double middle[2] = {x + l->sample_length / 2, y};
        add_series_line(s, sample, 2, k, style, gray);
        if (all[k].n_points <= FEW_POINTS) {
            scene_add_marker(s, (marker_shape)(k % MARKER_SHAPES), middle[0], middle[1],
                             style->marker_size, series_colour(k, gray));
        }
        scene_add_text(s, all[k].name, style->legend_px, 0, x + l->sample_length + style->gap,
                       y, 0, 0.5, RGB_TEXT);
    }
}

/* The title: --title, the one tensor's name, or what the names share
 * ("loss.*"); NULL for none. Written into text. */
static const char *chart_title(char *text, size_t size, const al_trace_tensor *const *t, int n,
                               const al_trace_tensor *x, const heatmap_options *o)
{
    if (o->title) {
        return o->title;
    }
    const al_trace_tensor *drawn[MAX_SERIES];
    int n_drawn = 0;
    for (int k = 0; k < n && n_drawn < MAX_SERIES; k++) {
        if (t[k] != x) {
            drawn[n_drawn++] = t[k];
        }
    }
    if (n_drawn == 1) {
        return drawn[0]->name;
    }
    size_t prefix, suffix;
    shared_name_parts(&prefix, &suffix, drawn, n_drawn);
    if (prefix + suffix == 0) {
        return NULL;
    }
    const char *name = drawn[0]->name;
    snprintf(text, size, "%.*s*%s", (int)prefix, name, name + strlen(name) - suffix);
    return text;
}

/* The data's range of x and of y (over every value that is not null). */
static void data_bounds(double *x_low, double *x_high, double *y_low, double *y_high,
                        const series *all, int n, const al_trace_tensor *x)
{
    int cols = all[0].tensor->cols;
    *x_low = x_value(x, 0);
    *x_high = x_value(x, cols - 1);
    *y_low = INFINITY;
    *y_high = -INFINITY;
    for (int k = 0; k < n; k++) {
        for (int j = 0; j < cols; j++) {
            float value = al_trace_tensor_at(all[k].tensor, all[k].row, j);
            if (!isnan(value)) {
                *y_low = fmin(*y_low, value);
                *y_high = fmax(*y_high, value);
            }
        }
    }
}

/* Lay out the chart with the plot's top-left corner at (0, 0). */
static al_status compose(scene *s, const series *all, int n, const al_trace_tensor *x,
                         const char *title, const heatmap_options *o, al_error *err)
{
    lines_style style = lines_style_for(o);
    double x_low, x_high, y_low, y_high;
    data_bounds(&x_low, &x_high, &y_low, &y_high, all, n, x);
    if (o->has_range) {
        y_low = o->range_low;
        y_high = o->range_high;
    }
    axis x_axis = axis_over(x_low, x_high, o->log_x, false, style.plot_width, false);
    axis y_axis = axis_over(y_low, y_high, o->log_y, true, style.plot_height, o->has_range);

    box x_numbers, y_numbers;
    add_axes(&x_numbers, &y_numbers, s, &x_axis, &y_axis, &style);

    double *points[MAX_SERIES] = {0};
    int n_points[MAX_SERIES] = {0};
    int cols = all[0].tensor->cols;  /* every series' */
    double *piece = malloc((size_t)2 * (cols + 2) * sizeof *piece);
    al_status status = piece ? AL_OK : al_fail(err, AL_ERR_NOMEM, "out of memory");
    for (int k = 0; k < n && status == AL_OK; k++) {
        points[k] = malloc((size_t)2 * cols * sizeof *points[k]);
        if (!points[k]) {
            status = al_fail(err, AL_ERR_NOMEM, "out of memory");
            break;
        }
        n_points[k] = series_points(points[k], &all[k], x, &x_axis, &y_axis);
        add_series(s, piece, points[k], n_points[k], k, &style, o->gray);
    }
    free(piece);
    if (status == AL_OK && n > 1) {
        legend_layout l = legend_size(s->font, all, n, &style);
        add_legend(s, &l, legend_place(&l, points, n_points, n, &style), all, n, &style,
                   o->gray);
    }
    for (int k = 0; k < n; k++) {
        free(points[k]);
    }

    const char *x_name = o->row_axis ? o->row_axis : x ? x->name : "position";
    const char *y_name = o->col_axis ? o->col_axis : "value";
    scene_add_text(s, x_name, style.axis_px, 0, style.plot_width / 2.0,
                   x_numbers.y1 + style.gap, 0.5, 0, RGB_SOFT_TEXT);
    scene_add_text(s, y_name, style.axis_px, 90, y_numbers.x0 - style.gap,
                   style.plot_height / 2.0, 0.5, 1, RGB_SOFT_TEXT);
    if (title) {
        scene_add_text(s, title, style.title_px, 0, style.plot_width / 2.0,
                       -1 - 2.0 * style.gap, 0.5, 1, RGB_TEXT);
    }
    return status;
}

al_status heatmap_lines_figure(scene *figure, int *width, int *height, text_font *font,
                               const al_trace_tensor *const *tensors, int n,
                               const al_trace_file *trace, const heatmap_options *options,
                               al_error *err)
{
    scene_init(figure, font);
    *width = *height = 0;
    const al_trace_tensor *x = NULL;
    if (options->x_name) {
        x = al_trace_file_find(trace, options->x_name);
        if (!x) {
            return al_fail(err, AL_ERR_ARG, "--x '%s': %s has no tensor of that name",
                           options->x_name, options->trace_path);
        }
        al_status status = check_x(x, options, err);
        if (status != AL_OK) {
            return status;
        }
    }
    if (options->has_range && options->log_y && !(options->range_low > 0)) {
        return al_fail(err, AL_ERR_ARG, "--range %.9g,%.9g with --log-y: a log axis needs "
                       "LOW above 0", options->range_low, options->range_high);
    }
    series all[MAX_SERIES];
    int n_series;
    al_status status = collect_series(all, &n_series, tensors, n, x, options, err);
    if (status == AL_OK) {
        /* After collect_series: at least one tensor besides x is drawn. */
        char title_text[NAME_SIZE + 8];
        const char *title = chart_title(title_text, sizeof title_text, tensors, n, x, options);
        status = compose(figure, all, n_series, x, title, options, err);
    }
    status = status == AL_OK ? scene_status(figure, err) : status;
    if (status != AL_OK) {
        scene_free(figure);
        return status;
    }
    int margin = 2 * lines_style_for(options).gap;
    box b = scene_bounds(figure);
    double dx = margin - floor(b.x0), dy = margin - floor(b.y0);
    scene_translate(figure, dx, dy);
    *width = (int)ceil(b.x1 + dx) + margin;
    *height = (int)ceil(b.y1 + dy) + margin;
    return AL_OK;
}
