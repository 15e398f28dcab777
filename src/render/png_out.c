/* png_out.c: writing a canvas with libpng. libpng reports errors by
 * longjmp; this file keeps that inside one function and turns it into an
 * al_status. It does not open or name files (attnlab/atomic_file.h does). */
#include "png_out.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <string.h>

#include <png.h>

/* Where libpng's errors go: the caller's err and the file's name. */
typedef struct png_failure {
    al_error *err;
    const char *path;
} png_failure;

/* libpng calls this on an error: keep its message with the path and the
 * system's reason (its "Write Error" comes from a failed fwrite, which set
 * errno), then jump back. */
static void on_png_error(png_structp png, png_const_charp message)
{
    const png_failure *failure = png_get_error_ptr(png);
    if (errno != 0)
        al_fail(failure->err, AL_ERR_IO, "cannot write %s: %s (libpng: %s)", failure->path,
                strerror(errno), message);
    else
        al_fail(failure->err, AL_ERR_IO, "cannot write %s: libpng: %s", failure->path, message);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp message)
{
    (void)png;
    (void)message;  /* warnings do not stop the figure */
}

al_status png_write_canvas(FILE *stream, const char *path, const canvas *c, int dpi,
                           al_error *err)
{
    png_failure failure = {err, path};
    errno = 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error,
                                              on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return al_fail(err, AL_ERR_NOMEM, "out of memory starting libpng");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return AL_ERR_IO;  /* on_png_error filled in err */
    }
    png_init_io(png, stream);
    /* Level 9 always: zlib's output depends only on its input and level. */
    png_set_compression_level(png, 9);
    png_set_IHDR(png, info, (png_uint_32)c->width, (png_uint_32)c->height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    /* pHYs holds pixels per metre: dpi / 0.0254. */
    png_uint_32 per_metre = (png_uint_32)lround(dpi / 0.0254);
    png_set_pHYs(png, info, per_metre, per_metre, PNG_RESOLUTION_METER);
    png_write_info(png, info);
    for (int y = 0; y < c->height; y++) {
        png_write_row(png, c->pixels + (size_t)3 * c->width * y);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return AL_OK;
}
