/* plain_reference.c: attention and one encoder layer as a student would
 * write them from the equations: loops over arrays of double, passes
 * numbered. Written without looking at how attnlab computes them, so that
 * the tests compare the library with something other than itself. Not
 * fast, not general, not traced. */
#include "plain_reference.h"

#include <math.h>
#include <stddef.h>

/* One head; see plain_reference.h for the shapes and strides.
 *   weights = softmax(q · kᵀ / sqrt(d_k)) over the allowed keys
 *   out     = weights · v */
void plain_attention(double *out, double *weights, const double *q, const double *k,
                     const double *v, const int *mask, int queries, int keys, int d_k,
                     int d_v, int qk_stride, int v_stride)
{
    for (int i = 0; i < queries; i++) {
        double *row = weights + i * keys;
        const int *allowed = mask ? mask + i * keys : NULL;

        /* pass 1: scores_ij = q_i · k_j / sqrt(d_k) */
        for (int j = 0; j < keys; j++) {
            double dot = 0.0;
            for (int c = 0; c < d_k; c++)
                dot += q[i * qk_stride + c] * k[j * qk_stride + c];
            row[j] = dot / sqrt((double)d_k);
        }

        /* pass 2: the row max over the allowed keys, starting from the
         * first allowed one; subtracting it keeps every exp <= 1 */
        int first = 0;
        while (first < keys && allowed && !allowed[first])
            first++;
        double max = first < keys ? row[first] : 0.0;
        for (int j = first; j < keys; j++)
            if ((!allowed || allowed[j]) && row[j] > max)
                max = row[j];

        /* pass 3: exp and sum; a key that is not allowed gets exactly 0 */
        double sum = 0.0;
        for (int j = 0; j < keys; j++) {
            row[j] = (!allowed || allowed[j]) ? exp(row[j] - max) : 0.0;
            sum += row[j];
        }

        /* pass 4: divide, so the row sums to 1 (no key allowed: stays 0) */
        for (int j = 0; j < keys && sum > 0.0; j++)
            row[j] /= sum;

        /* pass 5: out_i = Σ_j weights_ij v_j */
        for (int c = 0; c < d_v; c++) {
            double total = 0.0;
            for (int j = 0; j < keys; j++)
                total += row[j] * v[j * v_stride + c];
            out[i * v_stride + c] = total;
        }
    }
}

/* y (L x d_out) = x (L x d_in) · w (d_in x d_out) + b (1 x d_out, or NULL) */
static void linear(double *y, const double *x, const double *w, const double *b, int length,
                   int d_in, int d_out)
{
    for (int i = 0; i < length; i++)
        for (int j = 0; j < d_out; j++) {
            double total = b ? b[j] : 0.0;
            for (int c = 0; c < d_in; c++)
                total += x[i * d_in + c] * w[c * d_out + j];
            y[i * d_out + j] = total;
        }
}

/* y (L x d) = LayerNorm(x), row by row; y may be x. */
static void layer_norm(double *y, const double *x, const double *gamma, const double *beta,
                       double epsilon, int length, int d)
{
    for (int i = 0; i < length; i++) {
        const double *row = x + i * d;
        /* pass 1: mean = (1/d) Σ_j x_j */
        double mean = 0.0;
        for (int j = 0; j < d; j++)
            mean += row[j];
        mean /= d;
        /* pass 2: var = (1/d) Σ_j (x_j - mean)², dividing by d, not d - 1 */
        double var = 0.0;
        for (int j = 0; j < d; j++)
            var += (row[j] - mean) * (row[j] - mean);
        var /= d;
        /* pass 3: y_j = gamma_j (x_j - mean) / sqrt(var + epsilon) + beta_j */
        for (int j = 0; j < d; j++)
            y[i * d + j] = gamma[j] * (row[j] - mean) / sqrt(var + epsilon) + beta[j];
    }
}

