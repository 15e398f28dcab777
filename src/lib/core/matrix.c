/* matrix.c: allocating, viewing and combining row-major float matrices
 * elementwise. No products here (blas.c) and no printing (the programs). */
#include "attnlab/matrix.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

al_status al_matrix_alloc(al_matrix *m, int rows, int cols, al_error *err)
{
    *m = (al_matrix){0};
    if (rows <= 0 || cols <= 0 || rows > AL_MATRIX_MAX_DIM || cols > AL_MATRIX_MAX_DIM)
        return al_fail(err, AL_ERR_ARG, "cannot make a %d x %d matrix", rows, cols);
    float *data = calloc((size_t)rows * (size_t)cols, sizeof *data);
    if (!data)
        return al_fail(err, AL_ERR_NOMEM, "out of memory for a %d x %d matrix", rows, cols);
    *m = (al_matrix){.rows = rows, .cols = cols, .stride = cols, .data = data, .owns = true};
    return AL_OK;
}

void al_matrix_free(al_matrix *m)
{
    if (!m)
        return;
    if (m->owns)
        free(m->data);
    *m = (al_matrix){0};
}

al_matrix al_matrix_rows(const al_matrix *m, int first_row, int n_rows)
{
    return (al_matrix){.rows = n_rows, .cols = m->cols, .stride = m->stride,
                       .data = al_at(m, first_row, 0), .owns = false};
}

al_matrix al_matrix_cols(const al_matrix *m, int first_col, int n_cols)
{
    return (al_matrix){.rows = m->rows, .cols = n_cols, .stride = m->stride,
                       .data = al_at(m, 0, first_col), .owns = false};
}

al_matrix al_matrix_wrap(float *data, int rows, int cols)
{
    return (al_matrix){.rows = rows, .cols = cols, .stride = cols, .data = data, .owns = false};
}

bool al_same_shape(const al_matrix *a, const al_matrix *b)
{
    return a->rows == b->rows && a->cols == b->cols;
}

const char *al_shape_text(char *buf, size_t size, const al_matrix *m)
{
    snprintf(buf, size, "%d x %d", m->rows, m->cols);
    return buf;
}

/* The message every elementwise helper gives when two shapes differ. */
static al_status shape_mismatch(al_error *err, const char *what, const al_matrix *a,
                                const al_matrix *b)
{
    return al_fail(err, AL_ERR_SHAPE, "%s: shapes %d x %d and %d x %d differ", what, a->rows,
                   a->cols, b->rows, b->cols);
}

al_status al_copy(al_matrix *out, const al_matrix *a, al_error *err)
{
    if (!al_same_shape(out, a))
        return shape_mismatch(err, "copy", out, a);
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < a->cols; j++)
            *al_at(out, i, j) = *al_at(a, i, j);
    return AL_OK;
}

al_status al_add(al_matrix *out, const al_matrix *a, const al_matrix *b, al_error *err)
{
    if (!al_same_shape(a, b))
        return shape_mismatch(err, "add", a, b);
    if (!al_same_shape(out, a))
        return shape_mismatch(err, "add (output)", out, a);
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < a->cols; j++)
            *al_at(out, i, j) = *al_at(a, i, j) + *al_at(b, i, j);
    return AL_OK;
}

al_status al_scale(al_matrix *out, const al_matrix *a, float s, al_error *err)
{
    if (!al_same_shape(out, a))
        return shape_mismatch(err, "scale (output)", out, a);
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < a->cols; j++)
            *al_at(out, i, j) = s * *al_at(a, i, j);
    return AL_OK;
}

al_status al_add_row_vector(al_matrix *out, const al_matrix *a, const al_matrix *bias,
                            al_error *err)
{
    if (bias->rows != 1 || bias->cols != a->cols)
        return al_fail(err, AL_ERR_SHAPE, "add bias: bias is %d x %d but must be 1 x %d",
                       bias->rows, bias->cols, a->cols);
    if (!al_same_shape(out, a))
        return shape_mismatch(err, "add bias (output)", out, a);
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < a->cols; j++)
            *al_at(out, i, j) = *al_at(a, i, j) + *al_at(bias, 0, j);
    return AL_OK;
}

al_status al_add_column_sums(al_matrix *sums, const al_matrix *a, al_error *err)
{
    if (sums->rows != 1 || sums->cols != a->cols)
        return al_fail(err, AL_ERR_SHAPE, "column sums: sums is %d x %d but must be 1 x %d",
                       sums->rows, sums->cols, a->cols);
    /* sums_j += Σ_i a_ij, in double, i = 0, 1, ... for every j; read row by
     * row (the way a is stored), a block of columns at a time */
    enum { BLOCK = 256 };
    for (int j0 = 0; j0 < a->cols; j0 += BLOCK) {
        int width = a->cols - j0 < BLOCK ? a->cols - j0 : BLOCK;
        double sum[BLOCK] = {0};
        for (int i = 0; i < a->rows; i++) {
            const float *row = al_at(a, i, j0);
            for (int j = 0; j < width; j++)
                sum[j] += row[j];
        }
        for (int j = 0; j < width; j++)
            *al_at(sums, 0, j0 + j) += (float)sum[j];
    }
    return AL_OK;
}

void al_fill(al_matrix *m, float value)
{
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++)
            *al_at(m, i, j) = value;
}

float al_max_abs_diff(const al_matrix *a, const al_matrix *b)
{
    if (!al_same_shape(a, b))
        return -1.0f;
    float largest = 0.0f;
    for (int i = 0; i < a->rows; i++) {
        for (int j = 0; j < a->cols; j++) {
            float x = *al_at(a, i, j), y = *al_at(b, i, j);
            if (x == y)
                continue; /* also covers -inf == -inf (both masked) */
            float d = fabsf(x - y);
            if (!(d <= largest)) /* NaN differences count as infinitely large */
                largest = isnan(d) ? INFINITY : d;
        }
    }
    return largest;
}
