/* test_heatmap_book.c: what attnlab-heatmap gives a printed book's figures:
 * panel titles in words (--panel-title), the printed width (--print-width),
 * a bar chart's value axis named by --axes, marks on bar charts
 * (--mark-value, --mark-column), panels of one row lined up, and a colour
 * bar that follows a short panel. Like test_heatmap.c, each test runs the
 * program, decodes its PNG with libpng (not with the renderer's code) or
 * reads its SVG as text, and checks sizes, colours and words; expected
 * sizes are worked out from the rules src/render/README.md states.
 * Traces: tests/data/render_*.jsonl, and small ones written here.
 *
 * Arguments (from tests/meson.build): the attnlab-heatmap program, the
 * tests/data folder. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_program.h"
#include "test_heatmap_png.h"
#include "heatmap_fixture.h"

/* The colours the figures promise (src/render/colormap.h). */
static const colour frame = {0x80, 0x80, 0x80};
static const colour viridis_middle = {0x21, 0x91, 0x8c};  /* the bar colour */
static const colour mark = {0xd5, 0x5e, 0x00};            /* marks: vermillion */

/* Text sizes are points at --dpi (src/render/heatmap_style.c): colour-bar
 * numbers are 7 pt, so at 150 dpi 7 * 150 / 72 pixels. */
#define TICK_PX(dpi) (7.0 * (dpi) / 72.0)

/* The SVG beside out (out ends in .png), read whole; the caller frees it. */
static char *svg_beside(const char *out)
{
    char path[PATH_SIZE];
    snprintf(path, sizeof path, "%.*s.svg", (int)(strlen(out) - 4), out);
    size_t length;
    char *text = read_whole_file(path, &length);
    if (!text) {
        fail_msg("no SVG at %s", path);
    }
    return text;
}

/* The cells' top-left corner: the frame is a run of `frame` colour one
 * pixel outside the cells, width + 2 long; text never makes such a run.
 * The search starts at column from_x, so a second panel can be found. */
static bool find_cells_from(const png_picture *p, int cells_width, int from_x, int *x, int *y)
{
    for (int row = 0; row < p->height; row++) {
        int run = 0;
        for (int column = from_x; column < p->width; column++) {
            run = colour_equal(png_pixel(p, column, row), frame) ? run + 1 : 0;
            if (run == cells_width + 2 &&
                (column + 1 == p->width || !colour_equal(png_pixel(p, column + 1, row), frame))) {
                *x = column - cells_width;
                *y = row + 1;
                return true;
            }
        }
    }
    return false;
}

/* The longest vertical run of `frame` colour in any column from x0 on: the
 * colour bar's sides are such runs, its height + 2 long (the frame's top
 * and bottom lines cross them). */
static int longest_frame_column(const png_picture *p, int x0)
{
    int longest = 0;
    for (int x = x0; x < p->width; x++) {
        int run = 0;
        for (int y = 0; y < p->height; y++) {
            run = colour_equal(png_pixel(p, x, y), frame) ? run + 1 : 0;
            longest = run > longest ? run : longest;
        }
    }
    return longest;
}

/* A failure as promised: exit 2, one line on stderr naming the program,
 * holding `about`, and nothing written in the scratch folder. */
static void assert_refused_writing_nothing(const heatmap_test *t, const char *about,
                                           const char *const *args)
{
    char out[PATH_SIZE];
    const char *argv[32] = {t->program};
    int n = 1;
    for (; args[n - 1]; n++) {
        argv[n] = args[n - 1];
    }
    argv[n++] = "-o";
    argv[n++] = scratch_file(out, t, "never.png");
    argv[n++] = "--svg";
    argv[n] = NULL;
    run_result r;
    assert_int_equal(run_program(&r, argv, NULL), 0);
    assert_int_equal(r.exit_code, 2);
    if (strncmp(r.err, "attnlab-heatmap: ", 17) != 0) {
        fail_msg("stderr does not start with the program's name: %s", r.err);
    }
    assert_true(strchr(r.err, '\n') == r.err + r.err_length - 1);
    if (!strstr(r.err, about)) {
        fail_msg("the message does not mention \"%s\": %s", about, r.err);
    }
    assert_int_equal(count_entries(t->folder), 0);
    run_result_free(&r);
}

