/* dot_variance.c: the two measurements of dot_variance.h: how the spread
 * of q · k grows with the width d, and what that spread does to a softmax.
 * The attention steps themselves (scores, scaling, softmax) are
 * attention.h's and softmax.h's; this file draws random vectors and keeps
 * statistics, nothing more. */
#include "attnlab/dot_variance.h"

#include <math.h>
#include <stdio.h>

#include "attnlab/attention.h"
#include "attnlab/softmax.h"
#include "trace/traced.h"

static const char *const ROWS[2] = {AL_DOT_UNSCALED_LABEL, AL_DOT_SCALED_LABEL};

/* ---- checks and the trace --------------------------------------------------- */

static al_status check_dims(const al_matrix *table, const int *dims, int count, const char *what,
                            al_error *err)
{
    if (count < 1 || count > AL_DOT_VARIANCE_MAX_DIMS)
        return al_fail(err, AL_ERR_VALUE, "%s: give 1 to %d widths d, not %d", what,
                       AL_DOT_VARIANCE_MAX_DIMS, count);
    if (table->rows != 2 || table->cols != count)
        return al_fail(err, AL_ERR_SHAPE, "%s: the table is %d x %d but must be 2 x %d "
                       "(unscaled and scaled, one column per d)", what, table->rows,
                       table->cols, count);
    for (int i = 0; i < count; i++)
        if (dims[i] < 1 || dims[i] > AL_DOT_VARIANCE_MAX_D)
            return al_fail(err, AL_ERR_VALUE, "%s: d must be from 1 to %d, not %d", what,
                           AL_DOT_VARIANCE_MAX_D, dims[i]);
    return AL_OK;
}

/* The generator's state before the first draw, as hexadecimal text: a
 * 64-bit number does not fit a JSON number exactly (a double holds 53
 * bits), and with it the trace alone can replay every draw. */
typedef struct rng_text {
    char state[24], increment[24];
} rng_text;

static rng_text describe_rng(const al_rng *rng)
{
    rng_text text;
    snprintf(text.state, sizeof text.state, "0x%016llx", (unsigned long long)rng->state);
    snprintf(text.increment, sizeof text.increment, "0x%016llx",
             (unsigned long long)rng->increment);
    return text;
}

/* Record table (2 x count) as "<name>.<suffix>", columns labelled "d=4".
 * info holds the op, its attrs and the note; this adds the rest. */
static al_status trace_table(al_trace *trace, al_tensor_info *info, const al_matrix *table,
                             const char *name, const char *suffix, const int *dims, int count,
                             al_error *err)
{
    char full_name[AL_NAME_SIZE];
    al_name(full_name, "%s.%s", name, suffix);
    if (!al_trace_wants(trace, full_name))
        return AL_OK;
    char text[AL_DOT_VARIANCE_MAX_DIMS][16];
    const char *cols[AL_DOT_VARIANCE_MAX_DIMS];
    for (int i = 0; i < count; i++) {
        snprintf(text[i], sizeof text[i], AL_DOT_WIDTH_LABEL, dims[i]);
        cols[i] = text[i];
    }
    info->name = full_name;
    info->role = AL_ROLE_OUTPUT;
    info->row_labels = ROWS;
    info->col_labels = cols;
    return al_trace_matrix(trace, info, table, err);
}

/* ---- the variance of q · k ------------------------------------------------------ */

/* A running mean and variance (Welford, 1962): one number at a time, in
 * double, without keeping the numbers, and without the cancellation of
 * Σx² − (Σx)² / n when the mean is large next to the spread. */
typedef struct running_variance {
    long n;
    double mean, m2;  /* m2 = Σ (x − mean)² so far */
} running_variance;

static void running_add(running_variance *r, double x)
{
    r->n++;
    double delta = x - r->mean;
    r->mean += delta / (double)r->n;
    r->m2 += delta * (x - r->mean);
}

/* The sample variance, divided by n − 1 (n >= 2). */
static double running_result(const running_variance *r)
{
    return r->m2 / (double)(r->n - 1);
}

/* q · k = Σ_c q_c k_c for one fresh pair of d standard normal entries,
 * drawn in the order q_0, k_0, q_1, k_1, ..., multiplied and added in
 * double. One dot product, not a matrix product: nothing for BLAS. */
static double random_dot(al_rng *rng, int d)
{
    double dot = 0.0;
    for (int c = 0; c < d; c++) {
        double q = al_rng_normal(rng, 0.0f, 1.0f);
        double k = al_rng_normal(rng, 0.0f, 1.0f);
        dot += q * k;
    }
    return dot;
}

al_status al_dot_variance(al_matrix *variance, const int *dims, int count, int samples,
                          al_rng *rng, al_trace_at at, al_error *err)
{
    al_trace *trace = at.trace;
    const char *name = at.name;
    const char *what = name_for_message(name, "dot variance");
    al_status status = need_name_when_tracing(trace, name, "dot variance", err);
    if (status == AL_OK)
        status = check_dims(variance, dims, count, what, err);
    if (status == AL_OK && samples < 2)
        status = al_fail(err, AL_ERR_VALUE, "%s: a variance needs at least 2 samples, not %d",
                         what, samples);
    if (status != AL_OK)
        return status;

    rng_text start = describe_rng(rng);
    for (int i = 0; i < count; i++) {
        /* The same dot products, once as they are and once divided by √d. */
        double root_d = sqrt((double)dims[i]);
        running_variance unscaled = {0}, scaled = {0};
        for (int s = 0; s < samples; s++) {
            double dot = random_dot(rng, dims[i]);
            running_add(&unscaled, dot);
            running_add(&scaled, dot / root_d);
        }
        *al_at(variance, 0, i) = (float)running_result(&unscaled);
        *al_at(variance, 1, i) = (float)running_result(&scaled);
    }
    if (!trace)
        return AL_OK;
    char note[256];
    snprintf(note, sizeof note, "sample variance of q·k (and of q·k/√d) over %d pairs of "
             "random vectors with standard normal entries, drawn from the seed", samples);
    al_tensor_info info = {.op = "dot_variance", .note = note,
                           .attrs = {AL_ATTR("samples", samples),
                                     AL_ATTR_LIST("widths", dims, count),
                                     AL_ATTR_TEXT("rng", "pcg32"),
                                     AL_ATTR_TEXT("rng_state", start.state),
                                     AL_ATTR_TEXT("rng_increment", start.increment)}};
    return trace_table(trace, &info, variance, name, "variance", dims, count, err);
}

