/* canvas.c: filling, hatching and blending pixels of an RGB canvas, and
 * the wide lines and markers of line charts. No text, no file formats. */
#include "canvas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Samples per pixel side for lines and markers: 4 x 4 = 16, one bit each. */
#define SAMPLES 4

al_status canvas_create(canvas *out, int width, int height, rgb background, al_error *err)
{
    *out = (canvas){0};
    if (width <= 0 || height <= 0 || (double)width * height > CANVAS_MAX_PIXELS) {
        return al_fail(err, AL_ERR_ARG,
                       "the figure would be %d x %d pixels; choose a smaller --scale or fewer "
                       "tensors", width, height);
    }
    out->pixels = malloc((size_t)3 * width * height);
    out->row_samples = malloc((size_t)width * sizeof *out->row_samples);
    if (!out->pixels || !out->row_samples) {
        free(out->pixels);
        free(out->row_samples);
        *out = (canvas){0};
        return al_fail(err, AL_ERR_NOMEM, "out of memory for a %d x %d picture", width, height);
    }
    out->width = width;
    out->height = height;
    canvas_fill_rect(out, 0, 0, width, height, background);
    return AL_OK;
}

void canvas_free(canvas *c)
{
    free(c->pixels);
    free(c->row_samples);
    *c = (canvas){0};
}

static void put(canvas *c, int x, int y, rgb colour)
{
    uint8_t *p = c->pixels + 3 * ((size_t)y * c->width + x);
    p[0] = colour.r;
    p[1] = colour.g;
    p[2] = colour.b;
}

/* Clip [*start, *start + *length) to [0, limit). */
static void clip(int *start, int *length, int limit)
{
    if (*start < 0) {
        *length += *start;
        *start = 0;
    }
    if (*start + *length > limit) {
        *length = limit - *start;
    }
}

void canvas_fill_rect(canvas *c, int x, int y, int width, int height, rgb colour)
{
    clip(&x, &width, c->width);
    clip(&y, &height, c->height);
    for (int row = y; row < y + height; row++) {
        for (int column = x; column < x + width; column++) {
            put(c, column, row, colour);
        }
    }
}

void canvas_hatch_rect(canvas *c, int x, int y, int width, int height)
{
    /* Lines where dx + dy, counted from the centre, is near spacing / 2
     * modulo spacing: the centre itself gives 0, halfway between two lines. */
    int spacing = width >= 24 ? 8 : 6;
    int thickness = 2;
    for (int dy = 0; dy < height; dy++) {
        for (int dx = 0; dx < width; dx++) {
            int d = ((dx - width / 2) + (dy - height / 2)) % spacing;
            d = d < 0 ? d + spacing : d;
            bool on_line = d >= (spacing - thickness) / 2 && d < (spacing + thickness) / 2;
            int px = x + dx, py = y + dy;
            if (px >= 0 && px < c->width && py >= 0 && py < c->height) {
                put(c, px, py, on_line ? RGB_HATCH : RGB_MASKED);
            }
        }
    }
}

void canvas_blend(canvas *c, int x, int y, rgb colour, uint8_t coverage)
{
    if (x < 0 || y < 0 || x >= c->width || y >= c->height || coverage == 0) {
        return;
    }
    uint8_t *p = c->pixels + 3 * ((size_t)y * c->width + x);
    const uint8_t source[3] = {colour.r, colour.g, colour.b};
    for (int k = 0; k < 3; k++) {
        /* p = p + (source - p) * coverage / 255, rounded, in integers so
         * the result is the same on every machine. */
        int mixed = p[k] * (255 - coverage) + source[k] * coverage;
        p[k] = (uint8_t)((mixed + 127) / 255);
    }
}

rgb canvas_pixel(const canvas *c, int x, int y)
{
    const uint8_t *p = c->pixels + 3 * ((size_t)y * c->width + x);
    return (rgb){p[0], p[1], p[2]};
}