/* Write a trace at path holding the n tensor records (JSON objects
 * without "kind", one a line) after the header, and its end record. */
static void write_trace(const char *path, const char *const *records, int n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"format\": \"attnlab-trace\", \"version\": 1, \"program\": \"test\", "
               "\"args\": [], \"seed\": 0, \"library\": \"attnlab 0.1.0\", \"level\": "
               "\"tensors\", \"filter\": \"*\"}\n");
    for (int k = 0; k < n; k++) {
        fprintf(f, "{\"kind\": \"tensor\", %s}\n", records[k]);
    }
    fprintf(f, "{\"kind\": \"end\", \"records\": %d}\n", n);
    assert_int_equal(fclose(f), 0);
}

/* The y attribute of every <text> element of svg whose content is word,
 * into ys (room for max); returns how many. */
static int text_ys(const char *svg, const char *word, double *ys, int max)
{
    char needle[256];
    snprintf(needle, sizeof needle, ">%s</text>", word);
    int n = 0;
    for (const char *at = strstr(svg, needle); at && n < max; at = strstr(at + 1, needle)) {
        const char *start = at;
        while (start > svg && strncmp(start, "<text ", 6) != 0) {
            start--;
        }
        const char *y = strstr(start, " y=\"");
        assert_true(y && y < at);
        ys[n++] = strtod(y + 4, NULL);
    }
    return n;
}

/* ---- the bar chart's value axis ------------------------------------------------ */

/* --axes ROWS,COLS: for a bar chart the first name is the value axis (it
 * read "probability" or "value" whatever --axes said). */
static void bars_name_their_value_axis_after_the_first_axes_name(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    data_file(trace, t, "render_cross.jsonl");
    draw(p, t, scratch_file(out, t, "b.png"), trace, "--select", "probs", "--bars", "--svg",
         "--axes", "chance of the word,next word");
    png_picture_free(&p);
    char *svg = svg_beside(out);
    assert_non_null(strstr(svg, ">chance of the word</text>"));
    assert_non_null(strstr(svg, ">next word</text>"));
    assert_null(strstr(svg, ">probability</text>"));
    free(svg);
    /* Without --axes, a probability row's axis still says so. */
    draw(p, t, out, trace, "--select", "probs", "--bars", "--svg");
    png_picture_free(&p);
    svg = svg_beside(out);
    assert_non_null(strstr(svg, ">probability</text>"));
    free(svg);
}

/* A bar's number keeps what two decimals would round away: 0.49 stays
 * "0.49", 0.0005 ("about a thousandth left", lesson01) is "0.0005" and not
 * "0.00", 3.1e-07 is "3.1e-07", and only an exact 0 is "0" (bars of 100
 * pixels, room for the digits). In bars too narrow for them the small ones
 * read "<0.01", or nothing, never running into their neighbours. */
