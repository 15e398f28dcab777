/* canvas.c: filling, hatching and blending pixels of an RGB canvas.
 * No text, no file formats. */
#include "canvas.h"

#include <stdlib.h>

al_status canvas_create(canvas *out, int width, int height, rgb background, al_error *err)
{
    *out = (canvas){0};
    /* 100 million pixels (300 MB) is far beyond any page; a figure that
     * big is a mistake in --scale or --select, not a wish. */
    if (width <= 0 || height <= 0 || (double)width * height > 100e6) {
        return al_fail(err, AL_ERR_ARG,
                       "the figure would be %d x %d pixels; choose a smaller --scale or fewer "
                       "tensors", width, height);
    }
    out->pixels = malloc((size_t)3 * width * height);
    if (!out->pixels) {
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
