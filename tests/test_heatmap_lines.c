/* test_heatmap_lines.c: attnlab-heatmap --lines (src/render/heatmap_lines.c)
 * on small traces written by the tests themselves. Each test runs the
 * program, finds the plot in the PNG by its frame (decoded with libpng, not
 * with the renderer's code) and recomputes where a value must land from
 * the axis rule stated in heatmap_lines.c: a linear axis spans the data
 * widened by 4% of its span at each end (log10 of the data on a log axis),
 * --range fixes the y axis as given, and the plot area is 4 by 2.6 inches
 * at --dpi. The SVG's polyline points are checked against the same rule;
 * the legend's place, gray print, repeatability and every refusal follow.
 *
 * Arguments (from tests/meson.build): the attnlab-heatmap program. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "run_program.h"
#include "test_heatmap_png.h"

#define PATH_SIZE 4096
#define MAX_POINTS 64
/* The SVG writes coordinates with two decimals: half a hundredth, and a
 * little for the float32 data. */
#define SVG_TOLERANCE 0.0051
#define MARGIN_SHARE 0.04

static const colour frame = {0x80, 0x80, 0x80};
static const colour white = {0xff, 0xff, 0xff};
static const colour first_series = {0x00, 0x72, 0xb2};  /* Okabe-Ito blue */

typedef struct lines_test {
    const char *program;
    char folder[SCRATCH_FOLDER_SIZE];
} lines_test;

static int make_folder(void **state)
{
    lines_test *t = *state;
    return make_scratch_folder(t->folder, "heatmap_lines") ? 0 : -1;
}

static int remove_scratch(void **state)
{
    lines_test *t = *state;
    remove_folder(t->folder);
    return 0;
}

static const char *scratch_file(char path[PATH_SIZE], const lines_test *t, const char *name)
{
    snprintf(path, PATH_SIZE, "%s/%s", t->folder, name);
    return path;
}

/* A trace (traces/FORMAT.md) of 1 x n tensors: pairs of name and data row
 * ("[0, 1, null]"), ending with NULL, written to name in the scratch folder. */
