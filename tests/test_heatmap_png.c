/* test_heatmap_png.c: PNG decoding and scratch folders for the renderer
 * tests. libpng's classic reading interface, so the tests can also see
 * which chunks a file holds (pHYs, tIME). */
#define _XOPEN_SOURCE 700  /* nftw */

#include "test_heatmap_png.h"

#include <dirent.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <png.h>

bool png_picture_read(png_picture *picture, const char *path)
{
    *picture = (png_picture){0};
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "cannot open %s\n", path);
        return false;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        fprintf(stderr, "libpng could not decode %s\n", path);
        png_destroy_read_struct(&png, &info, NULL);
        free(picture->pixels);
        *picture = (png_picture){0};
        fclose(file);
        return false;
    }
    png_init_io(png, file);
    png_read_info(png, info);
    /* Whatever the file holds, ask libpng for 8-bit RGB. */
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_gray_to_rgb(png);
    png_read_update_info(png, info);
    picture->width = (int)png_get_image_width(png, info);
    picture->height = (int)png_get_image_height(png, info);
    if (png_get_rowbytes(png, info) != (size_t)3 * picture->width) {
        longjmp(png_jmpbuf(png), 1);
    }
    picture->pixels = malloc((size_t)3 * picture->width * picture->height);
    for (int y = 0; picture->pixels && y < picture->height; y++) {
        png_read_row(png, picture->pixels + (size_t)3 * picture->width * y, NULL);
    }
    png_read_end(png, info);
    png_uint_32 x_per_metre, y_per_metre;
    int unit;
    picture->has_phys = png_get_pHYs(png, info, &x_per_metre, &y_per_metre, &unit) != 0 &&
                        unit == PNG_RESOLUTION_METER;
    picture->phys_x = x_per_metre;
    picture->phys_y = y_per_metre;
    picture->has_time = png_get_valid(png, info, PNG_INFO_tIME) != 0;
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    return picture->pixels != NULL;
}

void png_picture_free(png_picture *picture)
{
    free(picture->pixels);
    *picture = (png_picture){0};
}

colour png_pixel(const png_picture *picture, int x, int y)
{
    const uint8_t *p = picture->pixels + 3 * ((size_t)y * picture->width + x);
    return (colour){p[0], p[1], p[2]};
}

bool colour_equal(colour a, colour b)
{
    return a.r == b.r && a.g == b.g && a.b == b.b;
}

char *read_whole_file(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        return NULL;
    }
    size_t capacity = 1 << 16, used = 0, got;
    char *text = malloc(capacity + 1);
    while (text && (got = fread(text + used, 1, capacity - used, file)) > 0) {
        used += got;
        if (used == capacity) {
            char *bigger = realloc(text, 2 * capacity + 1);
            if (!bigger) {
                free(text);
                text = NULL;
                break;
            }
            text = bigger;
            capacity *= 2;
        }
    }
    fclose(file);
    if (text) {
        text[used] = '\0';
        *length = used;
    }
    return text;
}

bool file_exists(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0;
}

bool make_scratch_folder(char *folder, const char *name)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(folder, SCRATCH_FOLDER_SIZE, "%s/attnlab_%s_XXXXXX", base, name);
    return mkdtemp(folder) != NULL;
}

static int remove_entry(const char *path, const struct stat *info, int flag, struct FTW *ftw)
{
    (void)info;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void remove_folder(const char *folder)
{
    nftw(folder, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int count_entries(const char *folder)
{
    DIR *dir = opendir(folder);
    int n = 0;
    for (struct dirent *entry; dir && (entry = readdir(dir));) {
        n += strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0;
    }
    if (dir) {
        closedir(dir);
    }
    return n;
}
