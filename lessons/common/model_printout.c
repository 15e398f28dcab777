/* model_printout.c: the printed steps of a Transformer pass (see
 * model_printout.h). Reads the workspace of a pass that ran; computes
 * nothing but the order of the words it lists. */
#include "model_printout.h"

#include <stdio.h>
#include <stdlib.h>

void print_projections(printout *p, const sublayer_view *v)
{
    const al_attention_workspace *a = &v->ws->attn;
    al_matrix q = al_matrix_rows(&a->q, 0, v->rows);
    al_matrix k = al_matrix_rows(&a->k, 0, v->keys);
    al_matrix val = al_matrix_rows(&a->v, 0, v->keys);
    al_attention_layer_names names;
    al_attention_layer_names_init(&names, v->names->prefix);
    print_matrix(p, names.q, "Q", &q, v->row_labels, v->dims);
    print_matrix(p, names.k, "K", &k, v->key_labels, v->dims);
    print_matrix(p, names.v, "V", &val, v->key_labels, v->dims);
}

void print_head_weights(printout *p, const sublayer_view *v, bool with_scores, bool masked)
{
    const al_attention_workspace *a = &v->ws->attn;
    char symbol[64];
    for (int h = 0; h < a->heads; h++) {
        al_attention_steps steps = al_attention_head_steps(a, h);
        al_attention_head_names names;
        al_attention_head_names_init(&names, v->names->prefix, h);
        if (with_scores) {
            snprintf(symbol, sizeof symbol, "Q_%d·K_%dᵀ/√d", h, h);
            print_matrix(p, names.steps.scaled, symbol, &steps.scaled, v->row_labels,
                         v->key_labels);
        }
        if (masked)
            print_matrix(p, names.steps.masked, "masked", &steps.masked, v->row_labels,
                         v->key_labels);
        snprintf(symbol, sizeof symbol, "weights_%d", h);
        print_matrix(p, names.steps.weights, symbol, &steps.weights, v->row_labels,
                     v->key_labels);
        print_text(p, "\n  Where each row looks most in head %d (and next most):", h);
        print_strongest_links(p, &steps.weights, v->row_labels, v->key_labels);
    }
}

void print_attention_output(printout *p, const sublayer_view *v)
{
    al_matrix out = al_matrix_rows(&v->ws->out, 0, v->rows);
    print_matrix(p, v->names->out, "out", &out, v->row_labels, v->dims);
}

void print_ffn(printout *p, const sublayer_view *v, bool with_hidden)
{
    if (with_hidden) {
        /* layers.h's FFN traces its hidden layer as <prefix>.hidden */
        char name[AL_NAME_SIZE];
        al_matrix hidden = al_matrix_rows(&v->ws->hidden, 0, v->rows);
        print_matrix(p, al_name(name, "%s.hidden", v->names->prefix), "max(0, x·W1 + b1)",
                     &hidden, v->row_labels, v->hidden);
    }
    al_matrix out = al_matrix_rows(&v->ws->out, 0, v->rows);
    print_matrix(p, v->names->out, "FFN(x)", &out, v->row_labels, v->dims);
}

void print_add_norm(printout *p, const sublayer_view *v, al_norm_placement norm)
{
    al_matrix add = al_matrix_rows(&v->ws->add, 0, v->rows);
    al_matrix normed = al_matrix_rows(&v->ws->norm, 0, v->rows);
    const char *add_name = v->names->add, *norm_name = v->names->norm;
    if (norm == AL_NORM_PRE)
        print_matrix(p, norm_name, "LayerNorm(x)", &normed, v->row_labels, v->dims);
    print_matrix(p, add_name, norm == AL_NORM_PRE ? "x + F(LayerNorm(x))" : "x + F(x)", &add,
                 v->row_labels, v->dims);
    if (norm == AL_NORM_POST)
        print_matrix(p, norm_name, "LayerNorm(add)", &normed, v->row_labels, v->dims);
}

const char *every_head_weights(char buf[AL_NAME_SIZE], const char *prefix)
{
    char heads[AL_NAME_SIZE];
    al_head_names names;  /* al_attend's names under the pattern of every head */
    al_head_names_init(&names, al_name(heads, "%s.h*", prefix), NULL);
    return al_name(buf, "%s", names.weights);
}

/* --- the most probable words ---------------------------------------------------- */

typedef struct ranked {
    float value;
    int id;
} ranked;

/* Larger first; the lower id first on a tie, so the order is fixed. */
static int by_value(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return x->id - y->id;
}

void print_top_words(printout *p, const al_matrix *probs, const char *const *words, int count)
{
    if (p->quiet)
        return;
    int V = probs->cols;
    ranked *order = malloc((size_t)V * sizeof *order);
    if (!order)
        return;
    for (int j = 0; j < V; j++)
        order[j] = (ranked){*al_at(probs, 0, j), j};
    qsort(order, (size_t)V, sizeof *order, by_value);
    int width = 1;
    for (int r = 0; r < count && r < V; r++) {
        int w = text_width(words[order[r].id]);
        width = w > width ? w : width;
    }
    for (int r = 0; r < count && r < V; r++) {
        const char *word = words[order[r].id];
        fprintf(p->out, "  %d. %s%*s  %.*f\n", r + 1, word, width - text_width(word), "",
                p->precision, (double)order[r].value);
    }
    free(order);
}
