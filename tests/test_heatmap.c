/* test_heatmap.c: the attnlab-heatmap program (src/render), run on the
 * sample traces in tests/data/ (written by make_render_traces.py):
 *   render_sentence.jsonl   12 tokens, some long; weights row 0 is 1, 0, 0, ...
 *   render_causal.jsonl     causal mask: .masked has null above the diagonal
 *   render_cross.jsonl      cross-attention (target x source) and probs (1 x 6)
 *   render_truncated.jsonl, render_malformed.jsonl   broken traces
 * Each test runs the program, decodes its PNG with libpng (not with the
 * renderer's code) and checks sizes, colours and where ink is. Expected
 * sizes come from the layout rules stated in src/render/heatmap_*.c: a
 * bare figure is exactly the cells; in a full figure the text does not
 * depend on --scale, so one more pixel per cell adds one pixel per row
 * and per column.
 *
 * Arguments (from tests/meson.build): the attnlab-heatmap program, the
 * tests/data folder. */
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
static const colour viridis_top = {0xfd, 0xe7, 0x25};     /* weight 1.0 */
static const colour viridis_bottom = {0x44, 0x01, 0x54};  /* weight 0.0 */
static const colour viridis_middle = {0x21, 0x91, 0x8c};  /* the bar colour */
static const colour masked = {0xdc, 0xdc, 0xdc};
static const colour hatch = {0x96, 0x96, 0x96};
static const colour frame = {0x80, 0x80, 0x80};
static const colour white = {0xff, 0xff, 0xff};

#define assert_colour(actual, expected)                                                   \
    do {                                                                                  \
        colour a_ = (actual), e_ = (expected);                                            \
        if (!colour_equal(a_, e_)) {                                                      \
            fail_msg("%s is #%02x%02x%02x, expected #%02x%02x%02x", #actual, a_.r, a_.g,  \
                     a_.b, e_.r, e_.g, e_.b);                                             \
        }                                                                                 \
    } while (0)

/* A failure as promised: exit 2, one line on stderr naming the program. */
static void assert_refused(const run_result *r)
{
    assert_int_equal(r->exit_code, 2);
    if (strncmp(r->err, "attnlab-heatmap: ", 17) != 0) {
        fail_msg("stderr does not start with the program's name: %s", r->err);
    }
    assert_true(strchr(r->err, '\n') == r->err + r->err_length - 1);
}

/* The cells' top-left corner in a full figure: the frame is a line of
 * `frame` colour one pixel outside the cells, width + 2 pixels long; text
 * never makes such a run. */
static void find_cells(const png_picture *p, int cells_width, int *x, int *y)
{
    for (int row = 0; row < p->height; row++) {
        int run = 0;
        for (int column = 0; column < p->width; column++) {
            run = colour_equal(png_pixel(p, column, row), frame) ? run + 1 : 0;
            if (run == cells_width + 2) {
                *x = column - cells_width;
                *y = row + 1;
                return;
            }
        }
    }
    fail_msg("no frame of %d pixels found", cells_width + 2);
}

static bool is_white(const png_picture *p, int x, int y)
{
    return colour_equal(png_pixel(p, x, y), white);
}

/* ---- size --------------------------------------------------------------------- */

static void a_bare_picture_is_exactly_the_cells(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    /* 12 x 12 weights at 10 pixels a cell: 120 x 120. */
    draw(p, t, scratch_file(out, t, "w.png"), data_file(trace, t, "render_sentence.jsonl"),
         "--select", "enc.0.attn.h0.weights", "--bare", "--scale", "10");
    assert_int_equal(p.width, 120);
    assert_int_equal(p.height, 120);
    png_picture_free(&p);
    /* q is 12 rows x 8 columns: at 7 pixels, 56 wide and 84 high. */
    draw(p, t, scratch_file(out, t, "q.png"), trace, "--select", "enc.0.attn.q", "--bare",
         "--scale", "7");
    assert_int_equal(p.width, 56);
    assert_int_equal(p.height, 84);
    png_picture_free(&p);
}