static void bar_numbers_keep_small_values(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    scratch_file(trace, t, "small.jsonl");
    const char *records[] = {
        "\"name\": \"distance\", \"role\": \"output\", \"op\": \"given\", \"inputs\": [], "
        "\"shape\": [1, 4], \"rows\": null, \"cols\": [\"a\", \"b\", \"c\", \"d\"], "
        "\"dtype\": \"float32\", \"data\": [[0.49, 0.0005, 3.1e-07, 0]]"};
    write_trace(trace, records, 1);
    png_picture p;
    draw(p, t, scratch_file(out, t, "d.png"), trace, "--select", "distance", "--bars", "--svg",
         "--scale", "100");
    png_picture_free(&p);
    char *svg = svg_beside(out);
    const char *numbers[] = {">0.49</text>", ">0.0005</text>", ">3.1e-07</text>", ">0</text>"};
    for (int k = 0; k < 4; k++) {
        if (!strstr(svg, numbers[k]))
            fail_msg("the chart lacks the number %s", numbers[k]);
    }
    assert_null(strstr(svg, ">0.00</text>"));
    free(svg);
    /* 60-pixel slots: room for "<0.01" but not for the digits. */
    draw(p, t, out, trace, "--select", "distance", "--bars", "--svg", "--scale", "60");
    png_picture_free(&p);
    svg = svg_beside(out);
    assert_non_null(strstr(svg, ">&lt;0.01</text>"));
    assert_null(strstr(svg, ">3.1e-07</text>"));
    assert_non_null(strstr(svg, ">0.49</text>"));
    free(svg);
    /* 40-pixel slots: not even for that; the tiny bars go unlabelled. */
    draw(p, t, out, trace, "--select", "distance", "--bars", "--svg");
    png_picture_free(&p);
    svg = svg_beside(out);
    assert_null(strstr(svg, ">&lt;0.01</text>"));
    assert_null(strstr(svg, ">0.0005</text>"));
    assert_non_null(strstr(svg, ">0.49</text>"));
    free(svg);
    remove(trace);
}

/* ---- the colour bar -------------------------------------------------------------- */

/* A 1 x 6 heatmap at --scale 40 is 40 pixels high. Its colour bar was 6
 * tick lines (140 pixels) whatever the panel; now it is as high as the
 * cells, or three tick numbers 1.5 lines apart when that is more:
 * ceil(2 * 1.5 * 7 pt at 150 dpi) = ceil(43.75) = 44 pixels, reading 0,
 * 0.5 and 1. A 12-row panel keeps a bar as high as its 480 pixels. */
static void the_colour_bar_follows_a_short_panel(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "row.png"), data_file(trace, t, "render_cross.jsonl"),
         "--select", "probs", "--svg");
    int x, y;
    assert_true(find_cells_from(&p, 6 * 40, 0, &x, &y));
    int expected = (int)ceil(2 * 1.5 * TICK_PX(150));
    assert_int_equal(longest_frame_column(&p, x + 6 * 40 + 2), expected + 2);
    png_picture_free(&p);
    char *svg = svg_beside(out);
    assert_non_null(strstr(svg, ">0.5</text>"));
    assert_null(strstr(svg, ">0.25</text>"));  /* the crowded ticks are thinned */
    free(svg);

    draw(p, t, out, data_file(trace, t, "render_sentence.jsonl"), "--select",
         "enc.0.attn.h0.weights", "--svg");
    assert_true(find_cells_from(&p, 12 * 40, 0, &x, &y));
    assert_int_equal(longest_frame_column(&p, x + 12 * 40 + 2), 12 * 40 + 2);
    png_picture_free(&p);
    svg = svg_beside(out);
    assert_non_null(strstr(svg, ">0.25</text>"));  /* a tall bar keeps every tick */
    free(svg);
}

/* ---- panel titles ----------------------------------------------------------------- */

/* --panel-title, once per panel in the trace's order, titles the panels
 * in words, commas and all; the trace's names (h0, h1) are then printed
 * nowhere. Without it the panels keep today's titles. */
static void panel_titles_are_the_words_given(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    data_file(trace, t, "render_heads.jsonl");
    draw(p, t, scratch_file(out, t, "heads.png"), trace, "--select", "enc.0.attn.h[01].weights",
         "--panel-title", "head 1", "--panel-title", "head 2, the other one", "--title",
         "Two heads", "--svg");
    png_picture_free(&p);
    char *svg = svg_beside(out);
    assert_non_null(strstr(svg, ">head 1</text>"));
    assert_non_null(strstr(svg, ">head 2, the other one</text>"));
    assert_non_null(strstr(svg, ">Two heads</text>"));
    assert_null(strstr(svg, ">h0</text>"));
    assert_null(strstr(svg, ">h1</text>"));
    double first, second;
    assert_int_equal(text_ys(svg, "head 1", &first, 1), 1);
    assert_int_equal(text_ys(svg, "head 2, the other one", &second, 1), 1);
    assert_float_equal(first, second, 0.005);  /* one row, one height */
    free(svg);

    draw(p, t, out, trace, "--select", "enc.0.attn.h[01].weights", "--svg");
    png_picture_free(&p);
    svg = svg_beside(out);
    assert_non_null(strstr(svg, ">h0</text>"));
    assert_non_null(strstr(svg, ">h1</text>"));
    free(svg);
}

