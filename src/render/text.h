/* text.h: real text for the PNG figures: DejaVu Sans, found through
 * fontconfig and drawn by FreeType as anti-aliased glyphs blended into a
 * canvas, at any angle. Layout code measures here first (advance, ascent,
 * descent, and the box a placed string covers), so labels can be spaced
 * from their measured size. It does not break lines or shape scripts that
 * need shaping: one line, one glyph per character. */
#ifndef ATTNLAB_RENDER_TEXT_H
#define ATTNLAB_RENDER_TEXT_H

#include "attnlab/status.h"
#include "canvas.h"

/* The font family every figure uses, in PNG, SVG and DOT alike. */
#define TEXT_FAMILY "DejaVu Sans"

typedef struct text_font text_font;  /* FreeType and the face; opaque */

/* Find DejaVu Sans with fontconfig (FcFontMatch) and open it. Fails, naming
 * the font fontconfig offered instead, when DejaVu Sans is not installed.
 * The caller closes it with text_font_close. */
al_status text_font_open(text_font **font, al_error *err);

void text_font_close(text_font *font);

/* Sizes of one line of text at size_px pixels per em, unrotated: advance
 * is its length along the baseline, ascent how far the font's tallest
 * letters reach above the baseline, descent how far below (both >= 0). */
typedef struct text_metrics {
    double advance, ascent, descent;
} text_metrics;

text_metrics text_measure(text_font *font, const char *utf8, double size_px);

/* An axis-aligned box in pixels, y growing downwards. */
typedef struct box {
    double x0, y0, x1, y1;
} box;

/* Where a string goes: its pen (baseline start) and the box its logical
 * extent (advance x ascent + descent) covers once rotated. */
typedef struct text_placement {
    double pen_x, pen_y;
    box extent;
} text_placement;

/* Place utf8, turned angle_deg counter-clockwise, so that a chosen point of
 * its logical box lands on (x, y). The point is given in the text's own
 * directions: along = 0 its start, 0.5 its middle, 1 its end; across = 0
 * the ascent line, 0.5 halfway to the descent line, 1 the descent line. */
text_placement text_place(text_font *font, const char *utf8, double size_px, double angle_deg,
                          double x, double y, double along, double across);

/* Draw utf8 with its pen at (pen_x, pen_y), turned angle_deg
 * counter-clockwise, blending colour into the canvas by glyph coverage. */
void text_draw(canvas *c, text_font *font, const char *utf8, double size_px, double angle_deg,
               double pen_x, double pen_y, rgb colour);

/* The next Unicode code point of a UTF-8 string, advancing *text past it;
 * a malformed byte gives U+FFFD and advances by one. */
unsigned long utf8_next(const char **text);

#endif
