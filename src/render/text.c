/* text.c: fontconfig finds DejaVu Sans, FreeType measures and draws it.
 * Glyphs are loaded unhinted and placed by their linear (unrounded)
 * advances, so a string has one length at every angle and in the SVG too.
 * Not a layout engine: callers decide where text goes. */
#include "text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#define PI 3.14159265358979323846

struct text_font {
    FT_Library library;
    FT_Face face;
};

/* Ask fontconfig which file holds DejaVu Sans. *path is the caller's to
 * free. */
static al_status find_font_file(char **path, al_error *err)
{
    *path = NULL;
    FcConfig *config = FcInitLoadConfigAndFonts();
    if (!config) {
        return al_fail(err, AL_ERR_IO, "fontconfig could not load its configuration");
    }
    FcPattern *pattern = FcNameParse((const FcChar8 *)TEXT_FAMILY);
    FcPattern *match = NULL;
    al_status status = AL_OK;
    if (!pattern) {
        status = al_fail(err, AL_ERR_NOMEM, "out of memory asking fontconfig for a font");
        goto done;
    }
    FcConfigSubstitute(config, pattern, FcMatchPattern);
    FcDefaultSubstitute(pattern);
    FcResult result;
    match = FcFontMatch(config, pattern, &result);
    FcChar8 *family = NULL, *file = NULL;
    if (!match || FcPatternGetString(match, FC_FAMILY, 0, &family) != FcResultMatch ||
        FcPatternGetString(match, FC_FILE, 0, &file) != FcResultMatch) {
        status = al_fail(err, AL_ERR_IO, "fontconfig found no font at all for \"%s\"",
                         TEXT_FAMILY);
        goto done;
    }
    /* Fontconfig always offers something; only DejaVu Sans gives the
     * figures of the book, so anything else is refused, not substituted. */
    if (strcmp((const char *)family, TEXT_FAMILY) != 0) {
        status = al_fail(err, AL_ERR_IO,
                         "the font \"%s\" is not installed (fontconfig offered \"%s\"); "
                         "install fonts-dejavu-core", TEXT_FAMILY, (const char *)family);
        goto done;
    }
    *path = malloc(strlen((const char *)file) + 1);
    if (!*path) {
        status = al_fail(err, AL_ERR_NOMEM, "out of memory");
        goto done;
    }
    strcpy(*path, (const char *)file);
done:
    if (match) {
        FcPatternDestroy(match);
    }
    if (pattern) {
        FcPatternDestroy(pattern);
    }
    FcConfigDestroy(config);
    return status;
}

al_status text_font_open(text_font **font, al_error *err)
{
    *font = NULL;
    char *path;
    al_status status = find_font_file(&path, err);
    if (status != AL_OK) {
        return status;
    }
    text_font *f = calloc(1, sizeof *f);
    if (!f) {
        free(path);
        return al_fail(err, AL_ERR_NOMEM, "out of memory");
    }
    if (FT_Init_FreeType(&f->library) != 0) {
        status = al_fail(err, AL_ERR_IO, "FreeType could not start");
    } else if (FT_New_Face(f->library, path, 0, &f->face) != 0) {
        status = al_fail(err, AL_ERR_IO, "FreeType could not open the font file %s", path);
    }
    free(path);
    if (status != AL_OK) {
        text_font_close(f);
        return status;
    }
    *font = f;
    return AL_OK;
}

void text_font_close(text_font *font)
{
    if (!font) {
        return;
    }
    if (font->face) {
        FT_Done_Face(font->face);
    }
    if (font->library) {
        FT_Done_FreeType(font->library);
    }
    free(font);
}

unsigned long utf8_next(const char **text)
{
    const unsigned char *s = (const unsigned char *)*text;
    int length = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
               : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    unsigned long code = length == 1 ? s[0] : length == 2 ? s[0] & 0x1fu
                       : length == 3 ? s[0] & 0x0fu : s[0] & 0x07u;
    for (int k = 1; k < length; k++) {
        if ((s[k] & 0xc0) != 0x80) {
            length = 0;
            break;
        }
        code = (code << 6) | (s[k] & 0x3fu);
    }
    if (length == 0) {
        *text += 1;
        return 0xfffd;
    }
    *text += length;
    return code;
}

static void set_size(text_font *font, double size_px)
{
    /* A character size in points at 72 dots per inch is a size in pixels;
     * 26.6 fixed point allows fractional sizes. */
    FT_Set_Char_Size(font->face, 0, (FT_F26Dot6)lround(size_px * 64), 72, 72);
}

/* Walk the glyphs of utf8: for each, its glyph index and its distance
 * along the baseline from the pen (pixels), kerning included. Returns the
 * total advance. visit may be NULL (measuring only). */
typedef void glyph_visitor(void *context, FT_UInt glyph, double along);

