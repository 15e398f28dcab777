/* one_head.c: one head of scaled dot-product attention on a 3 x 2 example,
 * with attnlab installed: three tokens, d_k = d_v = 2,
 *     weights = softmax(Q · Kᵀ / √d_k)   (3 x 3, each row sums to 1)
 *     out     = weights · V              (3 x 2)
 * Build and run (examples/README.md):
 *     cc one_head.c $(pkg-config --cflags --libs attnlab) -o one_head && ./one_head
 * It traces nothing (the trace handle is NULL) and prints the weights and
 * the output. */
#include <stdio.h>

#include <attnlab/attention.h>
#include <attnlab/matrix.h>

/* m (rows x cols) from a row-major array. */
static void fill(al_matrix *m, const float *values)
{
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++)
            *al_at(m, i, j) = values[i * m->cols + j];
}

static void print(const char *name, const al_matrix *m)
{
    printf("%s (%d x %d)\n", name, m->rows, m->cols);
    for (int i = 0; i < m->rows; i++) {
        for (int j = 0; j < m->cols; j++)
            printf(" %8.4f", *al_at(m, i, j));
        printf("\n");
    }
}

int main(void)
{
    /* Token 0 asks for what token 1 offers, token 1 for token 2's, and
     * token 2 for both: its query is the sum of their keys. */
    const float q_values[] = {1, 0, 0, 1, 1, 1};
    const float k_values[] = {0, 0, 1, 0, 0, 1};
    const float v_values[] = {10, 0, 0, 10, 5, 5};
    al_error err = {0};
    al_matrix q, k, v, out;
    al_attention_steps steps;
    al_scoring scoring = al_scoring_scaled_dot();
    if (al_matrix_alloc(&q, 3, 2, &err) != AL_OK || al_matrix_alloc(&k, 3, 2, &err) != AL_OK ||
        al_matrix_alloc(&v, 3, 2, &err) != AL_OK || al_matrix_alloc(&out, 3, 2, &err) != AL_OK ||
        al_attention_steps_alloc(&steps, 3, 3, &scoring, false, &err) != AL_OK) {
        fprintf(stderr, "one_head: %s\n", err.message);
        return 1;
    }
    fill(&q, q_values);
    fill(&k, k_values);
    fill(&v, v_values);
    al_status status = al_attend(&out, &steps, &q, &k, &v, NULL, &scoring, NULL, NULL, &err);
    if (status == AL_OK) {
        print("weights = softmax(Q K^T / sqrt(2))", &steps.weights);
        print("out = weights V", &out);
    } else {
        fprintf(stderr, "one_head: %s\n", err.message);
    }
    al_attention_steps_free(&steps);
    al_matrix_free(&q), al_matrix_free(&k), al_matrix_free(&v), al_matrix_free(&out);
    return status == AL_OK ? 0 : 1;
}
