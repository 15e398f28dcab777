/* encoder_layer.c: one Transformer encoder layer (self-attention with 2
 * heads, add & norm, feed-forward, add & norm), seeded random weights, on a
 * 3-token input, traced: every intermediate (Q, K, V, each head's scores
 * and weights, the FFN's hidden layer, ...) goes to a trace file that
 * attnlab-trace, the renderers or Python can read.
 * Build and run (examples/README.md):
 *     cc encoder_layer.c $(pkg-config --cflags --libs attnlab) -o encoder_layer
 *     ./encoder_layer encoder_layer.jsonl && attnlab-trace list encoder_layer.jsonl */
#include <stdio.h>

#include <attnlab/blocks.h>
#include <attnlab/model_config.h>
#include <attnlab/rng.h>
#include <attnlab/trace.h>

/* d_model 4 split into 2 heads of d_head 2; the FFN widens to d_ff 8. */
static const al_model_config config = {
    .family = AL_FAMILY_ENCODER_ONLY, .norm = AL_NORM_POST, .d_model = 4, .heads = 2,
    .encoder_layers = 1, .d_ff = 8, .vocab_size = 8, .positions = AL_POSITIONS_SINUSOIDAL,
    .norm_epsilon = 1e-5f};

/* Allocate, draw, trace and run; *layer, *ws and *x are freed by main. */
static al_status run(const char *trace_path, al_encoder_layer *layer,
                     al_encoder_layer_workspace *ws, al_matrix *x, al_error *err)
{
    static const char *const tokens[3] = {"The", "cat", "walks"};
    al_rng rng;
    al_rng_seed(&rng, 42, 0);
    al_status status = al_encoder_layer_alloc(layer, &config, err);
    if (status == AL_OK)
        status = al_encoder_layer_workspace_alloc(ws, layer, 3, err);
    if (status == AL_OK)
        status = al_matrix_alloc(x, 3, config.d_model, err);
    if (status != AL_OK)
        return status;
    al_encoder_layer_init(layer, &rng);
    al_rng_fill_normal(x, &rng, 0.0f, 1.0f);

    const char *args[] = {trace_path};
    al_trace_options options = {.program = "encoder_layer", .argc = 1, .argv = args,
                                .seed = 42, .level = AL_TRACE_TENSORS};
    al_trace *trace = NULL;
    status = al_trace_open(&trace, trace_path, &options, err);
    if (status != AL_OK)
        return status;
    al_tensor_info x_info = {.name = "x", .role = AL_ROLE_INPUT, .row_labels = tokens};
    al_named input = {.value = x, .name = "x", .labels = tokens};
    al_trace_at at = {.trace = trace, .name = "enc.0"};
    al_layer_output y;
    status = al_trace_matrix(trace, &x_info, x, err);
    if (status == AL_OK)
        status = al_encoder_layer_forward(&y, ws, input, layer, config.norm, at, err);
    if (status != AL_OK) {
        al_trace_discard(trace);
        return status;
    }
    printf("%s (%d x %d):\n", y.name, y.value.rows, y.value.cols);
    for (int i = 0; i < y.value.rows; i++) {
        printf("  %-6s", tokens[i]);
        for (int j = 0; j < y.value.cols; j++)
            printf(" %8.4f", *al_at(&y.value, i, j));
        printf("\n");
    }
    return al_trace_close(trace, err);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: encoder_layer TRACE.jsonl\n");
        return 2;
    }
    al_error err = {0};
    al_encoder_layer layer = {0};
    al_encoder_layer_workspace ws = {0};
    al_matrix x = {0};
    al_status status = run(argv[1], &layer, &ws, &x, &err);
    if (status == AL_OK)
        printf("Wrote %s\n", argv[1]);
    else
        fprintf(stderr, "encoder_layer: %s\n", err.message);
    al_matrix_free(&x);
    al_encoder_layer_workspace_free(&ws);
    al_encoder_layer_free(&layer);
    return status == AL_OK ? 0 : 1;
}
