/* canvas.h: an RGB picture in memory, for the PNG renderers.
 * Pixels are 8-bit R, G, B, row after row from the top, each row
 * 3 * width bytes, no padding. Everything drawn is clipped to the canvas.
 * It knows rectangles, hatching and blending one pixel; text is text.h. */
#ifndef ATTNLAB_RENDER_CANVAS_H
#define ATTNLAB_RENDER_CANVAS_H

#include <stdint.h>

#include "attnlab/status.h"
#include "colormap.h"

typedef struct canvas {
    int width, height;
    uint8_t *pixels;  /* 3 * width * height bytes */
} canvas;

/* Allocate a width x height canvas filled with background. The caller frees
 * it with canvas_free. */
al_status canvas_create(canvas *out, int width, int height, rgb background, al_error *err);

void canvas_free(canvas *c);

/* Fill the rectangle with its top-left corner at (x, y). */
void canvas_fill_rect(canvas *c, int x, int y, int width, int height, rgb colour);

/* The masked-cell pattern in a rectangle: RGB_MASKED with RGB_HATCH lines
 * running up to the right. The lines are placed so that the rectangle's
 * centre falls halfway between two of them (a test samples it). */
void canvas_hatch_rect(canvas *c, int x, int y, int width, int height);

/* Mix colour into pixel (x, y) with coverage 0 (none) to 255 (all). */
void canvas_blend(canvas *c, int x, int y, rgb colour, uint8_t coverage);

/* Pixel (x, y), which must be inside the canvas. */
rgb canvas_pixel(const canvas *c, int x, int y);

#endif