static const char *write_trace(char path[PATH_SIZE], const lines_test *t, const char *name, ...)
{
    FILE *f = fopen(scratch_file(path, t, name), "w");
    assert_non_null(f);
    fputs("{\"format\": \"attnlab-trace\", \"version\": 1, \"program\": \"test\", \"args\": [], "
          "\"seed\": 0, \"library\": \"attnlab 0.1.0\", \"level\": \"tensors\", "
          "\"filter\": \"*\"}\n", f);
    va_list args;
    va_start(args, name);
    int records = 0;
    for (const char *tensor; (tensor = va_arg(args, const char *)) != NULL; records++) {
        const char *row = va_arg(args, const char *);
        int cols = 1;
        for (const char *c = row; *c; c++) {
            cols += *c == ',';
        }
        fprintf(f, "{\"kind\": \"tensor\", \"name\": \"%s\", \"role\": \"output\", \"op\": "
                "\"given\", \"inputs\": [], \"shape\": [1, %d], \"rows\": null, \"cols\": null, "
                "\"dtype\": \"float32\", \"data\": [%s]}\n", tensor, cols, row);
    }
    va_end(args);
    fprintf(f, "{\"kind\": \"end\", \"records\": %d}\n", records);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* The eleven points y = x, x = 0 .. 10, and a copy with a null at x = 5. */
#define ZERO_TO_TEN "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
#define WITH_A_NULL "[0, 1, 2, 3, 4, null, 6, 7, 8, 9, 10]"

/* Run attnlab-heatmap with the arguments (NULL-terminated), expect success. */
static void run_ok(const lines_test *t, const char *const *args)
{
    const char *argv[32] = {t->program};
    int n = 1;
    for (; args[n - 1]; n++) {
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    run_result r;
    assert_int_equal(run_program(&r, argv, NULL), 0);
    if (r.exit_code != 0) {
        fail_msg("attnlab-heatmap exited %d: %s", r.exit_code, r.err);
    }
    run_result_free(&r);
}

/* The plot area: the frame is a line of `frame` colour one pixel outside
 * it on every side; its top edge is the first long run of that colour. */
typedef struct plot_area {
    int left, top, width, height;
} plot_area;

static plot_area find_plot(const png_picture *p)
{
    for (int row = 0; row < p->height; row++) {
        int run = 0, start = 0;
        for (int column = 0; column <= p->width; column++) {
            bool on = column < p->width && colour_equal(png_pixel(p, column, row), frame);
            if (on && run++ == 0) {
                start = column;
            }
            if (!on && run >= 100) {
                plot_area a = {start + 1, row + 1, run - 2, 0};
                int down = 0;
                while (row + down < p->height &&
                       colour_equal(png_pixel(p, start, row + down), frame)) {
                    down++;
                }
                a.height = down - 2;
                return a;
            }
            run = on ? run : 0;
        }
    }
    fail_msg("no frame found around the plot");
    return (plot_area){0};
}

/* The axis rule of heatmap_lines.c: pixels from the plot's left edge for
 * x on an axis over the data [low, high], widened by MARGIN_SHARE. */
static double x_pixel(double x, double low, double high, int width)
{
    double margin = MARGIN_SHARE * (high - low);
    return (x - (low - margin)) / (high - low + 2 * margin) * width;
}

/* The points of the first <polyline> of an SVG, as (x, y) pairs; returns
 * how many. */
static int polyline_points(double *xy, const char *svg)
{
    const char *at = strstr(svg, "<polyline points=\"");
    assert_non_null(at);
    at += strlen("<polyline points=\"");
    int n = 0;
    while (*at != '"' && n < MAX_POINTS) {
        char *end;
        xy[2 * n] = strtod(at, &end);
        assert_true(*end == ',');
        xy[2 * n + 1] = strtod(end + 1, &end);
        n++;
        at = end + (*end == ' ');
    }
    return n;
}

/* A whole file as a string, or NULL. */
static char *read_text(const char *path)
{
    size_t length;
    return read_whole_file(path, &length);
}

static void assert_near(double actual, double expected, double tolerance, const char *what)
{
    if (!(fabs(actual - expected) <= tolerance)) {
        fail_msg("%s is %.9g, expected %.9g (difference %.9g, tolerance %.9g)", what, actual,
                 expected, fabs(actual - expected), tolerance);
    }
}

/* ---- where the line goes --------------------------------------------------------- */

static void the_line_y_equals_x_is_where_the_axes_put_it(void **state)
{
    lines_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    write_trace(trace, t, "line.jsonl", "t.x", ZERO_TO_TEN, "t.y", ZERO_TO_TEN, NULL);
    const char *args[] = {trace, "--lines", "--select", "t.y", "--x", "t.x", "--range", "-5,15",
                          "-o", scratch_file(out, t, "line.png"), NULL};
    run_ok(t, args);
    png_picture p;
    assert_true(png_picture_read(&p, out));
    plot_area a = find_plot(&p);
    /* 4 by 2.6 inches at 150 dpi. */
    assert_int_equal(a.width, 600);
    assert_int_equal(a.height, 390);
    /* Two interior points of y = x: x from [0, 10] widened by 4%, y on
     * --range [-5, 15] exactly, high values at the top (a range that keeps
     * the line off the frame, which find_plot follows). */
    const double points[] = {3, 7};
    for (int k = 0; k < 2; k++) {
        double x = a.left + x_pixel(points[k], 0, 10, a.width);
        double y = a.top + a.height - (points[k] + 5) / 20 * a.height;
        colour c = png_pixel(&p, (int)floor(x), (int)floor(y));
        if (!colour_equal(c, first_series)) {
            fail_msg("the point (%g, %g) at pixel (%.9g, %.9g) is #%02x%02x%02x, not the line's "
                     "#0072b2", points[k], points[k], x, y, c.r, c.g, c.b);
        }
    }
    /* Where no line is: (3, 7) and (7, 3), away from the grid lines at
     * multiples of 2 (x) and 5 (y). */
    double x = a.left + x_pixel(3, 0, 10, a.width), y = a.top + a.height - 12 / 20.0 * a.height;
    assert_true(colour_equal(png_pixel(&p, (int)floor(x), (int)floor(y)), white));
    x = a.left + x_pixel(7, 0, 10, a.width);
    y = a.top + a.height - 8 / 20.0 * a.height;
    assert_true(colour_equal(png_pixel(&p, (int)floor(x), (int)floor(y)), white));
    png_picture_free(&p);
}

static void the_svg_polyline_holds_the_computed_coordinates(void **state)
{
    lines_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE], svg_path[PATH_SIZE];
    write_trace(trace, t, "line.jsonl", "t.x", ZERO_TO_TEN, "t.y", ZERO_TO_TEN, NULL);
    const char *args[] = {trace, "--lines", "--select", "t.y", "--x", "t.x", "--range", "-5,15",
                          "--svg", "-o", scratch_file(out, t, "line.png"), NULL};
    run_ok(t, args);
    png_picture p;
    assert_true(png_picture_read(&p, out));
    plot_area a = find_plot(&p);
    png_picture_free(&p);
    char *svg = read_text(scratch_file(svg_path, t, "line.svg"));
    assert_non_null(svg);
    double xy[2 * MAX_POINTS];
    assert_int_equal(polyline_points(xy, svg), 11);
    for (int j = 0; j <= 10; j++) {
        char what[64];
        snprintf(what, sizeof what, "x of point %d", j);
        assert_near(xy[2 * j], a.left + x_pixel(j, 0, 10, a.width), SVG_TOLERANCE, what);
        snprintf(what, sizeof what, "y of point %d", j);
        assert_near(xy[2 * j + 1], a.top + a.height - (j + 5) / 20.0 * a.height, SVG_TOLERANCE,
                    what);
    }
    /* Real text: ticks at multiples of 2 (x) and 5 (y), the default axis
     * names. */
    assert_non_null(strstr(svg, ">8</text>"));
    assert_non_null(strstr(svg, ">-5</text>"));
    assert_non_null(strstr(svg, ">t.x</text>"));
    assert_non_null(strstr(svg, ">value</text>"));
    free(svg);
}

static void a_fixed_range_cuts_the_line_at_the_plot_edges(void **state)
{
    lines_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE], svg_path[PATH_SIZE];
    write_trace(trace, t, "cut.jsonl", "t.x", ZERO_TO_TEN, "t.y", ZERO_TO_TEN, NULL);
    const char *args[] = {trace, "--lines", "--select", "t.y", "--x", "t.x", "--range", "2,8",
                          "--svg", "-o", scratch_file(out, t, "cut.png"), NULL};
    run_ok(t, args);
    png_picture p;
    assert_true(png_picture_read(&p, out));
    /* The line crosses the top frame near its right end, so the run found
     * there is short: the plot is 600 pixels wide at 150 dpi (as the first
     * test checks), its corner and left side are whole. */
    plot_area a = find_plot(&p);
    a.width = 600;
    png_picture_free(&p);
    char *svg = read_text(scratch_file(svg_path, t, "cut.svg"));
    assert_non_null(svg);
    double xy[2 * MAX_POINTS];
    /* y = 2 ... 8 is inside: the points x = 3 ... 7 and where the line
     * meets the bottom (y = 2) and the top (y = 8) edge. */
    assert_int_equal(polyline_points(xy, svg), 7);
    assert_near(xy[0], a.left + x_pixel(2, 0, 10, a.width), SVG_TOLERANCE, "x entering");
    assert_near(xy[1], a.top + a.height, SVG_TOLERANCE, "y entering");
    assert_near(xy[12], a.left + x_pixel(8, 0, 10, a.width), SVG_TOLERANCE, "x leaving");
    assert_near(xy[13], a.top, SVG_TOLERANCE, "y leaving");
    /* Markers only at the points inside: x = 2 ... 8. */
    int markers = 0;
    for (const char *c = svg; (c = strstr(c, "<circle")) != NULL; c++) {
        markers++;
    }
    assert_int_equal(markers, 7);
    free(svg);
}