/* One title for a one-panel figure names that panel; --title then
 * stands above it as the figure's. */
static void one_panel_takes_its_panel_title_under_the_figure_title(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "one.png"), data_file(trace, t, "render_cross.jsonl"),
         "--select", "probs", "--bars", "--panel-title", "after <s>", "--title", "Next word",
         "--svg");
    png_picture_free(&p);
    char *svg = svg_beside(out);
    double panel_y, figure_y;
    assert_int_equal(text_ys(svg, "after &lt;s&gt;", &panel_y, 1), 1);
    assert_int_equal(text_ys(svg, "Next word", &figure_y, 1), 1);
    assert_true(figure_y < panel_y);
    assert_null(strstr(svg, ">probs</text>"));
    free(svg);
}

static void a_wrong_count_of_panel_titles_is_refused(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE];
    data_file(trace, t, "render_heads.jsonl");
    const char *too_few[] = {trace, "--select", "enc.0.attn.h[01].weights", "--panel-title",
                             "head 1", NULL};
    assert_refused_writing_nothing(t, "1 --panel-title given for 2 panels "
                                      "(enc.0.attn.h0.weights, ...); give one per panel",
                                   too_few);
    const char *too_many[] = {trace, "--select", "enc.0.attn.h0.weights", "--panel-title", "a",
                              "--panel-title", "b", NULL};
    assert_refused_writing_nothing(t, "2 --panel-title given for 1 panel", too_many);
    const char *lines[] = {trace, "--lines", "--select", "enc.0.attn.h0.weights",
                           "--panel-title", "a", NULL};
    assert_refused_writing_nothing(t, "a line chart has one plot", lines);
}

/* ---- panels of one row ------------------------------------------------------------ */

/* Three panels of different shapes and labels, as a padded batch draws
 * them: 3 x 3 with short keys (upright labels), 5 x 5 with long ones
 * (turned, much taller) and 2 x 2. In their row the cells' tops are at
 * one height, the three "keys" names at one height (above the tallest
 * labels) and the titles at one height above them. */
static void panels_of_a_row_line_up_whatever_their_shapes(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    snprintf(trace, sizeof trace, "%s.shapes.jsonl", t->folder);
    const char *records[] = {
        "\"name\": \"pad.0.weights\", \"role\": \"activation\", \"op\": \"softmax_rows\", "
        "\"inputs\": [], \"shape\": [3, 3], \"rows\": [\"a\", \"b\", \"c\"], "
        "\"cols\": [\"a\", \"b\", \"c\"], \"dtype\": \"float32\", "
        "\"data\": [[1, 0, 0], [0.5, 0.5, 0], [0, 0, 1]]",
        "\"name\": \"pad.1.weights\", \"role\": \"activation\", \"op\": \"softmax_rows\", "
        "\"inputs\": [], \"shape\": [5, 5], \"rows\": [\"the\", \"extraordinarily\", "
        "\"long\", \"tokens\", \"here\"], \"cols\": [\"the\", \"extraordinarily\", "
        "\"long\", \"tokens\", \"here\"], \"dtype\": \"float32\", "
        "\"data\": [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], "
        "[0, 0, 0, 0, 1]]",
        "\"name\": \"pad.2.weights\", \"role\": \"activation\", \"op\": \"softmax_rows\", "
        "\"inputs\": [], \"shape\": [2, 2], \"rows\": [\"x\", \"y\"], "
        "\"cols\": [\"x\", \"y\"], \"dtype\": \"float32\", \"data\": [[1, 0], [0, 1]]",
    };
    write_trace(trace, records, 3);
    png_picture p;
    draw(p, t, scratch_file(out, t, "shapes.png"), trace, "--select", "pad.*.weights", "--svg");
    unlink(trace);
    int x[3], y[3], from = 0;
    const int sides[3] = {3, 5, 2};
    for (int k = 0; k < 3; k++) {
        if (!find_cells_from(&p, sides[k] * 40, from, &x[k], &y[k])) {
            fail_msg("panel %d's cells (%d pixels wide) not found", k, sides[k] * 40);
        }
        from = x[k] + sides[k] * 40 + 2;
    }
    png_picture_free(&p);
    assert_int_equal(y[1], y[0]);
    assert_int_equal(y[2], y[0]);
    char *svg = svg_beside(out);
    double ys[4];
    assert_int_equal(text_ys(svg, "keys", ys, 4), 3);
    assert_float_equal(ys[1], ys[0], 0.005);
    assert_float_equal(ys[2], ys[0], 0.005);
    for (int k = 0; k < 3; k++) {
        char title[2] = {(char)('0' + k), '\0'};
        double title_y;
        assert_int_equal(text_ys(svg, title, &title_y, 1), 1);
        assert_true(title_y < ys[0]);
        if (k > 0) {
            assert_float_equal(title_y, ys[3], 0.005);
        }
        ys[3] = title_y;
    }
    free(svg);
}

