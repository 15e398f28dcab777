/* svg_out.c: writing a scene as an SVG document. Numbers are written with
 * two decimals, so the same scene gives the same bytes. Not an SVG reader
 * or a general XML library. */
#include "svg_out.h"

#include <errno.h>
#include <string.h>

void xml_write_escaped(FILE *stream, const char *utf8)
{
    for (const unsigned char *c = (const unsigned char *)utf8; *c; c++) {
        switch (*c) {
        case '&':  fputs("&amp;", stream);  break;
        case '<':  fputs("&lt;", stream);   break;
        case '>':  fputs("&gt;", stream);   break;
        case '"':  fputs("&quot;", stream); break;
        case '\'': fputs("&#39;", stream);  break;
        default:
            if (*c < 0x20 && *c != '\t' && *c != '\n' && *c != '\r') {
                fputs("\xef\xbf\xbd", stream);  /* U+FFFD */
            } else {
                fputc(*c, stream);
            }
        }
    }
}

static void write_colour(FILE *stream, rgb colour)
{
    fprintf(stream, "#%02x%02x%02x", colour.r, colour.g, colour.b);
}

/* The masked-cell pattern: stripes of RGB_HATCH on RGB_MASKED, turned 45
 * degrees, like canvas_hatch_rect. */
static void write_defs(FILE *stream)
{
    fputs("<defs>\n<pattern id=\"masked\" width=\"8\" height=\"8\" "
          "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\n", stream);
    fputs("<rect width=\"8\" height=\"8\" fill=\"", stream);
    write_colour(stream, RGB_MASKED);
    fputs("\"/>\n<rect x=\"3\" width=\"2\" height=\"8\" fill=\"", stream);
    write_colour(stream, RGB_HATCH);
    fputs("\"/>\n</pattern>\n</defs>\n", stream);
}

static void write_item(FILE *stream, const scene_item *item)
{
    switch (item->kind) {
    case ITEM_RECT:
    case ITEM_MASKED:
        fprintf(stream, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"", item->x,
                item->y, item->width, item->height);
        if (item->kind == ITEM_MASKED) {
            fputs("url(#masked)", stream);
        } else {
            write_colour(stream, item->colour);
        }
        fputs("\"/>\n", stream);
        break;
    case ITEM_TEXT:
        fprintf(stream, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.2f\" fill=\"", item->pen_x,
                item->pen_y, item->size_px);
        write_colour(stream, item->colour);
        fputc('"', stream);
        if (item->angle_deg != 0) {
            /* SVG turns clockwise for a positive angle, y being down. */
            fprintf(stream, " transform=\"rotate(%.2f %.2f %.2f)\"", -item->angle_deg,
                    item->pen_x, item->pen_y);
        }
        fputc('>', stream);
        xml_write_escaped(stream, item->text);
        fputs("</text>\n", stream);
        break;
    case ITEM_LINE:
        /* Lines and markers are smooth, not crisp like the cells. */
        fputs("<polyline points=\"", stream);
        for (int k = 0; k < item->n_points; k++) {
            fprintf(stream, "%s%.2f,%.2f", k ? " " : "", item->points[2 * k],
                    item->points[2 * k + 1]);
        }
        fputs("\" fill=\"none\" stroke=\"", stream);
        write_colour(stream, item->colour);
        fprintf(stream, "\" stroke-width=\"%.2f\" stroke-linejoin=\"round\"", item->line_width);
        if (item->n_dash > 0) {
            fputs(" stroke-dasharray=\"", stream);
            for (int k = 0; k < item->n_dash; k++) {
                fprintf(stream, "%s%.2f", k ? "," : "", item->dash[k]);
            }
            fputc('"', stream);
        }
        fputs(" shape-rendering=\"geometricPrecision\"/>\n", stream);
        break;
    case ITEM_MARKER: {
        double corners[2 * MARKER_MAX_CORNERS];
        int n = marker_corners(corners, item->marker, item->pen_x, item->pen_y, item->size_px);
        if (n == 0) {
            fprintf(stream, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\"", item->pen_x,
                    item->pen_y, item->size_px / 2);
        } else {
            fputs("<polygon points=\"", stream);
            for (int k = 0; k < n; k++) {
                fprintf(stream, "%s%.2f,%.2f", k ? " " : "", corners[2 * k], corners[2 * k + 1]);
            }
            fputc('"', stream);
        }
        fputs(" fill=\"", stream);
        write_colour(stream, item->colour);
        fputs("\" shape-rendering=\"geometricPrecision\"/>\n", stream);
        break;
    }
    }
}

al_status svg_write_scene(FILE *stream, const scene *s, int width, int height, al_error *err)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", stream);
    fprintf(stream,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\">\n", width, height, width, height);
    write_defs(stream);
    fprintf(stream, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);
    /* One group carries the font, so every text element inherits it;
     * crispEdges keeps neighbouring cells from showing hairline seams. */
    fputs("<g font-family=\"" TEXT_FAMILY "\" shape-rendering=\"crispEdges\">\n", stream);
    for (int k = 0; k < s->n_items; k++) {
        write_item(stream, &s->items[k]);
    }
    fputs("</g>\n</svg>\n", stream);
    if (ferror(stream)) {
        return al_fail(err, AL_ERR_IO, "cannot write the SVG: %s", strerror(errno));
    }
    return AL_OK;
}