static void one_more_pixel_per_cell_adds_one_per_row_and_column(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out40[PATH_SIZE], out41[PATH_SIZE];
    png_picture p40, p41;
    data_file(trace, t, "render_sentence.jsonl");
    draw(p40, t, scratch_file(out40, t, "q40.png"), trace, "--select", "enc.0.attn.q",
         "--scale", "40");
    draw(p41, t, scratch_file(out41, t, "q41.png"), trace, "--select", "enc.0.attn.q",
         "--scale", "41");
    /* q: 8 columns, 12 rows. */
    assert_int_equal(p41.width - p40.width, 8);
    assert_int_equal(p41.height - p40.height, 12);
    png_picture_free(&p40);
    png_picture_free(&p41);
}

static void the_png_records_its_dpi_and_no_time(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "w.png"), data_file(trace, t, "render_sentence.jsonl"),
         "--select", "enc.0.attn.h0.weights", "--dpi", "300");
    assert_true(p.has_phys);
    /* 300 dots per inch / 0.0254 metres per inch = 11811.02 per metre. */
    assert_int_equal(p.phys_x, 11811);
    assert_int_equal(p.phys_y, 11811);
    assert_false(p.has_time);
    png_picture_free(&p);
}

/* ---- colour ------------------------------------------------------------------- */

static void weight_one_is_the_top_of_viridis_and_zero_the_bottom(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    /* Row 0 of the weights is 1, 0, 0, ... (make_render_traces.py). */
    draw(p, t, scratch_file(out, t, "w.png"), data_file(trace, t, "render_sentence.jsonl"),
         "--select", "enc.0.attn.h0.weights", "--bare", "--scale", "20");
    assert_colour(png_pixel(&p, 10, 10), viridis_top);
    assert_colour(png_pixel(&p, 30, 10), viridis_bottom);
    assert_colour(png_pixel(&p, 230, 10), viridis_bottom);
    png_picture_free(&p);
}

/* An RNN's alignment stacks softmax rows: it is drawn on [0, 1] like any
 * weights, so its largest entry, 0.75, is not the top of the map (on its
 * own [min, max] range it would be). */
static void an_alignment_is_drawn_on_the_weights_range(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "a.png"), data_file(trace, t, "render_alignment.jsonl"),
         "--bare", "--scale", "20");
    if (colour_equal(png_pixel(&p, 30, 10), viridis_top))
        fail_msg("0.75 is drawn as the top of viridis: the range is not [0, 1]");
    if (colour_equal(png_pixel(&p, 10, 10), viridis_bottom))
        fail_msg("0.25 is drawn as the bottom of viridis: the range is not [0, 1]");
    png_picture_free(&p);
}

static void the_full_figure_draws_the_same_cells(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "w.png"), data_file(trace, t, "render_sentence.jsonl"),
         "--select", "enc.0.attn.h0.weights");
    int x, y;
    find_cells(&p, 12 * 40, &x, &y);
    assert_colour(png_pixel(&p, x + 20, y + 20), viridis_top);
    assert_colour(png_pixel(&p, x + 60, y + 20), viridis_bottom);
    png_picture_free(&p);
}

static void masked_cells_are_gray_and_hatched(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    /* .masked of a causal layer: (0, 1) is null, (0, 0) is not. */
    draw(p, t, scratch_file(out, t, "m.png"), data_file(trace, t, "render_causal.jsonl"),
         "--select", "dec.0.self_attn.h0.masked", "--bare", "--scale", "32");
    assert_colour(png_pixel(&p, 32 + 16, 16), masked);  /* the centre of cell (0, 1) */
    int hatched = 0;
    for (int y = 0; y < 32; y++) {
        for (int x = 32; x < 64; x++) {
            colour c = png_pixel(&p, x, y);
            assert_true(colour_equal(c, masked) || colour_equal(c, hatch));
            hatched += colour_equal(c, hatch);
        }
    }
    assert_true(hatched > 32);  /* at least a line's worth */
    assert_false(colour_equal(png_pixel(&p, 16, 16), masked));
    png_picture_free(&p);
}

/* True when an 8 x 8 block at (x, y) is masked-cell pattern only, with
 * both of its colours: a hatched square, which no text or map makes. */
static bool hatched_block_at(const png_picture *p, int x, int y)
{
    bool seen_masked = false, seen_hatch = false;
    for (int dy = 0; dy < 8; dy++) {
        for (int dx = 0; dx < 8; dx++) {
            colour c = png_pixel(p, x + dx, y + dy);
            seen_masked |= colour_equal(c, masked);
            seen_hatch |= colour_equal(c, hatch);
            if (!colour_equal(c, masked) && !colour_equal(c, hatch)) {
                return false;
            }
        }
    }
    return seen_masked && seen_hatch;
}