static void a_null_is_skipped_and_its_neighbours_joined(void **state)
{
    lines_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE], svg_path[PATH_SIZE];
    write_trace(trace, t, "null.jsonl", "t.x", ZERO_TO_TEN, "t.y", WITH_A_NULL, NULL);
    const char *args[] = {trace, "--lines", "--select", "t.y", "--x", "t.x", "--svg", "-o",
                          scratch_file(out, t, "null.png"), NULL};
    run_ok(t, args);
    char *svg = read_text(scratch_file(svg_path, t, "null.svg"));
    assert_non_null(svg);
    double xy[2 * MAX_POINTS];
    assert_int_equal(polyline_points(xy, svg), 10);
    /* Point 4 is x = 4 and point 5 is x = 6: one segment over the gap,
     * twice as long in x as its neighbours (each of the four coordinates
     * rounded to two decimals). */
    double step = xy[2 * 4] - xy[2 * 3];
    assert_near(xy[2 * 5] - xy[2 * 4], 2 * step, 6 * SVG_TOLERANCE, "the gap over x = 5");
    assert_near(xy[2 * 5 + 1] - xy[2 * 4 + 1], 2 * (xy[2 * 4 + 1] - xy[2 * 3 + 1]),
                6 * SVG_TOLERANCE, "the rise over x = 5");
    free(svg);
}