/* y (L x d) = x + f, entry by entry; y may be x or f. */
static void add(double *y, const double *x, const double *f, int length, int d)
{
    for (int n = 0; n < length * d; n++)
        y[n] = x[n] + f[n];
}

/* y (L x d_model) = max(0, z · W1 + b1) · W2 + b2 */
static void ffn(double *y, const double *z, const double *w1, const double *b1,
                const double *w2, const double *b2, int d_model, int d_ff, int length)
{
    double hidden[PLAIN_MAX_L * PLAIN_MAX_D_FF];
    /* pass 1: hidden = z · W1 + b1 */
    linear(hidden, z, w1, b1, length, d_model, d_ff);
    /* pass 2: ReLU */
    for (int n = 0; n < length * d_ff; n++)
        hidden[n] = hidden[n] > 0.0 ? hidden[n] : 0.0;
    /* pass 3: y = hidden · W2 + b2 */
    linear(y, hidden, w2, b2, length, d_ff, d_model);
}

static void feed_forward(double *y, const double *z, const plain_encoder_weights *w,
                         int length)
{
    ffn(y, z, w->w1, w->b1, w->w2, w->b2, w->d_model, w->d_ff, length);
}

static bool fits(const plain_encoder_weights *w, int length)
{
    return length >= 1 && length <= PLAIN_MAX_L && w->d_model <= PLAIN_MAX_D_MODEL &&
           w->d_ff <= PLAIN_MAX_D_FF && w->heads >= 1 && w->d_model % w->heads == 0;
}

/* out (Lq x d) = MultiHead(queries from xq, keys and values from xkv),
 * under mask (Lq x Lk, or NULL), for sizes that fit. */
static void attention_layer(double *out, const double *xq, const double *xkv,
                            const plain_attention_weights *a, int d, int heads, int lq,
                            int lk, const int *mask)
{
    int d_head = d / heads;
    double q[PLAIN_MAX_L * PLAIN_MAX_D_MODEL], k[PLAIN_MAX_L * PLAIN_MAX_D_MODEL];
    double v[PLAIN_MAX_L * PLAIN_MAX_D_MODEL], concat[PLAIN_MAX_L * PLAIN_MAX_D_MODEL];
    double weights[PLAIN_MAX_L * PLAIN_MAX_L];

    /* pass 1: the projections q = xq · W_Q + b_Q, k = xkv · W_K + ..., v = ... */
    linear(q, xq, a->w_q, a->b_q, lq, d, d);
    linear(k, xkv, a->w_k, a->b_k, lk, d, d);
    linear(v, xkv, a->w_v, a->b_v, lk, d, d);
    /* pass 2: head i attends on its d_head columns and writes its output
     * into the same columns of concat: the join is where it writes */
    for (int head = 0; head < heads; head++) {
        int c = head * d_head;
        plain_attention(concat + c, weights, q + c, k + c, v + c, mask, lq, lk, d_head, d_head,
                        d, d);
    }
    /* pass 3: out = concat · W_O + b_O */
    linear(out, concat, a->w_o, a->b_o, lq, d, d);
}

/* The causal mask for L tokens: key j allowed for query i when j <= i. */
static void causal_mask(int *mask, int length)
{
    for (int i = 0; i < length; i++)
        for (int j = 0; j < length; j++)
            mask[i * length + j] = j <= i;
}

/* out (L x d_model) = MultiHead(x), no mask or the causal one. */
static void multihead(double *out, const double *x, const plain_encoder_weights *w, int length)
{
    plain_attention_weights a = {w->w_q, w->w_k, w->w_v, w->w_o, w->b_q, w->b_k, w->b_v, w->b_o};
    int causal[PLAIN_MAX_L * PLAIN_MAX_L];
    causal_mask(causal, length);
    attention_layer(out, x, x, &a, w->d_model, w->heads, length, length,
                    w->causal ? causal : NULL);
}

bool plain_multihead(double *out, const double *x, const plain_encoder_weights *w, int length)
{
    if (!fits(w, length))
        return false;
    multihead(out, x, w, length);
    return true;
}