/* Mix colour into pixel (x, y) by the share of its 16 samples set in bits. */
static void blend_samples(canvas *c, int x, int y, rgb colour, uint16_t bits)
{
    int count = 0;
    for (uint16_t b = bits; b; b &= (uint16_t)(b - 1)) {
        count++;
    }
    canvas_blend(c, x, y, colour, (uint8_t)((count * 255 + 8) / 16));
}

/* Whether the point at distance position along a dashed line is in a dash.
 * dash alternates on and off lengths adding up to period. */
static bool dash_on(double position, const double *dash, int n_dash, double period)
{
    if (n_dash == 0) {
        return true;
    }
    double phase = fmod(position, period);
    for (int k = 0; k < n_dash; k++) {
        if (phase < dash[k]) {
            return k % 2 == 0;
        }
        phase -= dash[k];
    }
    return false;
}

/* One segment of a polyline, from (x0, y0), `start` pixels along the line. */
typedef struct segment {
    double x0, y0, dx, dy, length, start;
    bool first, last;
} segment;

/* Whether sample (qx, qy) is under segment s of a line half_width wide. A
 * sample beyond either end belongs to the round join there, except beyond
 * the line's own two ends, which are cut flat. */
static bool segment_covers(const segment *s, double qx, double qy, double half_width,
                           const double *dash, int n_dash, double period)
{
    double along = ((qx - s->x0) * s->dx + (qy - s->y0) * s->dy) / s->length;
    if ((along < 0 && s->first) || (along > s->length && s->last)) {
        return false;
    }
    along = fmin(fmax(along, 0), s->length);
    double ex = qx - (s->x0 + s->dx * along / s->length);
    double ey = qy - (s->y0 + s->dy * along / s->length);
    return ex * ex + ey * ey <= half_width * half_width &&
           dash_on(s->start + along, dash, n_dash, period);
}

void canvas_stroke_polyline(canvas *c, const double *xy, int n, double width,
                            const double *dash, int n_dash, rgb colour)
{
    double half = width / 2, period = 0;
    for (int k = 0; k < n_dash; k++) {
        period += dash[k];
    }
    if (n_dash > 0 && !(period > 0)) {
        return;
    }
    double top = INFINITY, bottom = -INFINITY;
    for (int k = 0; k < n; k++) {
        top = fmin(top, xy[2 * k + 1]);
        bottom = fmax(bottom, xy[2 * k + 1]);
    }
    int row0 = (int)fmax(0, floor(top - half));
    int row1 = (int)fmin(c->height - 1, ceil(bottom + half));
    /* Row by row: each segment near the row sets the samples it covers,
     * so where two segments overlap (at a join) a sample counts once. */
    for (int row = row0; row <= row1; row++) {
        int left = c->width, right = -1;
        double start = 0;
        for (int k = 0; k + 1 < n; k++) {
            segment s = {xy[2 * k], xy[2 * k + 1], xy[2 * k + 2] - xy[2 * k],
                         xy[2 * k + 3] - xy[2 * k + 1], 0, start, k == 0, k + 2 == n};
            s.length = hypot(s.dx, s.dy);
            start += s.length;
            double y_low = fmin(s.y0, s.y0 + s.dy) - half, y_high = fmax(s.y0, s.y0 + s.dy) + half;
            if (s.length == 0 || y_high < row || y_low > row + 1) {
                continue;
            }
            int x0 = (int)fmax(0, floor(fmin(s.x0, s.x0 + s.dx) - half));
            int x1 = (int)fmin(c->width - 1, ceil(fmax(s.x0, s.x0 + s.dx) + half));
            for (int x = x0; x <= x1; x++) {
                if (x < left || x > right) {
                    /* First time this row reaches pixel x: clear the pixels
                     * between the old and the new reach. */
                    int from = right < left ? x : x < left ? x : right + 1;
                    int to = right < left ? x : x < left ? left - 1 : x;
                    for (int j = from; j <= to; j++) {
                        c->row_samples[j] = 0;
                    }
                    left = x < left ? x : left;
                    right = x > right ? x : right;
                }
                uint16_t bits = 0;
                for (int sample = 0; sample < SAMPLES * SAMPLES; sample++) {
                    double qx = x + (sample % SAMPLES + 0.5) / SAMPLES;
                    double qy = row + (sample / SAMPLES + 0.5) / SAMPLES;
                    if (segment_covers(&s, qx, qy, half, dash, n_dash, period)) {
                        bits |= (uint16_t)(1u << sample);
                    }
                }
                c->row_samples[x] |= bits;
            }
        }
        for (int x = left; x <= right; x++) {
            blend_samples(c, x, row, colour, c->row_samples[x]);
        }
    }
}

