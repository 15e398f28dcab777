/* test_heatmap_png.h: what the renderer tests (test_heatmap.c,
 * test_flow.c) share: decoding a PNG with libpng into RGB pixels, a
 * scratch folder per test program, and reading whole files. The tests
 * decode the renderers' output independently of src/render. */
#ifndef ATTNLAB_TESTS_HEATMAP_PNG_H
#define ATTNLAB_TESTS_HEATMAP_PNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A decoded picture: 8-bit R, G, B, rows from the top, no padding. */
typedef struct png_picture {
    int width, height;
    uint8_t *pixels;
    bool has_phys;                 /* a pHYs chunk was present */
    unsigned long phys_x, phys_y;  /* pixels per metre, when has_phys */
    bool has_time;                 /* a tIME chunk was present */
} png_picture;

typedef struct colour {
    int r, g, b;
} colour;

/* Decode path with libpng. Returns false (and prints why) on failure.
 * Free with png_picture_free. */
bool png_picture_read(png_picture *picture, const char *path);
void png_picture_free(png_picture *picture);

colour png_pixel(const png_picture *picture, int x, int y);
bool colour_equal(colour a, colour b);

/* The whole file as a NUL-terminated string (*length bytes before the
 * NUL), or NULL if it cannot be read. The caller frees it. */
char *read_whole_file(const char *path, size_t *length);

bool file_exists(const char *path);

/* A new empty folder under $TMPDIR (or /tmp), its path in folder (of
 * SCRATCH_FOLDER_SIZE bytes); remove_folder deletes it and everything in it. */
#define SCRATCH_FOLDER_SIZE 1024
bool make_scratch_folder(char *folder, const char *name);
void remove_folder(const char *folder);

/* Entries in folder other than "." and ".." (to check nothing was left). */
int count_entries(const char *folder);

#endif