static bool hatched_block_right_of(const png_picture *p, int left)
{
    for (int y = 0; y + 8 <= p->height; y++) {
        for (int x = left; x + 8 <= p->width; x++) {
            if (hatched_block_at(p, x, y)) {
                return true;
            }
        }
    }
    return false;
}

static void the_legend_shows_the_masked_pattern_only_when_cells_are_masked(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "m.png"), data_file(trace, t, "render_causal.jsonl"),
         "--select", "dec.0.self_attn.h0.masked");
    int x = 0, y = 0;
    find_cells(&p, 9 * 40, &x, &y);
    assert_true(hatched_block_right_of(&p, x + 9 * 40 + 1));
    png_picture_free(&p);
    /* The weights of the same layer are 0 where masked, never null. */
    draw(p, t, out, trace, "--select", "dec.0.self_attn.h0.weights");
    assert_false(hatched_block_right_of(&p, 0));
    png_picture_free(&p);
}

static void gray_mode_has_only_grays(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "g.png"), data_file(trace, t, "render_causal.jsonl"),
         "--select", "dec.0.self_attn.h*.masked", "--gray", "--annotate");
    int not_gray = 0, dark = 0;
    for (int y = 0; y < p.height; y++) {
        for (int x = 0; x < p.width; x++) {
            colour c = png_pixel(&p, x, y);
            not_gray += c.r != c.g || c.g != c.b;
            dark += c.r < 64;
        }
    }
    assert_int_equal(not_gray, 0);
    assert_true(dark > 0);  /* and it is not blank */
    png_picture_free(&p);
}

static void annotations_are_dark_on_light_cells_and_light_on_dark(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "a.png"), data_file(trace, t, "render_sentence.jsonl"),
         "--select", "enc.0.attn.h0.weights", "--annotate");
    int x, y;
    find_cells(&p, 12 * 40, &x, &y);
    /* Cell (0, 0) is yellow (1.00): its text is dark. Cell (0, 1) is dark
     * purple (0.00): its text is light. */
    int dark_on_yellow = 0, light_on_purple = 0;
    for (int dy = 0; dy < 40; dy++) {
        for (int dx = 0; dx < 40; dx++) {
            colour a = png_pixel(&p, x + dx, y + dy), b = png_pixel(&p, x + 40 + dx, y + dy);
            dark_on_yellow += a.r < 80 && a.g < 80;
            light_on_purple += b.r > 200 && b.g > 200 && b.b > 200;
        }
    }
    assert_true(dark_on_yellow > 10);
    assert_true(light_on_purple > 10);
    png_picture_free(&p);
}

/* ---- labels --------------------------------------------------------------------- */

/* True when the pixel column x is white from y0 to y1 (inclusive). */
static bool white_column(const png_picture *p, int x, int y0, int y1)
{
    for (int y = y0; y <= y1; y++) {
        if (!is_white(p, x, y)) {
            return false;
        }
    }
    return true;
}

static bool white_row(const png_picture *p, int y, int x0, int x1)
{
    for (int x = x0; x <= x1; x++) {
        if (!is_white(p, x, y)) {
            return false;
        }
    }
    return true;
}

static void labels_are_drawn_beside_and_above_the_cells(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "w.png"), data_file(trace, t, "render_sentence.jsonl"),
         "--select", "enc.0.attn.h0.weights");
    int x, y, side = 12 * 40;
    find_cells(&p, side, &x, &y);
    /* Every row has ink to its left and every column ink above it. */
    for (int i = 0; i < 12; i++) {
        int ink = 0;
        for (int column = 0; column < x - 2; column++) {
            for (int row = y + i * 40; row < y + (i + 1) * 40; row++) {
                ink += !is_white(&p, column, row);
            }
        }
        assert_true(ink > 20);
        ink = 0;
        for (int row = 0; row < y - 2; row++) {
            for (int column = x + i * 40; column < x + (i + 1) * 40; column++) {
                ink += !is_white(&p, column, row);
            }
        }
        assert_true(ink > 20);
    }
    png_picture_free(&p);
}