static void log_axes_have_decades_and_equal_ratios_equally_spaced(void **state)
{
    lines_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE], svg_path[PATH_SIZE];
    const char *d = "[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]";
    write_trace(trace, t, "log.jsonl", "v.d", d, "v.expected", d, NULL);
    const char *args[] = {trace, "--lines", "--select", "v.expected", "--x", "v.d", "--log-x",
                          "--log-y", "--svg", "-o", scratch_file(out, t, "log.png"), NULL};
    run_ok(t, args);
    char *svg = read_text(scratch_file(svg_path, t, "log.svg"));
    assert_non_null(svg);
    const char *decades[] = {">1</text>", ">10</text>", ">100</text>", ">1000</text>"};
    for (int k = 0; k < 4; k++) {
        if (!strstr(svg, decades[k])) {
            fail_msg("no decade label %s in the SVG", decades[k]);
        }
    }
    double xy[2 * MAX_POINTS];
    assert_int_equal(polyline_points(xy, svg), 11);
    /* d = 2, 4, 8 are points 1, 2, 3: 2 to 4 as far apart as 4 to 8, on
     * both axes; and 1 to 1024 is ten such steps. */
    assert_near(xy[2 * 2] - xy[2 * 1], xy[2 * 3] - xy[2 * 2], 2 * SVG_TOLERANCE, "x of 4 - 2");
    assert_near(xy[2 * 2 + 1] - xy[2 * 1 + 1], xy[2 * 3 + 1] - xy[2 * 2 + 1], 2 * SVG_TOLERANCE,
                "y of 4 - 2");
    assert_near(xy[2 * 10] - xy[0], 10 * (xy[2 * 2] - xy[2 * 1]), 20 * SVG_TOLERANCE,
                "x of 1024 - 1");
    assert_true(xy[2 * 2 + 1] < xy[2 * 1 + 1]);  /* larger values higher up */
    free(svg);
}

static void two_series_differ_in_colour_and_dashes_and_gray_has_only_grays(void **state)
{
    lines_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE], svg_path[PATH_SIZE];
    write_trace(trace, t, "two.jsonl", "loss.train", ZERO_TO_TEN, "loss.validation",
                "[10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]", NULL);
    const char *args[] = {trace, "--lines", "--select", "loss.*", "--gray", "--svg", "-o",
                          scratch_file(out, t, "two.png"), NULL};
    run_ok(t, args);
    char *svg = read_text(scratch_file(svg_path, t, "two.svg"));
    assert_non_null(svg);
    /* The legend names what tells the names apart; the first line is
     * solid, the second dashed. */
    assert_non_null(strstr(svg, ">train</text>"));
    assert_non_null(strstr(svg, ">validation</text>"));
    const char *first = strstr(svg, "<polyline"), *second = strstr(first + 1, "<polyline");
    assert_non_null(second);
    const char *end_of_first = strchr(first, '\n');
    assert_true(strstr(first, "stroke-dasharray") == NULL ||
                strstr(first, "stroke-dasharray") > end_of_first);
    assert_non_null(strstr(second, "stroke-dasharray"));
    assert_true(strstr(second, "stroke-dasharray") < strchr(second, '\n'));
    free(svg);
    png_picture p;
    assert_true(png_picture_read(&p, out));
    for (int y = 0; y < p.height; y++) {
        for (int x = 0; x < p.width; x++) {
            colour c = png_pixel(&p, x, y);
            if (c.r != c.g || c.g != c.b) {
                fail_msg("pixel (%d, %d) is #%02x%02x%02x, not a gray", x, y, c.r, c.g, c.b);
            }
        }
    }
    png_picture_free(&p);
}

/* The pen position of the <text> element holding exactly `content`. */
static void text_position(double *x, double *y, const char *svg, const char *content)
{
    char closing[128];
    snprintf(closing, sizeof closing, ">%s</text>", content);
    const char *end = strstr(svg, closing);
    assert_non_null(end);
    const char *start = end;
    while (start > svg && strncmp(start, "<text x=\"", 9) != 0) {
        start--;
    }
    assert_int_equal(sscanf(start, "<text x=\"%lf\" y=\"%lf\"", x, y), 2);
}

