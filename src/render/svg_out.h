/* svg_out.h: a scene written as SVG, with real <text> elements in DejaVu
 * Sans, so the figure scales and its words can be searched and copied.
 * It does not lay anything out: positions come from the scene. */
#ifndef ATTNLAB_RENDER_SVG_OUT_H
#define ATTNLAB_RENDER_SVG_OUT_H

#include <stdio.h>

#include "attnlab/status.h"
#include "scene.h"

/* Write s as a width x height pixel SVG document to stream. Returns
 * AL_ERR_IO if the stream reports an error. */
al_status svg_write_scene(FILE *stream, const scene *s, int width, int height, al_error *err);

/* Write text to stream with XML's special characters escaped (for both
 * content and attribute values); control characters that XML 1.0 cannot
 * hold become U+FFFD. Shared with the DOT writer's HTML-like labels. */
void xml_write_escaped(FILE *stream, const char *utf8);

#endif