static void long_labels_of_twelve_tokens_neither_touch_nor_are_cut(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "w.png"), data_file(trace, t, "render_sentence.jsonl"),
         "--select", "enc.0.attn.h0.weights");
    int x, y, side = 12 * 40;
    find_cells(&p, side, &x, &y);

    /* Row labels: from the cells leftwards, over the white gap, past the
     * labels, to the white column that parts them from the axis name.
     * Between two rows' centres some pixel row across that block is white:
     * the labels do not touch. */
    int left = x - 3;
    while (left > 0 && white_column(&p, left, y, y + side - 1)) {
        left--;
    }
    assert_true(left < x - 3 - 1);  /* a gap of at least two pixels */
    while (left > 0 && !white_column(&p, left, y, y + side - 1)) {
        left--;
    }
    assert_true(left > 0);
    for (int i = 0; i + 1 < 12; i++) {
        bool parted = false;
        for (int row = y + i * 40 + 20; row < y + (i + 1) * 40 + 20 && !parted; row++) {
            parted = white_row(&p, row, left, x - 3);
        }
        if (!parted) {
            fail_msg("the labels of rows %d and %d touch", i, i + 1);
        }
    }
    /* Column labels, turned: upwards over the gap and the labels to the
     * white row that parts them from the axis name, then a white pixel
     * column between two columns' centres. */
    int top = y - 3;
    while (top > 0 && white_row(&p, top, x, x + side - 1)) {
        top--;
    }
    assert_true(top < y - 3 - 1);
    while (top > 0 && !white_row(&p, top, x, x + side - 1)) {
        top--;
    }
    assert_true(top > 0);
    for (int j = 0; j + 1 < 12; j++) {
        bool parted = false;
        for (int column = x + j * 40 + 20; column < x + (j + 1) * 40 + 20 && !parted; column++) {
            parted = white_column(&p, column, top, y - 3);
        }
        if (!parted) {
            fail_msg("the labels of columns %d and %d touch", j, j + 1);
        }
    }
    /* Nothing is cut by the picture's edge: its outer two pixels are white. */
    for (int k = 0; k < 2; k++) {
        assert_true(white_row(&p, k, 0, p.width - 1));
        assert_true(white_row(&p, p.height - 1 - k, 0, p.width - 1));
        assert_true(white_column(&p, k, 0, p.height - 1));
        assert_true(white_column(&p, p.width - 1 - k, 0, p.height - 1));
    }
    png_picture_free(&p);
}

/* ---- bars ------------------------------------------------------------------------ */

/* The height of the bar-coloured run in pixel column x, or 0. */
static int bar_height_at(const png_picture *p, int x)
{
    int height = 0;
    for (int y = 0; y < p->height; y++) {
        height += colour_equal(png_pixel(p, x, y), viridis_middle);
    }
    return height;
}

/* The heights of the first (at most) max bars, left to right; returns how many. */
static int bar_heights(const png_picture *p, int *heights, int max)
{
    int found = 0;
    for (int x = 0; x < p->width && found < max; x++) {
        int h = bar_height_at(p, x);
        if (h > 0) {
            heights[found++] = h;
            while (x < p->width && bar_height_at(p, x) > 0) {
                x++;
            }
        }
    }
    return found;
}

static void bars_are_as_high_as_their_values(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "b.png"), data_file(trace, t, "render_cross.jsonl"),
         "--select", "probs", "--bars", "--scale", "40");
    /* The plot is 5 cells high (200 pixels) for the range [0, 1]; probs is
     * 0.5, 0.2, 0.12, ...: bars of 100, 40 and 24 pixels, left to right. */
    int heights[3];
    int found = bar_heights(&p, heights, 3);
    assert_int_equal(found, 3);
    assert_int_equal(heights[0], 100);
    assert_int_equal(heights[1], 40);
    assert_int_equal(heights[2], 24);
    png_picture_free(&p);
}

/* --top 3 of row 0 of the cross-attention weights (0.05, 0.05, 0.1, 0.8)
 * draws 0.8, 0.1 and the first 0.05, largest first: bars of 160, 20 and
 * 10 pixels in a 200-pixel plot, and no fourth bar. */