static void the_legend_takes_a_free_corner_or_stands_beside(void **state)
{
    lines_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE], svg_path[PATH_SIZE];
    /* Falling lines leave the upper right free. */
    write_trace(trace, t, "fall.jsonl", "loss.train", "[10, 5, 3, 2, 1.5, 1.2, 1.1, 1]",
                "loss.validation", "[11, 6, 4, 3, 2.5, 2.2, 2.1, 2]", NULL);
    const char *falling[] = {trace, "--lines", "--select", "loss.*", "--svg", "-o",
                             scratch_file(out, t, "fall.png"), NULL};
    run_ok(t, falling);
    png_picture p;
    assert_true(png_picture_read(&p, out));
    plot_area a = find_plot(&p);
    png_picture_free(&p);
    char *svg = read_text(scratch_file(svg_path, t, "fall.svg"));
    assert_non_null(svg);
    double x, y;
    text_position(&x, &y, svg, "validation");
    if (!(x > a.left + a.width / 2.0 && x < a.left + a.width && y < a.top + a.height / 2.0)) {
        fail_msg("the legend's 'validation' at (%.9g, %.9g) is not in the upper right of the "
                 "plot (%d, %d, %d x %d)", x, y, a.left, a.top, a.width, a.height);
    }
    free(svg);
    /* Crossing lines take every corner: the legend stands right of the plot. */
    write_trace(trace, t, "cross.jsonl", "loss.train", ZERO_TO_TEN, "loss.validation",
                "[10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]", NULL);
    const char *crossing[] = {trace, "--lines", "--select", "loss.*", "--svg", "-o",
                              scratch_file(out, t, "cross.png"), NULL};
    run_ok(t, crossing);
    assert_true(png_picture_read(&p, out));
    a = find_plot(&p);
    png_picture_free(&p);
    svg = read_text(scratch_file(svg_path, t, "cross.svg"));
    assert_non_null(svg);
    text_position(&x, &y, svg, "train");
    if (!(x > a.left + a.width)) {
        fail_msg("the legend's 'train' at x = %.9g is not right of the plot (right edge %d)", x,
                 a.left + a.width);
    }
    free(svg);
}

static void the_same_command_gives_the_same_bytes(void **state)
{
    lines_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE], svg_path[PATH_SIZE];
    write_trace(trace, t, "same.jsonl", "loss.step", ZERO_TO_TEN, "loss.train", ZERO_TO_TEN,
                "loss.validation", WITH_A_NULL, NULL);
    char *bytes[2][2];
    size_t length[2][2];
    for (int k = 0; k < 2; k++) {
        const char *args[] = {trace, "--lines", "--select", "loss.*", "--x", "loss.step",
                              "--svg", "-o", scratch_file(out, t, k ? "b.png" : "a.png"), NULL};
        run_ok(t, args);
        bytes[k][0] = read_whole_file(out, &length[k][0]);
        bytes[k][1] = read_whole_file(scratch_file(svg_path, t, k ? "b.svg" : "a.svg"),
                                      &length[k][1]);
        assert_non_null(bytes[k][0]);
        assert_non_null(bytes[k][1]);
    }
    for (int f = 0; f < 2; f++) {
        assert_int_equal(length[0][f], length[1][f]);
        assert_memory_equal(bytes[0][f], bytes[1][f], length[0][f]);
        free(bytes[0][f]);
        free(bytes[1][f]);
    }
}

/* ---- refusals ---------------------------------------------------------------------- */

/* Run with args (NULL-terminated; the output is added) and expect exit 2,
 * one line naming the program and mentioning `about`, and no output file
 * (the folder holds only the traces, `traces` of them). */
static void assert_refused(const lines_test *t, int traces, const char *about,
                           const char *const *args)
{
    char out[PATH_SIZE];
    const char *argv[32] = {t->program};
    int n = 1;
    for (; args[n - 1]; n++) {
        argv[n] = args[n - 1];
    }
    argv[n++] = "--svg";
    argv[n++] = "-o";
    argv[n++] = scratch_file(out, t, "never.png");
    argv[n] = NULL;
    run_result r;
    assert_int_equal(run_program(&r, argv, NULL), 0);
    assert_int_equal(r.exit_code, 2);
    if (strncmp(r.err, "attnlab-heatmap: ", 17) != 0 || !strstr(r.err, about) ||
        strchr(r.err, '\n') != r.err + r.err_length - 1) {
        fail_msg("expected one line 'attnlab-heatmap: ...' mentioning \"%s\", got: %s", about,
                 r.err);
    }
    assert_int_equal(count_entries(t->folder), traces);
    run_result_free(&r);
}

