/* blas_core.c: which OpenBLAS kernel runs here. Does one small product
 * (so the kernel is really used, and a kernel whose instructions this CPU
 * lacks dies of SIGILL here rather than inside a lesson) and prints the
 * name OpenBLAS gives its kernel, e.g. "Haswell". For
 * test_golden_kernels, which skips a kernel that cannot run. */
#include <stdio.h>

#include <cblas.h>

int main(void)
{
    /* c (2 x 2) = a (2 x 2) · b (2 x 2) = [[1, 2], [3, 4]] · I */
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {0};
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c,
                2);
    if (c[0] != 1 || c[1] != 2 || c[2] != 3 || c[3] != 4) {
        fprintf(stderr, "blas_core: the product is wrong\n");
        return 1;
    }
    printf("%s\n", openblas_get_corename());
    return 0;
}
