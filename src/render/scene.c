/* scene.c: building, moving and rasterising a list of drawing items.
 * No layout decisions and no file formats. */
#include "scene.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void scene_init(scene *s, text_font *font)
{
    *s = (scene){.font = font};
}

void scene_free(scene *s)
{
    for (int k = 0; k < s->n_items; k++) {
        free(s->items[k].text);
        free(s->items[k].points);
    }
    free(s->items);
    *s = (scene){0};
}

/* Room for one more item, or NULL (and out_of_memory set). */
static scene_item *new_item(scene *s)
{
    if (s->n_items == s->capacity) {
        int capacity = s->capacity ? 2 * s->capacity : 64;
        scene_item *bigger = realloc(s->items, (size_t)capacity * sizeof *bigger);
        if (!bigger) {
            s->out_of_memory = true;
            return NULL;
        }
        s->items = bigger;
        s->capacity = capacity;
    }
    scene_item *item = &s->items[s->n_items++];
    *item = (scene_item){0};
    return item;
}

static void add_box_item(scene *s, scene_item_kind kind, int x, int y, int width, int height,
                         rgb colour)
{
    scene_item *item = new_item(s);
    if (item) {
        *item = (scene_item){.kind = kind, .x = x, .y = y, .width = width, .height = height,
                             .colour = colour, .extent = {x, y, x + width, y + height}};
    }
}

void scene_add_rect(scene *s, int x, int y, int width, int height, rgb colour)
{
    add_box_item(s, ITEM_RECT, x, y, width, height, colour);
}

void scene_add_masked(scene *s, int x, int y, int width, int height)
{
    add_box_item(s, ITEM_MASKED, x, y, width, height, RGB_MASKED);
}

box scene_add_text(scene *s, const char *utf8, double size_px, double angle_deg, double x,
                   double y, double along, double across, rgb colour)
{
    text_placement p = text_place(s->font, utf8, size_px, angle_deg, x, y, along, across);
    char *copy = malloc(strlen(utf8) + 1);
    scene_item *item = copy ? new_item(s) : NULL;
    if (!item) {
        s->out_of_memory = true;
        free(copy);
        return p.extent;
    }
    strcpy(copy, utf8);
    *item = (scene_item){.kind = ITEM_TEXT, .colour = colour, .text = copy, .size_px = size_px,
                         .angle_deg = angle_deg, .pen_x = p.pen_x, .pen_y = p.pen_y,
                         .extent = p.extent};
    return p.extent;
}

void scene_add_line(scene *s, const double *xy, int n, double width, const double *dash,
                    int n_dash, rgb colour)
{
    double *copy = malloc((size_t)2 * (n > 0 ? n : 1) * sizeof *copy);
    scene_item *item = copy ? new_item(s) : NULL;
    if (!item) {
        s->out_of_memory = true;
        free(copy);
        return;
    }
    memcpy(copy, xy, (size_t)2 * n * sizeof *copy);
    box extent = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int k = 0; k < n; k++) {
        extent = box_union(extent, (box){xy[2 * k] - width / 2, xy[2 * k + 1] - width / 2,
                                         xy[2 * k] + width / 2, xy[2 * k + 1] + width / 2});
    }
    *item = (scene_item){.kind = ITEM_LINE, .colour = colour, .points = copy, .n_points = n,
                         .line_width = width, .n_dash = n_dash < SCENE_MAX_DASH ? n_dash
                                                                             : SCENE_MAX_DASH,
                         .extent = n > 0 ? extent : (box){0, 0, 0, 0}};
    for (int k = 0; k < item->n_dash; k++) {
        item->dash[k] = dash[k];
    }
}

void scene_add_marker(scene *s, marker_shape shape, double x, double y, double size,
                      rgb colour)
{
    scene_item *item = new_item(s);
    if (item) {
        double reach = 0.75 * size;
        *item = (scene_item){.kind = ITEM_MARKER, .colour = colour, .marker = shape,
                             .pen_x = x, .pen_y = y, .size_px = size,
                             .extent = {x - reach, y - reach, x + reach, y + reach}};
    }
}

box box_union(box a, box b)
{
    return (box){fmin(a.x0, b.x0), fmin(a.y0, b.y0), fmax(a.x1, b.x1), fmax(a.y1, b.y1)};
}

box scene_bounds(const scene *s)
{
    if (s->n_items == 0) {
        return (box){0, 0, 0, 0};
    }
    box bounds = s->items[0].extent;
    for (int k = 1; k < s->n_items; k++) {
        bounds = box_union(bounds, s->items[k].extent);
    }
    return bounds;
}

/* Move one item. Rectangles stay on whole pixels, so callers move scenes
 * by whole pixels to keep cell edges sharp. */
static void move_item(scene_item *item, double dx, double dy)
{
    item->x += (int)lround(dx);
    item->y += (int)lround(dy);
    item->pen_x += dx;
    item->pen_y += dy;
    for (int k = 0; k < item->n_points; k++) {
        item->points[2 * k] += dx;
        item->points[2 * k + 1] += dy;
    }
    item->extent = (box){item->extent.x0 + dx, item->extent.y0 + dy, item->extent.x1 + dx,
                         item->extent.y1 + dy};
}

void scene_translate(scene *s, double dx, double dy)
{
    for (int k = 0; k < s->n_items; k++) {
        move_item(&s->items[k], dx, dy);
    }
}

void scene_append(scene *dst, const scene *src, double dx, double dy)
{
    for (int k = 0; k < src->n_items; k++) {
        const scene_item *from = &src->items[k];
        char *copy = NULL;
        double *points = NULL;
        if (from->text) {
            copy = malloc(strlen(from->text) + 1);
            if (!copy) {
                dst->out_of_memory = true;
                return;
            }
            strcpy(copy, from->text);
        }
        if (from->points) {
            points = malloc((size_t)2 * from->n_points * sizeof *points + 1);
            if (!points) {
                free(copy);
                dst->out_of_memory = true;
                return;
            }
            memcpy(points, from->points, (size_t)2 * from->n_points * sizeof *points);
        }
        scene_item *item = new_item(dst);
        if (!item) {
            free(copy);
            free(points);
            return;
        }
        *item = *from;
        item->text = copy;
        item->points = points;
        move_item(item, dx, dy);
    }
}

al_status scene_status(const scene *s, al_error *err)
{
    return s->out_of_memory ? al_fail(err, AL_ERR_NOMEM, "out of memory laying out the figure")
                            : AL_OK;
}

void scene_draw(canvas *c, const scene *s)
{
    for (int k = 0; k < s->n_items; k++) {
        const scene_item *item = &s->items[k];
        switch (item->kind) {
        case ITEM_RECT:
            canvas_fill_rect(c, item->x, item->y, item->width, item->height, item->colour);
            break;
        case ITEM_MASKED:
            canvas_hatch_rect(c, item->x, item->y, item->width, item->height);
            break;
        case ITEM_TEXT:
            text_draw(c, s->font, item->text, item->size_px, item->angle_deg, item->pen_x,
                      item->pen_y, item->colour);
            break;
        case ITEM_LINE:
            canvas_stroke_polyline(c, item->points, item->n_points, item->line_width, item->dash,
                                   item->n_dash, item->colour);
            break;
        case ITEM_MARKER:
            canvas_fill_marker(c, item->marker, item->pen_x, item->pen_y, item->size_px,
                               item->colour);
            break;
        }
    }
}