/* ---- marks on bar charts ---------------------------------------------------------- */

/* The rows (from y = 0) holding at least min pixels of colour c in
 * columns [x0, x1): their first and last, or -1, -1. */
static void rows_with(const png_picture *p, colour c, int x0, int x1, int min, int *first,
                      int *last)
{
    *first = *last = -1;
    for (int y = 0; y < p->height; y++) {
        int count = 0;
        for (int x = x0; x < x1; x++) {
            count += colour_equal(png_pixel(p, x, y), c);
        }
        if (count >= min) {
            *first = *first < 0 ? y : *first;
            *last = y;
        }
    }
}

/* The bars of render_cross's probs (0.5, 0.2, ...) stand on the zero
 * line; the plot is 5 cells (200 pixels) for [0, 1], so a mark at 0.4
 * runs 80 pixels above the bars' foot, across the plot: a dashed line
 * about a point wide (2 pixels at 150 dpi) of the marks' colour, with
 * its label beside it. */
static void a_value_mark_is_a_line_across_the_bars_at_its_value(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "m.png"), data_file(trace, t, "render_cross.jsonl"),
         "--select", "probs", "--bars", "--mark-value", "0.4:u = 0.4", "--svg");
    int bar_top, bar_foot;
    rows_with(&p, viridis_middle, 0, p.width, 1, &bar_top, &bar_foot);
    int zero_y = bar_foot + 1;
    assert_int_equal(zero_y - bar_top, 100);  /* the 0.5 bar */
    int first, last;
    rows_with(&p, mark, 0, p.width, 40, &first, &last);  /* 40: a line, not the label */
    if (first < zero_y - 80 - 2 || last > zero_y - 80 + 1) {
        fail_msg("the mark spans rows %d to %d; 0.4 is at y = %d", first, last, zero_y - 80);
    }
    png_picture_free(&p);
    char *svg = svg_beside(out);
    assert_non_null(strstr(svg, "fill=\"#d55e00\">u = 0.4</text>"));
    free(svg);
    /* Without a label, the value as typed; several marks, each drawn. */
    draw(p, t, out, trace, "--select", "probs", "--bars", "--mark-value", "0.25",
         "--mark-value", "0.75", "--svg");
    png_picture_free(&p);
    svg = svg_beside(out);
    assert_non_null(strstr(svg, ">0.25</text>"));
    double ys[4];
    assert_int_equal(text_ys(svg, "0.75", ys, 4), 2);  /* the tick and the mark */
    free(svg);
}

/* --mark-column you: the bar of "you" (0.2, 40 pixels) is drawn in the
 * marks' colour, the others in the bars' colour, and the legend says
 * what it is. With --top 2 the marked "do" (0.05), not among the two
 * largest, follows them after an ellipsis. */
