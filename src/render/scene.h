/* scene.h: a figure as a list of things to draw (filled rectangles,
 * masked cells, text, and for line charts polylines and markers), in
 * pixels with y growing downwards. Layout code builds a scene once; the
 * same scene is then drawn into a canvas for the PNG (scene_draw) and
 * written as SVG (svg_out.h), so the two agree.
 * It does not decide where anything goes. */
#ifndef ATTNLAB_RENDER_SCENE_H
#define ATTNLAB_RENDER_SCENE_H

#include <stdbool.h>

#include "attnlab/status.h"
#include "canvas.h"
#include "text.h"

typedef enum scene_item_kind {
    ITEM_RECT,    /* a filled rectangle                       */
    ITEM_MASKED,  /* a masked cell: the hatched pattern        */
    ITEM_TEXT,    /* one line of text at a pen position, turned */
    ITEM_LINE,    /* a polyline, stroked, maybe dashed         */
    ITEM_MARKER   /* a filled marker centred on a point        */
} scene_item_kind;

#define SCENE_MAX_DASH 4

typedef struct scene_item {
    scene_item_kind kind;
    int x, y, width, height;          /* ITEM_RECT, ITEM_MASKED */
    rgb colour;                       /* every kind but ITEM_MASKED */
    char *text;                       /* ITEM_TEXT, owned by the scene */
    double size_px, angle_deg;        /* ITEM_TEXT; size_px: ITEM_MARKER's width */
    double pen_x, pen_y;              /* ITEM_TEXT; ITEM_MARKER's centre */
    double *points;                   /* ITEM_LINE: n_points (x, y) pairs, owned */
    int n_points;
    double line_width;                /* ITEM_LINE */
    double dash[SCENE_MAX_DASH];      /* ITEM_LINE: on, off, ... lengths in pixels */
    int n_dash;                       /* 0: a solid line */
    marker_shape marker;              /* ITEM_MARKER */
    box extent;                       /* every item: the area it covers */
} scene_item;

/* Items in drawing order. A failed allocation is remembered (out_of_memory)
 * instead of being returned by every call, so layout code reads as a list
 * of drawing steps; scene_status reports it at the end. */
typedef struct scene {
    text_font *font;  /* borrowed, used to measure and draw text */
    scene_item *items;
    int n_items, capacity;
    bool out_of_memory;
} scene;

/* An empty scene measuring text with font. Free with scene_free. */
void scene_init(scene *s, text_font *font);
void scene_free(scene *s);

void scene_add_rect(scene *s, int x, int y, int width, int height, rgb colour);
void scene_add_masked(scene *s, int x, int y, int width, int height);

/* Add text placed as text_place does (the point (along, across) of its box
 * on (x, y)) and return the box it covers. */
box scene_add_text(scene *s, const char *utf8, double size_px, double angle_deg, double x,
                   double y, double along, double across, rgb colour);

/* Add a polyline through n points (x, y pairs in xy, copied), width
 * pixels wide, dashed by the n_dash (at most SCENE_MAX_DASH) lengths in
 * dash, or solid for n_dash 0. */
void scene_add_line(scene *s, const double *xy, int n, double width, const double *dash,
                    int n_dash, rgb colour);

/* Add a filled marker of the given width centred on (x, y). */
void scene_add_marker(scene *s, marker_shape shape, double x, double y, double size,
                      rgb colour);

/* The smallest box holding every item; all zero for an empty scene. */
box scene_bounds(const scene *s);

/* Move every item by (dx, dy). */
void scene_translate(scene *s, double dx, double dy);

/* Copy every item of src into dst, moved by (dx, dy). */
void scene_append(scene *dst, const scene *src, double dx, double dy);

/* AL_OK, or AL_ERR_NOMEM if any addition failed. */
al_status scene_status(const scene *s, al_error *err);

/* Draw every item into the canvas, in order. */
void scene_draw(canvas *c, const scene *s);

/* The union of two boxes. */
box box_union(box a, box b);

#endif