/* y (L x d_model) = one encoder layer on x; see plain_reference.h. */
bool plain_encoder_layer(double *y, const double *x, const plain_encoder_weights *w,
                         int length, bool pre_norm)
{
    if (!fits(w, length))
        return false;
    int d = w->d_model;
    /* zeroed only so the compiler can see nothing is read unwritten */
    double a[PLAIN_MAX_L * PLAIN_MAX_D_MODEL] = {0}, f[PLAIN_MAX_L * PLAIN_MAX_D_MODEL] = {0};
    double z[PLAIN_MAX_L * PLAIN_MAX_D_MODEL] = {0};
    if (!pre_norm) {
        /* sublayer 1: a = LayerNorm1(x + MHA(x)) */
        multihead(f, x, w, length);
        add(a, x, f, length, d);
        layer_norm(a, a, w->gamma1, w->beta1, w->epsilon, length, d);
        /* sublayer 2: y = LayerNorm2(a + FFN(a)) */
        feed_forward(f, a, w, length);
        add(y, a, f, length, d);
        layer_norm(y, y, w->gamma2, w->beta2, w->epsilon, length, d);
    } else {
        /* sublayer 1: a = x + MHA(LayerNorm1(x)) */
        layer_norm(z, x, w->gamma1, w->beta1, w->epsilon, length, d);
        multihead(f, z, w, length);
        add(a, x, f, length, d);
        /* sublayer 2: y = a + FFN(LayerNorm2(a)) */
        layer_norm(z, a, w->gamma2, w->beta2, w->epsilon, length, d);
        feed_forward(f, z, w, length);
        add(y, a, f, length, d);
    }
    return true;
}

/* y (L x d_model) = one decoder layer on x with cross-attention over
 * memory (S x d_model); see plain_reference.h. */
bool plain_decoder_layer(double *y, const double *x, const double *memory,
                         const plain_decoder_weights *w, int length, int memory_length,
                         bool pre_norm)
{
    int d = w->d_model;
    if (length < 1 || length > PLAIN_MAX_L || memory_length < 1 ||
        memory_length > PLAIN_MAX_L || d > PLAIN_MAX_D_MODEL || w->d_ff > PLAIN_MAX_D_FF ||
        w->heads < 1 || d % w->heads != 0)
        return false;
    int causal[PLAIN_MAX_L * PLAIN_MAX_L];
    causal_mask(causal, length);
    double a[PLAIN_MAX_L * PLAIN_MAX_D_MODEL] = {0}, f[PLAIN_MAX_L * PLAIN_MAX_D_MODEL] = {0};
    double z[PLAIN_MAX_L * PLAIN_MAX_D_MODEL] = {0};
    const double *gamma[3] = {w->gamma1, w->gamma2, w->gamma3};
    const double *beta[3] = {w->beta1, w->beta2, w->beta3};
    for (int n = 0; n < length * d; n++)
        a[n] = x[n];
    /* sublayer k = 1, 2, 3: masked self-attention, cross-attention, FFN;
     *   post-norm: a = LayerNorm_k(a + F_k(a)),  pre-norm: a = a + F_k(LayerNorm_k(a)) */
    for (int k = 0; k < 3; k++) {
        const double *in = a;
        if (pre_norm) {
            layer_norm(z, a, gamma[k], beta[k], w->epsilon, length, d);
            in = z;
        }
        if (k == 0)
            attention_layer(f, in, in, &w->self, d, w->heads, length, length, causal);
        else if (k == 1)
            attention_layer(f, in, memory, &w->cross, d, w->heads, length, memory_length, NULL);
        else
            ffn(f, in, w->w1, w->b1, w->w2, w->b2, d, w->d_ff, length);
        add(a, a, f, length, d);
        if (!pre_norm)
            layer_norm(a, a, gamma[k], beta[k], w->epsilon, length, d);
    }
    for (int n = 0; n < length * d; n++)
        y[n] = a[n];
    return true;
}
