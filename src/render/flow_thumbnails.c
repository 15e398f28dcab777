/* flow_thumbnails.c: a small heatmap of each score and weight matrix, for
 * the flow diagram's nodes. Each is a PNG in a folder beside the diagram;
 * dot puts it in the node through <IMG SRC="folder/NAME.png"/> in the
 * HTML-like label (supported by dot's cairo PNG and PDF output, and
 * referenced, not embedded, by its SVG, which must stay beside the
 * folder). The cells are drawn by cells.c, as in attnlab-heatmap, with the
 * same colour scales; no text, which would be unreadable at this size.
 * A node standing for several heads (--collapse heads) gets none: no one
 * head speaks for the others. */
#include "flow.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "canvas.h"
#include "cells.h"
#include "colormap.h"
#include "attnlab/atomic_file.h"
#include "out_path.h"
#include "png_out.h"
#include "scene.h"

/* The largest side of a thumbnail, in points (the PNG says 72 dpi, so dot
 * takes one pixel for one point). */
#define THUMBNAIL_SIDE 72

bool flow_wants_thumbnail(const al_trace_tensor *t)
{
    static const char *const endings[] = {"*.scores", "*.scaled", "*.masked", "*.weights"};
    for (int k = 0; k < 4; k++) {
        if (fnmatch(endings[k], t->name, 0) == 0) {
            return true;
        }
    }
    return strcmp(t->op, "softmax_rows") == 0 && t->rows > 1;
}

/* A file name from a node id: letters, digits, '.', '-' and '_' kept,
 * anything else (the '*' of a collapsed head) becomes '_'. */
static void file_name_for(char *buffer, size_t size, const char *folder, const char *id)
{
    int used = snprintf(buffer, size, "%s/", folder);
    for (const char *c = id; *c && (size_t)used + 5 < size; c++) {
        bool plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                     (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_';
        buffer[used++] = plain ? *c : '_';
    }
    snprintf(buffer + used, size - (size_t)used, ".png");
}

/* Draw t with cells of cell_size pixels into a PNG at path. */
static al_status write_thumbnail(const char *path, const al_trace_tensor *t, al_error *err)
{
    int longest = t->rows > t->cols ? t->rows : t->cols;
    int cell_size = THUMBNAIL_SIDE / longest;
    cell_size = cell_size < 2 ? 2 : cell_size > 12 ? 12 : cell_size;
    colour_scale scale;
    colour_scale_for_tensors(&scale, &t, 1, false);
    scene cells;
    scene_init(&cells, NULL);
    scene_add_cells(&cells, t, &scale, cell_size, 0, 0);
    canvas picture;
    al_status status = scene_status(&cells, err);
    if (status == AL_OK) {
        status = canvas_create(&picture, t->cols * cell_size, t->rows * cell_size, RGB_WHITE, err);
    }
    if (status == AL_OK) {
        scene_draw(&picture, &cells);
        al_atomic_file out;
        status = al_atomic_begin(&out, path, err);
        if (status == AL_OK) {
            status = png_write_canvas(out.stream, path, &picture, 72, err);
            status = status == AL_OK ? al_atomic_finish(&out, err) : status;
            status = status == AL_OK ? al_atomic_commit(&out, err) : status;
            al_atomic_discard(&out);
        }
        canvas_free(&picture);
    }
    scene_free(&cells);
    return status;
}

al_status flow_write_thumbnails(flow_graph *graph, const char *directory, const char *folder,
                                al_error *err)
{
    char folder_path[1024];
    snprintf(folder_path, sizeof folder_path, "%s/%s", directory, folder);
    bool made_folder = false;
    for (int k = 0; k < graph->n_nodes; k++) {
        flow_node *node = &graph->nodes[k];
        if (!node->tensor || node->is_group || node->n_members > 1 ||
            !flow_wants_thumbnail(node->tensor)) {
            continue;
        }
        if (!made_folder) {
            if (mkdir(folder_path, 0777) != 0 && errno != EEXIST) {
                return al_fail(err, AL_ERR_IO, "cannot create the folder %s: %s", folder_path,
                               strerror(errno));
            }
            made_folder = true;
        }
        char relative[1024], path[2048];
        file_name_for(relative, sizeof relative, folder, node->id);
        snprintf(path, sizeof path, "%s/%s", directory, relative);
        al_status status = write_thumbnail(path, node->tensor, err);
        if (status != AL_OK) {
            return status;
        }
        node->thumbnail = malloc(strlen(relative) + 1);
        if (!node->thumbnail) {
            return al_fail(err, AL_ERR_NOMEM, "out of memory");
        }
        strcpy(node->thumbnail, relative);
    }
    return AL_OK;
}