static void a_marked_column_is_drawn_apart_with_its_legend(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    data_file(trace, t, "render_cross.jsonl");
    draw(p, t, scratch_file(out, t, "c.png"), trace, "--select", "probs", "--bars",
         "--mark-column", "you", "--mark-legend", "the true word", "--svg");
    int first, last;
    rows_with(&p, mark, 0, p.width, 20, &first, &last);
    assert_int_equal(last - first + 1, 40);
    png_picture_free(&p);
    char *svg = svg_beside(out);
    assert_non_null(strstr(svg, ">the true word</text>"));
    assert_non_null(strstr(svg, "fill=\"#d55e00\">0.20</text>"));
    free(svg);

    draw(p, t, out, trace, "--select", "probs", "--bars", "--top", "2", "--mark-column", "do",
         "--svg");
    rows_with(&p, mark, 0, p.width, 20, &first, &last);
    assert_int_equal(last - first + 1, 10);  /* 0.05 of 200 pixels */
    png_picture_free(&p);
    svg = svg_beside(out);
    assert_non_null(strstr(svg, ">\xe2\x80\xa6</text>"));
    assert_non_null(strstr(svg, ">do</text>"));
    assert_non_null(strstr(svg, ">marked</text>"));
    assert_null(strstr(svg, ">we</text>"));
    free(svg);
}

static void marks_are_refused_where_they_do_not_belong(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE];
    data_file(trace, t, "render_cross.jsonl");
    const char *heatmap[] = {trace, "--select", "probs", "--mark-value", "0.4", NULL};
    assert_refused_writing_nothing(t, "--mark-value marks a bar chart; add --bars", heatmap);
    const char *column_heatmap[] = {trace, "--select", "probs", "--mark-column", "you", NULL};
    assert_refused_writing_nothing(t, "--mark-column marks a bar chart; add --bars",
                                   column_heatmap);
    const char *unknown[] = {trace, "--select", "probs", "--bars", "--mark-column", "zebra",
                             NULL};
    assert_refused_writing_nothing(t, "--mark-column 'zebra' is not a column label of 'probs'",
                                   unknown);
    const char *legend_alone[] = {trace, "--select", "probs", "--bars", "--mark-legend", "x",
                                  NULL};
    assert_refused_writing_nothing(t, "--mark-legend names the --mark-column bars",
                                   legend_alone);
    const char *not_a_number[] = {trace, "--select", "probs", "--bars", "--mark-value", "u:0.4",
                                  NULL};
    assert_refused_writing_nothing(t, "--mark-value needs a number V, or V:LABEL", not_a_number);
}

/* ---- the printed width ------------------------------------------------------------- */

/* The width of the widest horizontal run of `frame` colour: the cells'
 * frame of the one panel drawn, cells across x side + 2. */
static int widest_frame_run(const png_picture *p)
{
    int widest = 0;
    for (int y = 0; y < p->height; y++) {
        int run = 0;
        for (int x = 0; x < p->width; x++) {
            run = colour_equal(png_pixel(p, x, y), frame) ? run + 1 : 0;
            widest = run > widest ? run : widest;
        }
    }
    return widest;
}

/* --print-width LENGTH at --dpi N makes the PNG exactly LENGTH x N pixels
 * wide: 3.3 in at 300 dpi is 990; 84 mm is 84 / 25.4 x 300 = 992.1, so
 * 992, and 8.4 cm the same. Text keeps its point size (7-point colour
 * bar numbers: 7 x 300 / 72 = 29.17 pixels) and the cells grow to fill
 * the width: wider than the 40 pixels of --scale, and wider at 6.9 in
 * than at 3.3 in. The same command writes the same bytes. */