static double walk_glyphs(text_font *font, const char *utf8, glyph_visitor *visit,
                          void *context)
{
    FT_Face face = font->face;
    double along = 0;
    FT_UInt previous = 0;
    while (*utf8) {
        FT_UInt glyph = FT_Get_Char_Index(face, utf8_next(&utf8));
        if (previous && FT_HAS_KERNING(face)) {
            FT_Vector kerning;
            if (FT_Get_Kerning(face, previous, glyph, FT_KERNING_UNFITTED, &kerning) == 0) {
                along += kerning.x / 64.0;
            }
        }
        if (visit) {
            visit(context, glyph, along);
        }
        /* linearHoriAdvance: the unhinted advance in 16.16 pixels. */
        if (FT_Load_Glyph(face, glyph, FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP) == 0) {
            along += face->glyph->linearHoriAdvance / 65536.0;
        }
        previous = glyph;
    }
    return along;
}

text_metrics text_measure(text_font *font, const char *utf8, double size_px)
{
    set_size(font, size_px);
    FT_Face face = font->face;
    double per_unit = size_px / face->units_per_EM;
    return (text_metrics){
        .advance = walk_glyphs(font, utf8, NULL, NULL),
        .ascent = face->ascender * per_unit,
        .descent = -face->descender * per_unit,
    };
}

text_placement text_place(text_font *font, const char *utf8, double size_px, double angle_deg,
                          double x, double y, double along, double across)
{
    text_metrics m = text_measure(font, utf8, size_px);
    double c = cos(angle_deg * PI / 180), s = sin(angle_deg * PI / 180);
    /* A point (u along the baseline, v down across it) of the text is at
     * screen (pen_x + u c + v s, pen_y - u s + v c): rotation by the angle
     * counter-clockwise, with screen y growing downwards. */
    double u = along * m.advance, v = -m.ascent + across * (m.ascent + m.descent);
    text_placement p = {.pen_x = x - (u * c + v * s), .pen_y = y - (-u * s + v * c)};
    const double corner_u[4] = {0, m.advance, 0, m.advance};
    const double corner_v[4] = {-m.ascent, -m.ascent, m.descent, m.descent};
    p.extent = (box){INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int k = 0; k < 4; k++) {
        double px = p.pen_x + corner_u[k] * c + corner_v[k] * s;
        double py = p.pen_y - corner_u[k] * s + corner_v[k] * c;
        p.extent.x0 = fmin(p.extent.x0, px);
        p.extent.x1 = fmax(p.extent.x1, px);
        p.extent.y0 = fmin(p.extent.y0, py);
        p.extent.y1 = fmax(p.extent.y1, py);
    }
    return p;
}

typedef struct draw_context {
    canvas *canvas;
    FT_Face face;
    FT_Matrix rotation;
    double pen_x, pen_y, cos_angle, sin_angle;
    rgb colour;
} draw_context;

/* Render one glyph, its origin along pixels from the pen on the baseline,
 * and blend its coverage into the canvas. FreeType's y axis points up, so
 * screen y is its negative. */
static void draw_glyph(void *context, FT_UInt glyph, double along)
{
    draw_context *d = context;
    double origin_x = d->pen_x + along * d->cos_angle;
    double origin_y = d->pen_y - along * d->sin_angle;
    FT_Vector origin = {(FT_Pos)lround(origin_x * 64), (FT_Pos)lround(-origin_y * 64)};
    FT_Set_Transform(d->face, &d->rotation, &origin);
    if (FT_Load_Glyph(d->face, glyph, FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP | FT_LOAD_RENDER) != 0) {
        return;
    }
    FT_GlyphSlot slot = d->face->glyph;
    const FT_Bitmap *bitmap = &slot->bitmap;
    if (bitmap->pixel_mode != FT_PIXEL_MODE_GRAY) {
        return;
    }
    for (unsigned row = 0; row < bitmap->rows; row++) {
        for (unsigned column = 0; column < bitmap->width; column++) {
            uint8_t coverage = bitmap->buffer[(long)row * bitmap->pitch + column];
            canvas_blend(d->canvas, slot->bitmap_left + (int)column, -slot->bitmap_top + (int)row,
                         d->colour, coverage);
        }
    }
}

void text_draw(canvas *c, text_font *font, const char *utf8, double size_px, double angle_deg,
               double pen_x, double pen_y, rgb colour)
{
    set_size(font, size_px);
    double radians = angle_deg * PI / 180;
    draw_context d = {
        .canvas = c, .face = font->face, .pen_x = pen_x, .pen_y = pen_y,
        .cos_angle = cos(radians), .sin_angle = sin(radians), .colour = colour,
    };
    /* FreeType's rotation matrix in 16.16, for its y-up coordinates. */
    d.rotation.xx = (FT_Fixed)lround(d.cos_angle * 65536);
    d.rotation.xy = (FT_Fixed)lround(-d.sin_angle * 65536);
    d.rotation.yx = (FT_Fixed)lround(d.sin_angle * 65536);
    d.rotation.yy = (FT_Fixed)lround(d.cos_angle * 65536);
    walk_glyphs(font, utf8, draw_glyph, &d);
    FT_Set_Transform(font->face, NULL, NULL);
}