static void top_bars_are_the_largest_in_order(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "top.png"), data_file(trace, t, "render_cross.jsonl"),
         "--select", "dec.0.cross_attn.h0.weights", "--bars", "--row", "0", "--top", "3",
         "--scale", "40");
    int heights[4];
    int found = bar_heights(&p, heights, 4);
    assert_int_equal(found, 3);
    assert_int_equal(heights[0], 160);
    assert_int_equal(heights[1], 20);
    assert_int_equal(heights[2], 10);
    png_picture_free(&p);
}

static void bars_of_a_matrix_need_a_row(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    run_result r;
    data_file(trace, t, "render_cross.jsonl");
    run_heatmap(r, t, trace, "--select", "dec.0.cross_attn.h0.weights", "--bars", "-o",
                scratch_file(out, t, "b.png"));
    assert_refused(&r);
    assert_non_null(strstr(r.err, "--row"));
    run_result_free(&r);
    run_heatmap(r, t, trace, "--select", "dec.0.cross_attn.h0.weights", "--bars", "--row", "2",
                "-o", out);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
}

/* The first row at or below from with a pixel that is not white in columns
 * [x0, x1), or -1. */
static int first_ink_row(const png_picture *p, int from, int x0, int x1)
{
    for (int y = from; y < p->height; y++) {
        for (int x = x0; x < x1; x++) {
            if (!is_white(p, x, y)) {
                return y;
            }
        }
    }
    return -1;
}

/* The first row at or below from that is white from edge to edge. */
static int first_blank_row(const png_picture *p, int from)
{
    int y = from;
    while (y < p->height && first_ink_row(p, y, 0, p->width) == y) {
        y++;
    }
    return y;
}

static void panel_titles_of_a_row_stand_at_one_height(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE];
    png_picture p;
    /* Row 1 of the causal mask is 1, 1, 0, ...: its bars reach the top of
     * the plot and their value labels stand above it. Row 1 of h0.weights
     * is 0.21, 0.79, 0, ...: its labels stay inside the plot. Both titles
     * end in ", row 1 (cat)", so the same height means the same ink rows.
     * The figure title "Two" has no descender, so it is one band of ink. */
    draw(p, t, scratch_file(out, t, "titles.png"), data_file(trace, t, "render_causal.jsonl"),
         "--select", "dec.0.self_attn.mask", "--select", "dec.0.self_attn.h0.weights", "--bars",
         "--row", "1", "--title", "Two");
    /* Under the figure title, each half of the picture holds one panel, and
     * the first ink in it is the panel's title. */
    int under_figure_title = first_blank_row(&p, first_ink_row(&p, 0, 0, p.width));
    int left_title = first_ink_row(&p, under_figure_title, 0, p.width / 2);
    int right_title = first_ink_row(&p, under_figure_title, p.width / 2, p.width);
    assert_true(left_title > under_figure_title);
    if (left_title != right_title) {
        fail_msg("the left panel's title starts at y = %d, the right one's at y = %d",
                 left_title, right_title);
    }
    png_picture_free(&p);
}

/* ---- SVG --------------------------------------------------------------------------- */

/* A minimal well-formedness check: every element opened is closed in
 * order (comments, declarations and self-closing tags allowed). */
static bool tags_balance(const char *text)
{
    char stack[64][64];
    int depth = 0;
    for (const char *c = strchr(text, '<'); c; c = strchr(c + 1, '<')) {
        if (c[1] == '?' || c[1] == '!') {
            continue;
        }
        const char *end = strchr(c, '>');
        if (!end) {
            return false;
        }
        bool closing = c[1] == '/', self_closing = end[-1] == '/';
        const char *name = c + (closing ? 2 : 1);
        size_t length = strcspn(name, " />\n");
        if (length == 0 || length >= 64) {
            return false;
        }
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) != length ||
                strncmp(stack[depth - 1], name, length) != 0) {
                return false;
            }
            depth--;
        } else if (!self_closing) {
            if (depth == 64) {
                return false;
            }
            memcpy(stack[depth], name, length);
            stack[depth++][length] = '\0';
        }
    }
    return depth == 0;
}