static void the_print_width_sets_the_pixel_width_at_the_dpi(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE], again[PATH_SIZE];
    png_picture p;
    data_file(trace, t, "render_heads.jsonl");
    const struct {
        const char *length;
        int pixels;
    } widths[] = {{"3.3in", 990}, {"84mm", 992}, {"8.4cm", 992}, {"6.9in", 2070}};
    int cell_run[4];
    for (int k = 0; k < 4; k++) {
        draw(p, t, scratch_file(out, t, "w.png"), trace, "--select", "enc.0.attn.h0.weights",
             "--dpi", "300", "--print-width", widths[k].length, "--svg");
        assert_int_equal(p.width, widths[k].pixels);
        assert_true(p.has_phys);
        assert_int_equal(p.phys_x, 11811);  /* 300 / 0.0254 */
        cell_run[k] = widest_frame_run(&p);
        png_picture_free(&p);
        char *svg = svg_beside(out);
        char size[64];
        snprintf(size, sizeof size, "font-size=\"%.2f\"", TICK_PX(300));
        assert_non_null(strstr(svg, size));
        snprintf(size, sizeof size, "width=\"%d\"", widths[k].pixels);
        assert_non_null(strstr(svg, size));
        free(svg);
    }
    int cells = 6;  /* render_heads: six tokens */
    assert_true(cell_run[0] - 2 > cells * 40);
    assert_true(cell_run[3] > cell_run[0]);
    assert_int_equal((cell_run[0] - 2) % cells, 0);  /* whole-pixel cells */

    size_t length[2];
    draw(p, t, scratch_file(again, t, "again.png"), trace, "--select", "enc.0.attn.h0.weights",
         "--dpi", "300", "--print-width", "6.9in", "--svg");
    png_picture_free(&p);
    char *bytes[2] = {read_whole_file(out, &length[0]), read_whole_file(again, &length[1])};
    assert_non_null(bytes[0]);
    assert_non_null(bytes[1]);
    assert_int_equal(length[0], length[1]);
    assert_memory_equal(bytes[0], bytes[1], length[0]);
    free(bytes[0]);
    free(bytes[1]);
}

/* A title wider than the cells must not keep them small: the cells still
 * grow to fill the width (the title hid their growth from a fit that took
 * the width to grow in proportion to the cells, and left them at their
 * smallest, lesson01's distance chart a third of the page). */
static void a_wide_title_does_not_keep_the_cells_small(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    data_file(trace, t, "render_heads.jsonl");
    draw(p, t, scratch_file(out, t, "plain.png"), trace, "--select", "enc.0.attn.h0.weights",
         "--dpi", "300", "--print-width", "6.9in");
    int plain = widest_frame_run(&p);
    png_picture_free(&p);
    /* About 1200 pixels of title: less than the page's 2070, more than
     * the six cells and their labels at their smallest. */
    draw(p, t, out, trace, "--select", "enc.0.attn.h0.weights", "--dpi", "300",
         "--print-width", "6.9in", "--title", "the weights of the six words of the sentence");
    int titled = widest_frame_run(&p);
    assert_int_equal(p.width, 2070);
    png_picture_free(&p);
    print_message("cells: %d pixels across without the title, %d with it\n", plain, titled);
    assert_true(titled >= plain * 9 / 10);
}

/* Nor do the cells grow past what a book prints: four bars across a full
 * page (6.9 in at 300 dpi) stop at slots of 0.4 in, 120 pixels, so the
 * chart (5 slots high) is about 600 pixels of plot, not 2500, and sits
 * centred in the page's 2070. */
static void few_bars_on_a_wide_page_stay_a_book_size(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    scratch_file(trace, t, "four.jsonl");
    const char *records[] = {
        "\"name\": \"cross.weights\", \"role\": \"activation\", \"op\": \"softmax_rows\", "
        "\"inputs\": [], \"shape\": [1, 4], \"rows\": [\"<bos>\"], "
        "\"cols\": [\"what\", \"can\", \"you\", \"do\"], \"dtype\": \"float32\", "
        "\"data\": [[0.1, 0.1, 0.7, 0.1]]"};
    write_trace(trace, records, 1);
    png_picture p;
    draw(p, t, scratch_file(out, t, "four.png"), trace, "--select", "cross.weights", "--bars",
         "--dpi", "300", "--print-width", "6.9in");
    print_message("four bars at 6.9in: %d x %d pixels\n", p.width, p.height);
    assert_int_equal(p.width, 2070);
    assert_true(p.height < 1100);
    png_picture_free(&p);
    remove(trace);
}

