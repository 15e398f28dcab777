/* blas.c: the named matrix products over cblas_sgemm, their shape checks,
 * and the naive reference loop the tests compare them with.
 * This is the only file in attnlab that talks to BLAS. */
#include "attnlab/blas.h"

#include <cblas.h>

#include "attnlab_config.h"

/* The one failure message for all products: the operation as written in
 * the header, then every shape, so the reader can see which dimension
 * disagrees. */
static al_status product_mismatch(al_error *err, const char *formula, const al_matrix *out,
                                  const al_matrix *a, const al_matrix *b)
{
    return al_fail(err, AL_ERR_SHAPE,
                   "%s: a is %d x %d, b is %d x %d, out is %d x %d; the shapes do not fit",
                   formula, a->rows, a->cols, b->rows, b->cols, out->rows, out->cols);
}

/* Shapes of op(a) and op(b) after the optional transposes. */
static void op_shape(const al_matrix *m, bool transpose, int *rows, int *cols)
{
    *rows = transpose ? m->cols : m->rows;
    *cols = transpose ? m->rows : m->cols;
}

/* out = op(a) · op(b): check (m x k) · (k x n) -> (m x n). */
static bool product_fits(const al_matrix *out, const al_matrix *a, bool transpose_a,
                         const al_matrix *b, bool transpose_b)
{
    int a_rows, a_cols, b_rows, b_cols;
    op_shape(a, transpose_a, &a_rows, &a_cols);
    op_shape(b, transpose_b, &b_rows, &b_cols);
    return a_cols == b_rows && out->rows == a_rows && out->cols == b_cols;
}

/* The one call into BLAS. Row-major, so the leading dimension of each
 * matrix is its stride; a head slice passes its parent's stride and BLAS
 * skips the other heads' columns without any copy. */
static void sgemm(al_matrix *out, const al_matrix *a, bool transpose_a, const al_matrix *b,
                  bool transpose_b, bool accumulate)
{
    int k = transpose_a ? a->rows : a->cols;
    cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
                transpose_b ? CblasTrans : CblasNoTrans, out->rows, out->cols, k, 1.0f, a->data,
                a->stride, b->data, b->stride, accumulate ? 1.0f : 0.0f, out->data, out->stride);
}

/* out (m x n) = a (m x k) · b (k x n) */
al_status al_matmul(al_matrix *out, const al_matrix *a, const al_matrix *b, al_error *err)
{
    if (!product_fits(out, a, false, b, false))
        return product_mismatch(err, "out = a · b", out, a, b);
    sgemm(out, a, false, b, false, false);
    return AL_OK;
}

/* out (m x n) = a (m x k) · bᵀ (k x n), b stored n x k */
al_status al_matmul_bt(al_matrix *out, const al_matrix *a, const al_matrix *b, al_error *err)
{
    if (!product_fits(out, a, false, b, true))
        return product_mismatch(err, "out = a · bᵀ", out, a, b);
    sgemm(out, a, false, b, true, false);
    return AL_OK;
}

/* out (m x n) = aᵀ (m x k) · b (k x n), a stored k x m */
al_status al_matmul_at(al_matrix *out, const al_matrix *a, const al_matrix *b, al_error *err)
{
    if (!product_fits(out, a, true, b, false))
        return product_mismatch(err, "out = aᵀ · b", out, a, b);
    sgemm(out, a, true, b, false, false);
    return AL_OK;
}

/* The same three products added to what out holds (out += ...), for
 * gradients that sum over rows, heads and steps. */
al_status al_matmul_add(al_matrix *out, const al_matrix *a, const al_matrix *b, al_error *err)
{
    if (!product_fits(out, a, false, b, false))
        return product_mismatch(err, "out += a · b", out, a, b);
    sgemm(out, a, false, b, false, true);
    return AL_OK;
}

al_status al_matmul_bt_add(al_matrix *out, const al_matrix *a, const al_matrix *b,
                           al_error *err)
{
    if (!product_fits(out, a, false, b, true))
        return product_mismatch(err, "out += a · bᵀ", out, a, b);
    sgemm(out, a, false, b, true, true);
    return AL_OK;
}

al_status al_matmul_at_add(al_matrix *out, const al_matrix *a, const al_matrix *b,
                           al_error *err)
{
    if (!product_fits(out, a, true, b, false))
        return product_mismatch(err, "out += aᵀ · b", out, a, b);
    sgemm(out, a, true, b, false, true);
    return AL_OK;
}

/* op(m)[i][j]: m[i][j], or m[j][i] when transposed. */
static double op_at(const al_matrix *m, bool transpose, int i, int j)
{
    return transpose ? *al_at(m, j, i) : *al_at(m, i, j);
}

/* out[i][j] = sum_p op(a)[i][p] · op(b)[p][j], accumulated in double. */
al_status al_matmul_reference(al_matrix *out, const al_matrix *a, bool transpose_a,
                              const al_matrix *b, bool transpose_b, al_error *err)
{
    if (!product_fits(out, a, transpose_a, b, transpose_b))
        return product_mismatch(err, "out = op(a) · op(b)", out, a, b);
    int k = transpose_a ? a->rows : a->cols;
    for (int i = 0; i < out->rows; i++) {
        for (int j = 0; j < out->cols; j++) {
            double sum = 0.0;
            for (int p = 0; p < k; p++)
                sum += op_at(a, transpose_a, i, p) * op_at(b, transpose_b, p, j);
            *al_at(out, i, j) = (float)sum;
        }
    }
    return AL_OK;
}

#if AL_HAVE_OPENBLAS_THREADS
void openblas_set_num_threads(int num_threads);
#endif

void al_blas_set_threads(int threads)
{
#if AL_HAVE_OPENBLAS_THREADS
    openblas_set_num_threads(threads);
#else
    (void)threads;
#endif
}