static void the_svg_is_well_formed_with_real_text(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE], svg[PATH_SIZE];
    png_picture p;
    draw(p, t, scratch_file(out, t, "w.png"), data_file(trace, t, "render_sentence.jsonl"),
         "--select", "enc.0.attn.h0.weights", "--svg");
    png_picture_free(&p);
    size_t length;
    char *text = read_whole_file(scratch_file(svg, t, "w.svg"), &length);
    assert_non_null(text);
    assert_true(tags_balance(text));
    assert_non_null(strstr(text, ">extraordinarily</text>"));
    assert_non_null(strstr(text, "font-family=\"DejaVu Sans\""));
    free(text);
    if (access("/usr/bin/xmllint", X_OK) == 0) {
        run_result r;
        assert_int_equal(run_program_args(&r, NULL, "/usr/bin/xmllint", "--noout", svg, NULL), 0);
        if (r.exit_code != 0) {
            fail_msg("xmllint: %s", r.err);
        }
        run_result_free(&r);
    }
}

static void cross_attention_axes_are_target_and_source(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[PATH_SIZE], svg[PATH_SIZE];
    png_picture p;
    size_t length;
    data_file(trace, t, "render_cross.jsonl");
    draw(p, t, scratch_file(out, t, "c.png"), trace, "--select", "dec.0.cross_attn.h0.weights",
         "--svg");
    png_picture_free(&p);
    char *text = read_whole_file(scratch_file(svg, t, "c.svg"), &length);
    assert_non_null(text);
    assert_non_null(strstr(text, ">target</text>"));
    assert_non_null(strstr(text, ">source</text>"));
    assert_non_null(strstr(text, ">économique</text>"));
    free(text);
    draw(p, t, out, trace, "--select", "dec.0.cross_attn.h0.weights", "--svg", "--axes",
         "French,English");
    png_picture_free(&p);
    text = read_whole_file(svg, &length);
    assert_non_null(strstr(text, ">French</text>"));
    assert_null(strstr(text, ">target</text>"));
    free(text);
}

/* ---- determinism ------------------------------------------------------------------- */

static void the_same_input_gives_the_same_bytes(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE], out[2][PATH_SIZE], svg[2][PATH_SIZE];
    data_file(trace, t, "render_causal.jsonl");
    char *bytes[2][2];
    size_t length[2][2];
    for (int k = 0; k < 2; k++) {
        char name[32];
        snprintf(name, sizeof name, "run%d.png", k);
        png_picture p;
        draw(p, t, scratch_file(out[k], t, name), trace, "--select", "*.h*.masked", "--svg",
             "--annotate");
        png_picture_free(&p);
        snprintf(name, sizeof name, "run%d.svg", k);
        bytes[k][0] = read_whole_file(out[k], &length[k][0]);
        bytes[k][1] = read_whole_file(scratch_file(svg[k], t, name), &length[k][1]);
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

/* ---- refusals ----------------------------------------------------------------------- */

/* Run with args (NULL-terminated, the output added) into a fresh folder
 * and expect a refusal that leaves the folder empty and mentions `about`. */
static void assert_refused_writing_nothing(const heatmap_test *t, const char *about,
                                           const char *const *args)
{
    char out[PATH_SIZE];
    const char *argv[16] = {t->program};
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
    assert_refused(&r);
    if (!strstr(r.err, about)) {
        fail_msg("the message does not mention \"%s\": %s", about, r.err);
    }
    assert_int_equal(count_entries(t->folder), 0);
    run_result_free(&r);
}

/* A 1 x 70,000 tensor at --scale 400 would be 28,000,000 x 400 pixels:
 * refused from its shape at once, before any laying out, naming the
 * tensor and the way out; nothing written. (The trace is made here, in
 * a folder beside the scratch one, so the folder stays empty.) */
static void a_figure_too_big_is_refused_from_the_shape(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE];
    snprintf(trace, sizeof trace, "%s.wide.jsonl", t->folder);
    FILE *f = fopen(trace, "w");
    assert_non_null(f);
    fprintf(f, "{\"format\": \"attnlab-trace\", \"version\": 1, \"program\": \"test\", "
               "\"args\": [], \"seed\": 0, \"library\": \"attnlab 0.1.0\", \"level\": "
               "\"tensors\", \"filter\": \"*\"}\n");
    fprintf(f, "{\"kind\": \"tensor\", \"name\": \"wide\", \"role\": \"input\", \"op\": "
               "\"given\", \"inputs\": [], \"shape\": [1, 70000], \"rows\": null, "
               "\"cols\": null, \"dtype\": \"float32\", \"data\": [[0");
    for (int j = 1; j < 70000; j++)
        fputs(", 0.5", f);
    fprintf(f, "]]}\n{\"kind\": \"end\", \"records\": 1}\n");
    assert_int_equal(fclose(f), 0);
    const char *wide[] = {trace, "--select", "wide", "--scale", "400", NULL};
    assert_refused_writing_nothing(t, "'wide' (1 x 70000) alone would be 28000000 x 400 pixels "
                                      "at --scale 400, more than a figure may have", wide);
    unlink(trace);
}