/* ---- the largest softmax weight ------------------------------------------------- */

/* The scratch of al_softmax_peak: q (1 x widest d), K (keys x widest d),
 * and one row each of scores, scaled scores and weights. */
typedef struct peak_scratch {
    al_matrix q, k, scores, scaled, weights;
} peak_scratch;

static void scratch_free(peak_scratch *s)
{
    al_matrix_free(&s->q);
    al_matrix_free(&s->k);
    al_matrix_free(&s->scores);
    al_matrix_free(&s->scaled);
    al_matrix_free(&s->weights);
}

static al_status scratch_alloc(peak_scratch *s, int widest, int keys, al_error *err)
{
    *s = (peak_scratch){0};
    al_status status = al_matrix_alloc(&s->q, 1, widest, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&s->k, keys, widest, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&s->scores, 1, keys, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&s->scaled, 1, keys, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&s->weights, 1, keys, err);
    if (status != AL_OK)
        scratch_free(s);
    return status;
}

static float largest(const al_matrix *row)
{
    float best = *al_at(row, 0, 0);
    for (int j = 1; j < row->cols; j++)
        best = fmaxf(best, *al_at(row, 0, j));
    return best;
}

/* One draw at width d: largest[0] and largest[1] receive the largest
 * weight of softmax(q · Kᵀ) and of softmax(q · Kᵀ / √d). */
static al_status one_draw(float largest_weight[2], peak_scratch *s, int d, al_rng *rng,
                          al_error *err)
{
    al_matrix q = al_matrix_cols(&s->q, 0, d), k = al_matrix_cols(&s->k, 0, d);
    al_rng_fill_normal(&q, rng, 0.0f, 1.0f);
    al_rng_fill_normal(&k, rng, 0.0f, 1.0f);
    /* scores (1 x keys) = q (1 x d) · Kᵀ (d x keys) */
    al_status status = al_dot_scores(&s->scores, &q, &k, err);
    if (status == AL_OK)
        status = al_softmax_rows(&s->weights, &s->scores, 1.0f, NULL, err);
    if (status != AL_OK)
        return status;
    largest_weight[0] = largest(&s->weights);
    /* scaled = scores / √d, then the same softmax */
    status = al_scale_scores(&s->scaled, &s->scores, d, err);
    if (status == AL_OK)
        status = al_softmax_rows(&s->weights, &s->scaled, 1.0f, NULL, err);
    if (status == AL_OK)
        largest_weight[1] = largest(&s->weights);
    return status;
}

al_status al_softmax_peak(al_matrix *peak, const int *dims, int count, int keys, int draws,
                          al_rng *rng, al_trace_at at, al_error *err)
{
    al_trace *trace = at.trace;
    const char *name = at.name;
    const char *what = name_for_message(name, "softmax peak");
    al_status status = need_name_when_tracing(trace, name, "softmax peak", err);
    if (status == AL_OK)
        status = check_dims(peak, dims, count, what, err);
    if (status == AL_OK && (keys < 2 || keys > AL_MATRIX_MAX_DIM || draws < 1))
        status = al_fail(err, AL_ERR_VALUE, "%s: needs at least 2 keys and 1 draw, not %d keys "
                         "and %d draws", what, keys, draws);
    if (status != AL_OK)
        return status;
    int widest = dims[0];
    for (int i = 1; i < count; i++)
        widest = dims[i] > widest ? dims[i] : widest;
    peak_scratch scratch;
    status = scratch_alloc(&scratch, widest, keys, err);
    rng_text start = describe_rng(rng);

    for (int i = 0; i < count && status == AL_OK; i++) {
        double sums[2] = {0.0, 0.0};
        for (int draw = 0; draw < draws && status == AL_OK; draw++) {
            float largest_weight[2] = {0.0f, 0.0f};
            status = one_draw(largest_weight, &scratch, dims[i], rng, err);
            sums[0] += largest_weight[0];
            sums[1] += largest_weight[1];
        }
        /* the mean largest weight over the draws */
        *al_at(peak, 0, i) = (float)(sums[0] / draws);
        *al_at(peak, 1, i) = (float)(sums[1] / draws);
    }
    scratch_free(&scratch);
    if (status != AL_OK || !trace)
        return status;
    char note[256];
    snprintf(note, sizeof note, "mean over %d draws of the largest weight of a softmax over %d "
             "random scores q·k, unscaled and divided by √d; 1/%d would be even", draws, keys,
             keys);
    al_tensor_info info = {.op = "softmax_peak", .note = note,
                           .attrs = {AL_ATTR("keys", keys), AL_ATTR("draws", draws),
                                     AL_ATTR_LIST("widths", dims, count),
                                     AL_ATTR_TEXT("rng", "pcg32"),
                                     AL_ATTR_TEXT("rng_state", start.state),
                                     AL_ATTR_TEXT("rng_increment", start.increment)}};
    return trace_table(trace, &info, peak, name, "peak", dims, count, err);
}
