/* colormap.h: turning a number into a colour. Three maps: viridis for
 * weights and other one-signed values, a blue-white-red diverging map for
 * signed values (Q, K, raw scores), and a white-to-black gray for print.
 * A colour scale fixes which values the two ends of a map stand for.
 * It draws nothing; canvas.h and scene.h do. */
#ifndef ATTNLAB_RENDER_COLORMAP_H
#define ATTNLAB_RENDER_COLORMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "attnlab/trace_file.h"

typedef struct rgb {
    uint8_t r, g, b;
} rgb;

typedef enum colour_map {
    MAP_VIRIDIS,    /* dark purple (low) to yellow (high)       */
    MAP_DIVERGING,  /* blue (low), near-white (middle), red (high) */
    MAP_GRAY        /* white (low) to black (high): ink = weight */
} colour_map;

/* Which values the ends of a map stand for: low gives the bottom colour,
 * high the top, and values between are placed linearly. */
typedef struct colour_scale {
    colour_map map;
    float low, high;
} colour_scale;

/* Colours every figure shares. A masked cell is a neutral light gray with
 * darker gray hatching, far from every colour of the maps above except the
 * grays, and the hatching tells it from those. */
#define RGB_WHITE      ((rgb){0xff, 0xff, 0xff})
#define RGB_TEXT       ((rgb){0x1a, 0x1a, 0x1a})
#define RGB_SOFT_TEXT  ((rgb){0x4d, 0x4d, 0x4d})
#define RGB_AXIS       ((rgb){0x80, 0x80, 0x80})
#define RGB_MASKED     ((rgb){0xdc, 0xdc, 0xdc})
#define RGB_HATCH      ((rgb){0x96, 0x96, 0x96})

/* The colour at position t of a map: t = 0 is the bottom, 1 the top;
 * t outside [0, 1] is clamped. */
rgb colour_map_at(colour_map map, double t);

/* The colour of value on scale (value must not be NaN). */
rgb colour_scale_rgb(const colour_scale *scale, float value);

/* Relative luminance of an sRGB colour, 0 (black) to 1 (white), for
 * choosing dark or light text on top of it. */
double rgb_luminance(rgb colour);

/* True for a tensor of probabilities (the output of softmax_rows, a name
 * ending in "weights" or "probs", an RNN's ".alignment"): drawn on the fixed range [0, 1] so that
 * figures are comparable across the book. */
bool tensor_is_probability(const al_trace_tensor *tensor);

/* The same from a tensor's name and op alone (before its numbers are read). */
bool is_probability(const char *name, const char *op);

/* The one scale for a figure showing n tensors together:
 *   all probabilities            viridis on [0, 1]
 *   any negative value           diverging on [-m, m], m = max |x|
 *   otherwise                    viridis on [min, max]
 * and with gray, the gray map on the same range. NaN (masked) entries are
 * left out. A range of one value is widened so that low < high. */
void colour_scale_for_tensors(colour_scale *scale, const al_trace_tensor *const *tensors, int n,
                              bool gray);

#endif