static void a_truncated_or_malformed_trace_is_refused_and_nothing_written(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE];
    const char *truncated[] = {data_file(trace, t, "render_truncated.jsonl"), NULL};
    assert_refused_writing_nothing(t, "truncated", truncated);
    char malformed_path[PATH_SIZE];
    const char *malformed[] = {data_file(malformed_path, t, "render_malformed.jsonl"), NULL};
    assert_refused_writing_nothing(t, "render_malformed.jsonl:4: malformed JSON", malformed);
}

static void a_selection_matching_nothing_is_refused(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE];
    const char *args[] = {data_file(trace, t, "render_sentence.jsonl"), "--select",
                          "enc.0.attn.h9.weights", NULL};
    assert_refused_writing_nothing(t, "'enc.0.attn.h9.weights'", args);
}

static void bad_options_are_refused(void **state)
{
    heatmap_test *t = *state;
    char trace[PATH_SIZE];
    data_file(trace, t, "render_sentence.jsonl");
    const char *bad_scale[] = {trace, "--scale", "forty", NULL};
    assert_refused_writing_nothing(t, "'forty'", bad_scale);
    const char *unknown[] = {trace, "--colour", NULL};
    assert_refused_writing_nothing(t, "--colour", unknown);
    const char *bad_angle[] = {trace, "--label-angle", "30", NULL};
    assert_refused_writing_nothing(t, "--label-angle", bad_angle);
    const char *row_past_end[] = {trace, "--select", "enc.0.attn.h0.weights", "--bars",
                                  "--row", "12", NULL};
    assert_refused_writing_nothing(t, "--row 12", row_past_end);
    const char *top_alone[] = {trace, "--top", "3", NULL};
    assert_refused_writing_nothing(t, "--top chooses the bars --bars draws", top_alone);
}

#define TEST(f) cmocka_unit_test_prestate_setup_teardown(f, make_folder, remove_scratch, &t)

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s ATTNLAB_HEATMAP_PROGRAM TESTS_DATA_DIR\n", argv[0]);
        return 2;
    }
    heatmap_test t = {.program = argv[1], .data = argv[2], .name = "heatmap"};
    const struct CMUnitTest tests[] = {
        TEST(a_bare_picture_is_exactly_the_cells),
        TEST(one_more_pixel_per_cell_adds_one_per_row_and_column),
        TEST(the_png_records_its_dpi_and_no_time),
        TEST(weight_one_is_the_top_of_viridis_and_zero_the_bottom),
        TEST(an_alignment_is_drawn_on_the_weights_range),
        TEST(the_full_figure_draws_the_same_cells),
        TEST(masked_cells_are_gray_and_hatched),
        TEST(the_legend_shows_the_masked_pattern_only_when_cells_are_masked),
        TEST(gray_mode_has_only_grays),
        TEST(annotations_are_dark_on_light_cells_and_light_on_dark),
        TEST(labels_are_drawn_beside_and_above_the_cells),
        TEST(long_labels_of_twelve_tokens_neither_touch_nor_are_cut),
        TEST(bars_are_as_high_as_their_values),
        TEST(top_bars_are_the_largest_in_order),
        TEST(a_figure_too_big_is_refused_from_the_shape),
        TEST(bars_of_a_matrix_need_a_row),
        TEST(panel_titles_of_a_row_stand_at_one_height),
        TEST(the_svg_is_well_formed_with_real_text),
        TEST(cross_attention_axes_are_target_and_source),
        TEST(the_same_input_gives_the_same_bytes),
        TEST(a_truncated_or_malformed_trace_is_refused_and_nothing_written),
        TEST(a_selection_matching_nothing_is_refused),
        TEST(bad_options_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