int marker_corners(double *xy, marker_shape shape, double x, double y, double size)
{
    /* Sized so that each shape looks about as heavy as the circle. */
    double r = size / 2;
    switch (shape) {
    case MARKER_CIRCLE:
        return 0;
    case MARKER_SQUARE: {
        double a = 0.85 * r;
        const double corners[8] = {x - a, y - a, x + a, y - a, x + a, y + a, x - a, y + a};
        memcpy(xy, corners, sizeof corners);
        return 4;
    }
    case MARKER_DIAMOND: {
        double a = 1.2 * r, b = 0.9 * r;
        const double corners[8] = {x, y - a, x + b, y, x, y + a, x - b, y};
        memcpy(xy, corners, sizeof corners);
        return 4;
    }
    case MARKER_TRIANGLE:
    case MARKER_TRIANGLE_DOWN: {
        /* The centre of the triangle on (x, y). */
        double a = 1.25 * r, sign = shape == MARKER_TRIANGLE ? 1 : -1;
        const double corners[6] = {x, y - sign * a, x + 0.866 * a, y + sign * 0.5 * a,
                                   x - 0.866 * a, y + sign * 0.5 * a};
        memcpy(xy, corners, sizeof corners);
        return 3;
    }
    }
    return 0;
}

/* Whether (qx, qy) is inside the convex polygon of n corners (either turn). */
static bool inside_polygon(const double *xy, int n, double qx, double qy)
{
    bool any_left = false, any_right = false;
    for (int k = 0; k < n; k++) {
        int next = (k + 1) % n;
        double cross = (xy[2 * next] - xy[2 * k]) * (qy - xy[2 * k + 1]) -
                       (xy[2 * next + 1] - xy[2 * k + 1]) * (qx - xy[2 * k]);
        any_left |= cross < 0;
        any_right |= cross > 0;
    }
    return !(any_left && any_right);
}

void canvas_fill_marker(canvas *c, marker_shape shape, double x, double y, double size,
                        rgb colour)
{
    double corners[2 * MARKER_MAX_CORNERS];
    int n = marker_corners(corners, shape, x, y, size);
    double reach = 0.75 * size;  /* past every corner of every shape */
    int x0 = (int)floor(x - reach), x1 = (int)ceil(x + reach);
    int y0 = (int)floor(y - reach), y1 = (int)ceil(y + reach);
    for (int py = y0; py <= y1; py++) {
        for (int px = x0; px <= x1; px++) {
            uint16_t bits = 0;
            for (int sample = 0; sample < SAMPLES * SAMPLES; sample++) {
                double qx = px + (sample % SAMPLES + 0.5) / SAMPLES;
                double qy = py + (sample / SAMPLES + 0.5) / SAMPLES;
                bool in = n == 0 ? (qx - x) * (qx - x) + (qy - y) * (qy - y) <= size * size / 4
                                 : inside_polygon(corners, n, qx, qy);
                if (in) {
                    bits |= (uint16_t)(1u << sample);
                }
            }
            blend_samples(c, px, py, colour, bits);  /* clipped by canvas_blend */
        }
    }
}
