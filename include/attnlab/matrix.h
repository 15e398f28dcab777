/* matrix.h: the row-major float32 matrix every part of attnlab passes around,
 * and the elementwise helpers the maths needs (add, scale, copy, views).
 * Products live in blas.h; this file does no multiplication.
 *
 * Layout: element (i, j) is data[i * stride + j]. A matrix made by
 * al_matrix_alloc owns its data and has stride == cols. A view (a block of
 * rows, a block of columns such as one attention head's slice) points into
 * another matrix's data, keeps that matrix's stride and owns nothing: it is
 * valid only while the matrix it looks into is alive, and is never freed. */
#ifndef ATTNLAB_MATRIX_H
#define ATTNLAB_MATRIX_H

#include <stdbool.h>

#include "attnlab/status.h"

typedef struct al_matrix {
    int rows;
    int cols;
    int stride;   /* floats from the start of one row to the next (>= cols) */
    float *data;
    bool owns;    /* true: al_matrix_free releases data */
} al_matrix;

/* Largest number of rows or columns attnlab accepts; keeps rows * cols
 * comfortably inside int and memory sizes inside reason. */
#define AL_MATRIX_MAX_DIM 1000000

/* Element (i, j); no bounds check, so use it only inside loops whose bounds
 * come from the matrix itself. */
static inline float *al_at(const al_matrix *m, int i, int j)
{
    return m->data + (long)i * m->stride + j;
}

/* Allocate a rows x cols matrix filled with zeros into *m. The caller owns it
 * and releases it with al_matrix_free. On failure *m is left empty (NULL
 * data) and the error names the shape. */
al_status al_matrix_alloc(al_matrix *m, int rows, int cols, al_error *err);

/* Release what al_matrix_alloc allocated and leave *m empty. Safe on an
 * empty matrix, a view (which it only clears) and NULL. */
void al_matrix_free(al_matrix *m);

/* A view of rows [first_row, first_row + n_rows) of m. */
al_matrix al_matrix_rows(const al_matrix *m, int first_row, int n_rows);

/* A view of columns [first_col, first_col + n_cols) of m: the slice one
 * attention head works on. Its stride is m's stride. */
al_matrix al_matrix_cols(const al_matrix *m, int first_col, int n_cols);

/* A 1 x n matrix viewing n floats of a plain array (not owned). */
al_matrix al_matrix_wrap(float *data, int rows, int cols);

/* True when a and b have the same rows and cols. */
bool al_same_shape(const al_matrix *a, const al_matrix *b);

/* out = a, elementwise. Shapes must agree; out may be a view. */
al_status al_copy(al_matrix *out, const al_matrix *a, al_error *err);

/* out = a + b, elementwise. out may be a or b. */
al_status al_add(al_matrix *out, const al_matrix *a, const al_matrix *b, al_error *err);

/* out = s · a, elementwise. out may be a. */
al_status al_scale(al_matrix *out, const al_matrix *a, float s, al_error *err);

/* out = a + broadcast(bias): bias is 1 x a.cols and is added to every row.
 * out may be a. */
al_status al_add_row_vector(al_matrix *out, const al_matrix *a, const al_matrix *bias,
                            al_error *err);

/* sums (1 x a.cols) += Σ_i row i of a: the gradient of a bias that was
 * added to every row. Each column is summed in double. */
al_status al_add_column_sums(al_matrix *sums, const al_matrix *a, al_error *err);

/* Set every element of m to value. */
void al_fill(al_matrix *m, float value);

/* Largest |a - b| over all elements (shapes must agree; returns -1 if they
 * do not). Entries that are -inf in both count as equal. */
float al_max_abs_diff(const al_matrix *a, const al_matrix *b);

/* Write "R x C" into buf (for messages naming shapes). Returns buf. */
const char *al_shape_text(char *buf, size_t size, const al_matrix *m);

#endif
