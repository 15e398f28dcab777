/* cells.h: a matrix drawn as coloured squares, one per entry, the part of
 * a heatmap that the flow diagram's thumbnails share. No labels, no
 * colour bar: those are the heatmap's. */
#ifndef ATTNLAB_RENDER_CELLS_H
#define ATTNLAB_RENDER_CELLS_H

#include "attnlab/trace_file.h"
#include "colormap.h"
#include "scene.h"

/* Entry (i, j) of t becomes a cell_size x cell_size square with its
 * top-left corner at (x + j * cell_size, y + i * cell_size), coloured by
 * scale; a masked (null) entry becomes the hatched masked cell. */
void scene_add_cells(scene *s, const al_trace_tensor *t, const colour_scale *scale, int cell_size,
                     int x, int y);

#endif
