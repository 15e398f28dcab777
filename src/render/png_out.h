/* png_out.h: a canvas written as a PNG file through libpng: 8-bit RGB,
 * the resolution in a pHYs chunk, a fixed zlib level and no time chunk, so
 * the same canvas always gives the same bytes. Not a PNG reader. */
#ifndef ATTNLAB_RENDER_PNG_OUT_H
#define ATTNLAB_RENDER_PNG_OUT_H

#include <stdio.h>

#include "attnlab/status.h"
#include "canvas.h"

/* Write c as PNG to stream, recording dpi dots per inch. path names the
 * file the stream will become, for the message when a write fails (which
 * gives the system's reason: "No space left on device"). */
al_status png_write_canvas(FILE *stream, const char *path, const canvas *c, int dpi,
                           al_error *err);

#endif