static void bad_series_and_bad_x_are_refused(void **state)
{
    lines_test *t = *state;
    char trace[PATH_SIZE];
    write_trace(trace, t, "bad.jsonl", "t.x", ZERO_TO_TEN, "t.y", ZERO_TO_TEN, "t.short",
                "[1, 2, 3, 4, 5]", "t.empty", "[null, null, null]", "t.down",
                "[0, 1, 2, 3, 4, 4, 6, 7, 8, 9, 10]", "t.minus",
                "[-1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", NULL);
    const char *lengths[] = {trace, "--lines", "--select", "t.y", "--select", "t.short", NULL};
    assert_refused(t, 1, "'t.short' has 5 values", lengths);
    const char *x_length[] = {trace, "--lines", "--select", "t.short", "--x", "t.x", NULL};
    assert_refused(t, 1, "--x 't.x' has 11", x_length);
    const char *empty[] = {trace, "--lines", "--select", "t.empty", NULL};
    assert_refused(t, 1, "'t.empty' has no value to draw", empty);
    const char *flat_x[] = {trace, "--lines", "--select", "t.y", "--x", "t.down", NULL};
    assert_refused(t, 1, "--x 't.down' is not strictly increasing", flat_x);
    const char *log_y[] = {trace, "--lines", "--select", "t.minus", "--log-y", NULL};
    assert_refused(t, 1, "'t.minus' has -1 at position 0", log_y);
    const char *log_x[] = {trace, "--lines", "--select", "t.y", "--x", "t.x", "--log-x", NULL};
    assert_refused(t, 1, "'t.x' has 0 at position 0", log_x);
    const char *log_zero_y[] = {trace, "--lines", "--select", "t.y", "--log-y", NULL};
    assert_refused(t, 1, "'t.y' has 0 at position 0", log_zero_y);
    const char *only_x[] = {trace, "--lines", "--select", "t.x", "--x", "t.x", NULL};
    assert_refused(t, 1, "nothing to draw", only_x);
    const char *legend[] = {trace, "--lines", "--select", "t.y", "--legend", "a,b", NULL};
    assert_refused(t, 1, "--legend names 2 series, and 1 are drawn", legend);
}

static void lines_with_bars_annotate_or_bare_is_refused(void **state)
{
    lines_test *t = *state;
    char trace[PATH_SIZE];
    write_trace(trace, t, "ok.jsonl", "t.y", ZERO_TO_TEN, NULL);
    const char *kinds[] = {"--bars", "--annotate", "--bare"};
    for (int k = 0; k < 3; k++) {
        const char *args[] = {trace, "--lines", "--select", "t.y", kinds[k], NULL};
        assert_refused(t, 1, kinds[k], args);
    }
    const char *without_lines[] = {trace, "--select", "t.y", "--log-x", NULL};
    assert_refused(t, 1, "--log-x belongs to line charts", without_lines);
}

#define TEST(f) cmocka_unit_test_prestate_setup_teardown(f, make_folder, remove_scratch, &t)

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s ATTNLAB_HEATMAP_PROGRAM\n", argv[0]);
        return 2;
    }
    lines_test t = {.program = argv[1]};
    const struct CMUnitTest tests[] = {
        TEST(the_line_y_equals_x_is_where_the_axes_put_it),
        TEST(the_svg_polyline_holds_the_computed_coordinates),
        TEST(a_fixed_range_cuts_the_line_at_the_plot_edges),
        TEST(a_null_is_skipped_and_its_neighbours_joined),
        TEST(log_axes_have_decades_and_equal_ratios_equally_spaced),
        TEST(two_series_differ_in_colour_and_dashes_and_gray_has_only_grays),
        TEST(the_legend_takes_a_free_corner_or_stands_beside),
        TEST(the_same_command_gives_the_same_bytes),
        TEST(bad_series_and_bad_x_are_refused),
        TEST(lines_with_bars_annotate_or_bare_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