/* A figure too wide for the column even with cells just big enough for
 * their labels keeps the width exact by shrinking cells and text
 * together: four 6-token panels at 1.5 in and 150 dpi (225 pixels). Bar
 * and line charts take the width too. */
static void a_crowded_figure_shrinks_text_and_cells_to_the_width(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    data_file(trace, t, "render_heads.jsonl");
    draw(p, t, scratch_file(out, t, "crowded.png"), trace, "--select", "enc.0.attn.h*.weights",
         "--print-width", "1.5in", "--svg");
    assert_int_equal(p.width, 225);
    png_picture_free(&p);
    char *svg = svg_beside(out);
    char size[64];
    snprintf(size, sizeof size, "font-size=\"%.2f\"", TICK_PX(150));
    assert_null(strstr(svg, size));  /* the 7-point numbers are smaller */
    free(svg);

    draw(p, t, out, data_file(trace, t, "render_cross.jsonl"), "--select", "probs", "--bars",
         "--print-width", "84mm", "--dpi", "300");
    assert_int_equal(p.width, 992);
    png_picture_free(&p);
    draw(p, t, out, trace, "--lines", "--select", "probs", "--print-width", "6.9in");
    assert_int_equal(p.width, 1035);  /* 6.9 x 150 */
    png_picture_free(&p);
}

static void a_bad_print_width_is_refused(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE];
    data_file(trace, t, "render_sentence.jsonl");
    const char *no_unit[] = {trace, "--print-width", "3.3", NULL};
    assert_refused_writing_nothing(t, "--print-width needs a length with its unit (3.3in, 84mm "
                                      "or 8.4cm) from 0.5in to 40in, not '3.3'", no_unit);
    const char *too_narrow[] = {trace, "--print-width", "10mm", NULL};
    assert_refused_writing_nothing(t, "not '10mm'", too_narrow);
    /* 40 in at 1200 dpi is 48000 pixels wide; the 12 x 12 weights are
     * about as high: far past the 100 million pixels a figure may have. */
    const char *huge[] = {trace, "--select", "enc.0.attn.h0.weights", "--print-width", "40in",
                          "--dpi", "1200", NULL};
    assert_refused_writing_nothing(t, "--print-width 40in at --dpi 1200 makes a figure of 48000 "
                                      "x ", huge);
    const char *bare[] = {trace, "--select", "enc.0.attn.h0.weights", "--bare", "--print-width",
                          "3.3in", NULL};
    assert_refused_writing_nothing(t, "--print-width cannot go with it", bare);
}

#define TEST(f) cmocka_unit_test_prestate_setup_teardown(f, make_folder, remove_scratch, &t)

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s ATTNLAB_HEATMAP_PROGRAM TESTS_DATA_DIR\n", argv[0]);
        return 2;
    }
    heatmap_test t = {.program = argv[1], .data = argv[2], .name = "heatmap_book"};
    const struct CMUnitTest tests[] = {
        TEST(bars_name_their_value_axis_after_the_first_axes_name),
        TEST(bar_numbers_keep_small_values),
        TEST(the_colour_bar_follows_a_short_panel),
        TEST(panels_of_a_row_line_up_whatever_their_shapes),
        TEST(panel_titles_are_the_words_given),
        TEST(one_panel_takes_its_panel_title_under_the_figure_title),
        TEST(a_wrong_count_of_panel_titles_is_refused),
        TEST(the_print_width_sets_the_pixel_width_at_the_dpi),
        TEST(a_wide_title_does_not_keep_the_cells_small),
        TEST(few_bars_on_a_wide_page_stay_a_book_size),
        TEST(a_crowded_figure_shrinks_text_and_cells_to_the_width),
        TEST(a_bad_print_width_is_refused),
        TEST(a_value_mark_is_a_line_across_the_bars_at_its_value),
        TEST(a_marked_column_is_drawn_apart_with_its_legend),
        TEST(marks_are_refused_where_they_do_not_belong),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
