/* cells.c: one square per matrix entry. It chooses no colour scale
 * (colormap.h does) and places nothing around the cells. */
#include "cells.h"

#include <math.h>

void scene_add_cells(scene *s, const al_trace_tensor *t, const colour_scale *scale, int cell_size,
                     int x, int y)
{
    for (int i = 0; i < t->rows; i++) {
        for (int j = 0; j < t->cols; j++) {
            int cell_x = x + j * cell_size, cell_y = y + i * cell_size;
            float value = al_trace_tensor_at(t, i, j);
            if (isnan(value)) {
                scene_add_masked(s, cell_x, cell_y, cell_size, cell_size);
            } else {
                scene_add_rect(s, cell_x, cell_y, cell_size, cell_size,
                               colour_scale_rgb(scale, value));
            }
        }
    }
}
