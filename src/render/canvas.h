/* canvas.h: an RGB picture in memory, for the PNG renderers.
 * Pixels are 8-bit R, G, B, row after row from the top, each row
 * 3 * width bytes, no padding. Everything drawn is clipped to the canvas.
 * It knows rectangles, hatching, blending one pixel, and the two pieces of
 * a line chart: a wide (and dashed) polyline and a point marker, both
 * anti-aliased by counting 4 x 4 samples per pixel; text is text.h. */
#ifndef ATTNLAB_RENDER_CANVAS_H
#define ATTNLAB_RENDER_CANVAS_H

#include <stdbool.h>
#include <stdint.h>

#include "attnlab/status.h"
#include "colormap.h"

typedef struct canvas {
    int width, height;
    uint8_t *pixels;  /* 3 * width * height bytes */
    uint16_t *row_samples;  /* width entries: which of a pixel's 16 samples a
                               polyline covers, one row at a time */
} canvas;

/* The most pixels a figure may have: 100 million (300 MB) is far beyond
 * any page; a figure that big is a mistake in --scale or --select. */
#define CANVAS_MAX_PIXELS 100e6

/* Allocate a width x height canvas filled with background, refusing more
 * than CANVAS_MAX_PIXELS. The caller frees it with canvas_free. */
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

/* A stroked polyline: n points (x, y) pairs in xy, width pixels wide,
 * with round joins and flat ends (SVG's stroke-linejoin="round",
 * stroke-linecap="butt"). dash holds n_dash on and off lengths in pixels
 * measured along the line from its first point (as stroke-dasharray);
 * n_dash 0 is a solid line. A pixel takes colour by the share of its 16
 * samples that the stroke covers, overlapping segments counted once. */
void canvas_stroke_polyline(canvas *c, const double *xy, int n, double width,
                            const double *dash, int n_dash, rgb colour);

/* The shapes that tell series apart where colour cannot (print). */
typedef enum marker_shape {
    MARKER_CIRCLE, MARKER_SQUARE, MARKER_TRIANGLE, MARKER_DIAMOND, MARKER_TRIANGLE_DOWN
} marker_shape;
#define MARKER_SHAPES 5
#define MARKER_MAX_CORNERS 4

/* The corners of a marker of the given size (its width) centred on (x, y),
 * as (x, y) pairs in xy (room for MARKER_MAX_CORNERS), clockwise on the
 * screen; returns how many, 0 for the circle (radius size / 2). The SVG
 * writer draws the same polygon. */
int marker_corners(double *xy, marker_shape shape, double x, double y, double size);

/* A filled marker, anti-aliased like the polyline. */
void canvas_fill_marker(canvas *c, marker_shape shape, double x, double y, double size,
                        rgb colour);

/* Pixel (x, y), which must be inside the canvas. */
rgb canvas_pixel(const canvas *c, int x, int y);

#endif
