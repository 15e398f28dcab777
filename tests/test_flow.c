/* test_flow.c: the attnlab-flow program (src/render), run on the sample
 * traces of tests/data/ (make_render_traces.py):
 *   render_heads.jsonl    one attention layer with four heads, from x to out
 *   render_cross.jsonl    cross-attention; probs names an input, logits,
 *                         that the trace does not hold
 *   render_layers.jsonl   two layers of two heads
 *   render_beam.jsonl     a beam search of width 2 over three steps
 *   render_truncated.jsonl, render_malformed.jsonl   broken traces
 * The DOT it writes is parsed here line by line (one statement a line, as
 * the program promises): every traced tensor must be exactly one node and
 * every input an edge. The trace itself is read with the trace reader, so
 * the expected nodes and edges come from the file, not from the program.
 *
 * Arguments (from tests/meson.build): the attnlab-flow program, the
 * tests/data folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "attnlab/trace_file.h"
#include "run_program.h"
#include "test_heatmap_png.h"

#define PATH_SIZE 4096
#define MAX_NODES 512
#define MAX_EDGES 1024
#define NAME_SIZE 128

typedef struct flow_test {
    const char *program;
    const char *data;
    char folder[SCRATCH_FOLDER_SIZE];
} flow_test;

/* A DOT file as this test understands it: node names with their whole
 * statement line, and edges. */
typedef struct dot_graph {
    char *text;
    int n_nodes, n_edges;
    char nodes[MAX_NODES][NAME_SIZE];
    const char *node_lines[MAX_NODES];
    char edges[MAX_EDGES][2][NAME_SIZE];
} dot_graph;

static int make_folder(void **state)
{
    flow_test *t = *state;
    return make_scratch_folder(t->folder, "flow") ? 0 : -1;
}

static int remove_scratch(void **state)
{
    flow_test *t = *state;
    remove_folder(t->folder);
    return 0;
}

static const char *data_file(char path[PATH_SIZE], const flow_test *t, const char *name)
{
    snprintf(path, PATH_SIZE, "%s/%s", t->data, name);
    return path;
}

static const char *scratch_file(char path[PATH_SIZE], const flow_test *t, const char *name)
{
    snprintf(path, PATH_SIZE, "%s/%s", t->folder, name);
    return path;
}

#define run_flow(result, t, ...)                                                          \
    assert_int_equal(run_program_args(&(result), NULL, (t)->program, __VA_ARGS__, NULL), 0)

/* Run the program and expect exit status 0. */
#define draw(t, ...)                                                                      \
    do {                                                                                  \
        run_result r_;                                                                    \
        run_flow(r_, t, __VA_ARGS__);                                                     \
        if (r_.exit_code != 0) {                                                          \
            fail_msg("attnlab-flow exited %d: %s", r_.exit_code, r_.err);                 \
        }                                                                                 \
        run_result_free(&r_);                                                             \
    } while (0)

/* Copy the quoted DOT id starting at *p (at its opening quote) into name
 * and move *p past the closing quote. Returns false if there is none. */
static bool read_quoted(char name[NAME_SIZE], const char **p)
{
    if (**p != '"') {
        return false;
    }
    const char *c = *p + 1;
    int n = 0;
    for (; *c && *c != '"' && n < NAME_SIZE - 1; c++) {
        if (*c == '\\' && c[1]) {
            c++;
        }
        name[n++] = *c;
    }
    name[n] = '\0';
    if (*c != '"') {
        return false;
    }
    *p = c + 1;
    return true;
}

/* Read and parse a DOT file written by attnlab-flow. */
static void parse_dot(dot_graph *g, const char *path)
{
    memset(g, 0, sizeof *g);
    size_t length;
    g->text = read_whole_file(path, &length);
    assert_non_null(g->text);
    for (char *line = g->text; line && *line; ) {
        char *end = strchr(line, '\n');
        if (end) {
            *end = '\0';
        }
        const char *p = line + strspn(line, " ");
        char first[NAME_SIZE], second[NAME_SIZE];
        if (*p == '"' && read_quoted(first, &p)) {
            if (strncmp(p, " -> ", 4) == 0) {
                p += 4;
                assert_true(read_quoted(second, &p));
                assert_true(g->n_edges < MAX_EDGES);
                strcpy(g->edges[g->n_edges][0], first);
                strcpy(g->edges[g->n_edges++][1], second);
            } else if (strncmp(p, " [label=", 8) == 0) {
                assert_true(g->n_nodes < MAX_NODES);
                g->node_lines[g->n_nodes] = line;
                strcpy(g->nodes[g->n_nodes++], first);
            }
        }
        line = end ? end + 1 : NULL;
    }
}

static int node_count(const dot_graph *g, const char *name)
{
    int n = 0;
    for (int k = 0; k < g->n_nodes; k++) {
        n += strcmp(g->nodes[k], name) == 0;
    }
    return n;
}

static const char *node_line(const dot_graph *g, const char *name)
{
    for (int k = 0; k < g->n_nodes; k++) {
        if (strcmp(g->nodes[k], name) == 0) {
            return g->node_lines[k];
        }
    }
    return NULL;
}

static bool has_edge(const dot_graph *g, const char *from, const char *to)
{
    for (int k = 0; k < g->n_edges; k++) {
        if (strcmp(g->edges[k][0], from) == 0 && strcmp(g->edges[k][1], to) == 0) {
            return true;
        }
    }
    return false;
}

static al_trace_file *read_trace(const char *path)
{
    al_trace_file *trace = NULL;
    al_error err = {0};
    if (al_trace_file_read(&trace, path, &err) != AL_OK) {
        fail_msg("%s", err.message);
    }
    return trace;
}

/* ---- nodes and edges ------------------------------------------------------------ */

static void every_tensor_is_one_node_and_every_input_an_edge(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE];
    const char *traces[] = {"render_heads.jsonl", "render_cross.jsonl", "render_layers.jsonl"};
    for (int k = 0; k < 3; k++) {
        data_file(trace_path, t, traces[k]);
        draw(t, trace_path, "-o", scratch_file(out, t, "flow.dot"));
        dot_graph *g = malloc(sizeof *g);
        assert_non_null(g);
        parse_dot(g, out);
        al_trace_file *trace = read_trace(trace_path);
        int inputs_not_traced = 0;
        for (int n = 0; n < trace->n_tensors; n++) {
            const al_trace_tensor *tensor = &trace->tensors[n];
            if (node_count(g, tensor->name) != 1) {
                fail_msg("%s: '%s' is %d nodes", traces[k], tensor->name,
                         node_count(g, tensor->name));
            }
            for (int i = 0; i < tensor->n_inputs; i++) {
                if (!has_edge(g, tensor->inputs[i], tensor->name)) {
                    fail_msg("%s: no edge %s -> %s", traces[k], tensor->inputs[i],
                             tensor->name);
                }
                if (!al_trace_file_find(trace, tensor->inputs[i])) {
                    inputs_not_traced++;
                }
            }
        }
        /* The only other nodes are the placeholders: render_cross.jsonl's
         * probs names logits, which it does not hold. */
        assert_int_equal(g->n_nodes, trace->n_tensors + inputs_not_traced);
        al_trace_file_free(trace);
        free(g->text);
        free(g);
    }
}

static void an_input_the_trace_lacks_is_a_dashed_placeholder(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE];
    draw(t, data_file(trace_path, t, "render_cross.jsonl"), "-o",
         scratch_file(out, t, "cross.dot"));
    dot_graph *g = malloc(sizeof *g);
    parse_dot(g, out);
    const char *logits = node_line(g, "logits");
    assert_non_null(logits);
    assert_non_null(strstr(logits, "dashed"));
    assert_non_null(strstr(logits, "not in the trace"));
    assert_true(has_edge(g, "logits", "probs"));
    /* and a traced tensor is not dashed */
    assert_null(strstr(node_line(g, "probs"), "dashed"));
    free(g->text);
    free(g);
}

static void parameters_are_drawn_unlike_activations(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE];
    draw(t, data_file(trace_path, t, "render_heads.jsonl"), "-o",
         scratch_file(out, t, "heads.dot"));
    dot_graph *g = malloc(sizeof *g);
    parse_dot(g, out);
    const char *param = node_line(g, "enc.0.attn.w_q"), *activation = node_line(g, "enc.0.attn.q");
    /* Square yellow boxes for parameters, rounded blue ones for activations. */
    assert_non_null(strstr(param, "fillcolor=\"#fff2cc\""));
    assert_null(strstr(param, "rounded"));
    assert_non_null(strstr(activation, "rounded"));
    assert_non_null(strstr(activation, "fillcolor=\"#dbe8f7\""));
    /* Each node shows its shape and op: q is 6 x 8, made by matmul. */
    assert_non_null(strstr(activation, "6 \xc3\x97 8 \xc2\xb7 matmul"));
    free(g->text);
    free(g);
}

static void clusters_stand_for_layers_and_heads(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE];
    draw(t, data_file(trace_path, t, "render_layers.jsonl"), "-o",
         scratch_file(out, t, "layers.dot"));
    size_t length;
    char *text = read_whole_file(out, &length);
    assert_non_null(text);
    /* A cluster per layer, a cluster per head inside it, labelled by what
     * it adds; head 1's scores inside head 1's cluster. */
    const char *layer = strstr(text, "subgraph \"cluster_enc.1\" {");
    assert_non_null(layer);
    const char *head = strstr(layer, "subgraph \"cluster_enc.1.attn.h1\" {");
    assert_non_null(head);
    assert_non_null(strstr(head, "label=\"attn.h1\";"));
    const char *scores = strstr(head, "\"enc.1.attn.h1.scores\" [label=");
    assert_non_null(scores);
    assert_true(scores < strstr(head, "\n    }\n"));
    free(text);
}

static void fonts_are_set_on_graph_nodes_and_edges(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE];
    draw(t, data_file(trace_path, t, "render_heads.jsonl"), "-o",
         scratch_file(out, t, "heads.dot"));
    size_t length;
    char *text = read_whole_file(out, &length);
    assert_non_null(strstr(text, "\n  graph [fontname=\"DejaVu Sans\""));
    assert_non_null(strstr(text, "\n  node [fontname=\"DejaVu Sans\""));
    assert_non_null(strstr(text, "\n  edge [fontname=\"DejaVu Sans\""));
    free(text);
}

/* ---- shortening --------------------------------------------------------------------- */

static void collapse_heads_makes_one_node_for_all_heads(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE];
    draw(t, data_file(trace_path, t, "render_heads.jsonl"), "--collapse", "heads", "-o",
         scratch_file(out, t, "heads.dot"));
    dot_graph *g = malloc(sizeof *g);
    parse_dot(g, out);
    assert_int_equal(node_count(g, "enc.0.attn.h*.scores"), 1);
    assert_int_equal(node_count(g, "enc.0.attn.h0.scores"), 0);
    assert_non_null(strstr(node_line(g, "enc.0.attn.h*.scores"), "4 heads"));
    assert_true(has_edge(g, "enc.0.attn.h*.weights", "enc.0.attn.h*.out"));
    assert_true(has_edge(g, "enc.0.attn.h*.out", "enc.0.attn.concat"));
    /* x, 4 parameters, q k v, the 7 tensors of a head (q k v scores scaled
     * weights out) once instead of 4 times, concat and out: 1+4+3+7+2. */
    assert_int_equal(g->n_nodes, 17);
    free(g->text);
    free(g);
}

static void depth_groups_names_below_it(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE];
    draw(t, data_file(trace_path, t, "render_layers.jsonl"), "--depth", "2", "-o",
         scratch_file(out, t, "layers.dot"));
    dot_graph *g = malloc(sizeof *g);
    parse_dot(g, out);
    /* x, then everything of layer 0 and of layer 1 as one node each. */
    assert_int_equal(g->n_nodes, 3);
    assert_int_equal(node_count(g, "enc.0"), 1);
    assert_int_equal(node_count(g, "enc.1"), 1);
    assert_true(has_edge(g, "x", "enc.0"));
    assert_true(has_edge(g, "enc.0", "enc.1"));
    assert_int_equal(g->n_edges, 2);
    free(g->text);
    free(g);
}

static void layers_keeps_the_first_layers(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE];
    draw(t, data_file(trace_path, t, "render_layers.jsonl"), "--layers", "1", "-o",
         scratch_file(out, t, "layers.dot"));
    dot_graph *g = malloc(sizeof *g);
    parse_dot(g, out);
    for (int k = 0; k < g->n_nodes; k++) {
        if (strncmp(g->nodes[k], "enc.1.", 6) == 0) {
            fail_msg("layer 1 is still drawn: %s", g->nodes[k]);
        }
    }
    assert_int_equal(node_count(g, "enc.0.attn.out"), 1);
    free(g->text);
    free(g);
}

/* ---- pictures ------------------------------------------------------------------------ */

static void the_svg_from_dot_is_well_formed_and_the_dot_beside_it(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE], dot[PATH_SIZE];
    draw(t, data_file(trace_path, t, "render_heads.jsonl"), "-o",
         scratch_file(out, t, "heads.svg"));
    assert_true(file_exists(scratch_file(dot, t, "heads.dot")));
    size_t length;
    char *text = read_whole_file(out, &length);
    assert_non_null(text);
    assert_non_null(strstr(text, "<svg"));
    assert_non_null(strstr(text, "enc.0.attn.h3.weights"));
    free(text);
    if (access("/usr/bin/xmllint", X_OK) == 0) {
        run_result r;
        assert_int_equal(run_program_args(&r, NULL, "/usr/bin/xmllint", "--noout", out, NULL), 0);
        assert_int_equal(r.exit_code, 0);
        run_result_free(&r);
    }
}

static void thumbnails_are_small_heatmaps_in_score_and_weight_nodes(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE], thumbnail[PATH_SIZE];
    draw(t, data_file(trace_path, t, "render_heads.jsonl"), "--thumbnails", "-o",
         scratch_file(out, t, "heads.png"));
    dot_graph *g = malloc(sizeof *g);
    parse_dot(g, scratch_file(out, t, "heads.dot"));
    assert_non_null(strstr(node_line(g, "enc.0.attn.h2.weights"),
                           "<IMG SRC=\"heads_thumbnails/enc.0.attn.h2.weights.png\"/>"));
    assert_null(strstr(node_line(g, "enc.0.attn.h2.v"), "<IMG"));
    free(g->text);
    free(g);
    /* 6 x 6 weights: 72 points / 6 = 12 pixels a cell, 72 x 72 pixels. */
    png_picture p;
    assert_true(png_picture_read(&p, scratch_file(thumbnail, t,
                                                  "heads_thumbnails/enc.0.attn.h2.weights.png")));
    assert_int_equal(p.width, 72);
    assert_int_equal(p.height, 72);
    png_picture_free(&p);
    png_picture picture;
    assert_true(png_picture_read(&picture, scratch_file(out, t, "heads.png")));
    png_picture_free(&picture);
}

static void the_same_trace_gives_the_same_dot_bytes(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[2][PATH_SIZE];
    char *text[2];
    size_t length[2];
    data_file(trace_path, t, "render_layers.jsonl");
    for (int k = 0; k < 2; k++) {
        draw(t, trace_path, "--thumbnails", "-o", scratch_file(out[k], t, k ? "b.svg" : "a.svg"));
        text[k] = read_whole_file(scratch_file(out[k], t, k ? "b.dot" : "a.dot"), &length[k]);
        assert_non_null(text[k]);
    }
    /* The thumbnail folder is named after the file, so compare after it. */
    char *a = strstr(text[0], "a_thumbnails/"), *b = strstr(text[1], "b_thumbnails/");
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(length[0], length[1]);
    assert_memory_equal(text[0], text[1], (size_t)(a - text[0]));
    free(text[0]);
    free(text[1]);
    draw(t, trace_path, "-o", scratch_file(out[0], t, "c.dot"));
    draw(t, trace_path, "-o", scratch_file(out[1], t, "d.dot"));
    text[0] = read_whole_file(out[0], &length[0]);
    text[1] = read_whole_file(out[1], &length[1]);
    assert_int_equal(length[0], length[1]);
    assert_memory_equal(text[0], text[1], length[0]);
    free(text[0]);
    free(text[1]);
}

static void a_pdf_carries_no_date_of_its_own(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE];
    draw(t, data_file(trace_path, t, "render_layers.jsonl"), "-o",
         scratch_file(out, t, "layers.pdf"));
    size_t length;
    char *pdf = read_whole_file(out, &length);
    assert_non_null(pdf);
    assert_true(length > 5 && memcmp(pdf, "%PDF-", 5) == 0);
    /* cairo stamps the time of drawing; attnlab-flow pins it to the epoch
     * so that two runs give the same bytes. Search past embedded NULs. */
    const char *key = "/CreationDate (D:";
    const char *found = NULL;
    for (size_t k = 0; k + strlen(key) + 14 <= length && !found; k++) {
        if (memcmp(pdf + k, key, strlen(key)) == 0) {
            found = pdf + k + strlen(key);
        }
    }
    if (found) {
        assert_memory_equal(found, "19700101000000", 14);
    }
    free(pdf);
}

/* ---- failures ------------------------------------------------------------------------- */

static void without_dot_the_dot_file_is_still_written(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE], dot[PATH_SIZE];
    run_result r;
    run_flow(r, t, data_file(trace_path, t, "render_heads.jsonl"), "--dot",
             "/nonexistent/bin/dot", "-o", scratch_file(out, t, "heads.svg"));
    assert_int_equal(r.exit_code, 3);
    assert_true(strncmp(r.err, "attnlab-flow: ", 14) == 0);
    assert_non_null(strstr(r.err, "dot"));
    assert_true(file_exists(scratch_file(dot, t, "heads.dot")));
    assert_false(file_exists(out));
    assert_int_equal(count_entries(t->folder), 1);  /* no temporary file left */
    run_result_free(&r);
}

/* When the DOT file cannot be written (here a folder stands at its path),
 * the thumbnails already drawn for it are removed with their folder:
 * nothing is left but what was there before. */
static void a_failed_dot_write_leaves_no_thumbnails(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE], dot[PATH_SIZE];
    assert_int_equal(mkdir(scratch_file(dot, t, "heads.dot"), 0755), 0);
    run_result r;
    run_flow(r, t, data_file(trace_path, t, "render_heads.jsonl"), "--thumbnails", "-o",
             scratch_file(out, t, "heads.svg"));
    assert_int_equal(r.exit_code, 2);
    assert_true(strncmp(r.err, "attnlab-flow: ", 14) == 0);
    assert_int_equal(count_entries(t->folder), 1);  /* the folder heads.dot alone */
    assert_int_equal(rmdir(dot), 0);
    run_result_free(&r);
}

/* A dot first on PATH is the one run (not only the one found at build
 * time): a fake dot that leaves a mark and fails. */
static void the_dot_first_on_path_is_run(void **state)
{
    flow_test *t = *state;
    char bin[256], script[PATH_SIZE], mark[PATH_SIZE], trace_path[PATH_SIZE];
    char out[PATH_SIZE], dot[PATH_SIZE];
    snprintf(bin, sizeof bin, "%s/attnlab_test_dot_XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(bin));
    snprintf(script, sizeof script, "%s/dot", bin);
    snprintf(mark, sizeof mark, "%s/called", bin);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\necho \"$@\" > '%s'\nexit 1\n", mark);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(script, 0755), 0);
    const char *old = getenv("PATH");
    char *saved = strdup(old ? old : "");
    assert_non_null(saved);
    char path[2 * PATH_SIZE];
    snprintf(path, sizeof path, "%s:%s", bin, saved);
    assert_int_equal(setenv("PATH", path, 1), 0);
    run_result r;
    run_flow(r, t, data_file(trace_path, t, "render_heads.jsonl"), "-o",
             scratch_file(out, t, "heads.svg"));
    assert_int_equal(setenv("PATH", saved, 1), 0);
    free(saved);
    assert_int_equal(r.exit_code, 3);  /* the fake dot failed */
    assert_true(file_exists(mark));
    assert_false(file_exists(out));
    unlink(mark);
    unlink(script);
    rmdir(bin);
    unlink(scratch_file(dot, t, "heads.dot"));
    run_result_free(&r);
}

static void a_broken_trace_is_refused_and_nothing_written(void **state)
{
    flow_test *t = *state;
    const char *broken[] = {"render_truncated.jsonl", "render_malformed.jsonl"};
    const char *says[] = {"truncated", "malformed JSON"};
    for (int k = 0; k < 2; k++) {
        char trace_path[PATH_SIZE], out[PATH_SIZE];
        run_result r;
        run_flow(r, t, data_file(trace_path, t, broken[k]), "--thumbnails", "-o",
                 scratch_file(out, t, "never.svg"));
        assert_int_equal(r.exit_code, 2);
        assert_true(strncmp(r.err, "attnlab-flow: ", 14) == 0);
        assert_non_null(strstr(r.err, says[k]));
        assert_true(strchr(r.err, '\n') == r.err + r.err_length - 1);
        assert_int_equal(count_entries(t->folder), 0);
        run_result_free(&r);
    }
}

static void bad_options_are_refused(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE];
    data_file(trace_path, t, "render_heads.jsonl");
    scratch_file(out, t, "x.svg");
    const char *const cases[][3] = {
        {"--collapse", "layers", "'layers'"},
        {"--format", "gif", "gif"},
        {"--format", "png", "does not match"},
        {"--depth", "0", "'0'"},
    };
    for (int k = 0; k < 4; k++) {
        run_result r;
        run_flow(r, t, trace_path, cases[k][0], cases[k][1], "-o", out);
        assert_int_equal(r.exit_code, 2);
        if (!strstr(r.err, cases[k][2])) {
            fail_msg("%s %s: message lacks \"%s\": %s", cases[k][0], cases[k][1], cases[k][2],
                     r.err);
        }
        assert_int_equal(count_entries(t->folder), 0);
        run_result_free(&r);
    }
}

/* ---- --beam ----------------------------------------------------------------------- */

/* render_beam.jsonl's search: '<s> a' (-0.5) and '<s> b' (-1.0) after step
 * 0; '<s> a c' (-0.8) and '<s> b d' (-1.2) after step 1; '<s> b d e'
 * (-1.3) and '<s> b d f' (-2.0) after step 2. So a and c were pruned
 * (no continuation reaches the last step), <s> b d e is the best path,
 * and each edge carries the added token's log p: b -> d is -1.2 - -1.0. */
static void beam_is_a_tree_of_the_sentences_kept(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE];
    data_file(trace_path, t, "render_beam.jsonl");
    draw(t, trace_path, "--beam", "beam", "-o", scratch_file(out, t, "beam.svg"));
    size_t length;
    char *text = read_whole_file(scratch_file(out, t, "beam.dot"), &length);
    assert_non_null(text);
    const char *lines[] = {
        "  n0 [label=\"<s>\", penwidth=2.2];",
        "  n1 [label=\"a\\nlog p -0.50\", color=\"#999999\"",
        "  n2 [label=\"b\\nlog p -1.00\", penwidth=2.2];",
        "  n3 [label=\"c\\nlog p -0.80\", color=\"#999999\"",
        "  n4 [label=\"d\\nlog p -1.20\", penwidth=2.2];",
        "  n5 [label=\"e\\nlog p -1.30\", penwidth=2.2];",
        "  n6 [label=\"f\\nlog p -2.00\"];",
        "  n0 -> n1 [label=\"-0.50\", color=\"#999999\"",
        "  n0 -> n2 [label=\"-1.00\", penwidth=2.2];",
        "  n1 -> n3 [label=\"-0.30\", color=\"#999999\"",
        "  n2 -> n4 [label=\"-0.20\", penwidth=2.2];",
        "  n4 -> n5 [label=\"-0.10\", penwidth=2.2];",
        "  n4 -> n6 [label=\"-0.80\"];",
        NULL};
    for (int k = 0; lines[k]; k++) {
        if (!strstr(text, lines[k])) {
            fail_msg("the DOT lacks the line \"%s\":\n%s", lines[k], text);
        }
    }
    assert_null(strstr(text, "n7 "));
    free(text);
    assert_true(file_exists(scratch_file(out, t, "beam.svg")));
}

/* --beam on a trace without one, or with the flow's shortening options,
 * is refused and writes nothing. */
static void beam_without_a_beam_search_is_refused(void **state)
{
    flow_test *t = *state;
    char trace_path[PATH_SIZE], out[PATH_SIZE];
    data_file(trace_path, t, "render_heads.jsonl");
    scratch_file(out, t, "beam.svg");
    run_result r;
    run_flow(r, t, trace_path, "--beam", "beam", "-o", out);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "the trace holds no beam search under 'beam'"));
    run_result_free(&r);
    run_flow(r, t, trace_path, "--beam", "beam", "--depth", "2", "-o", out);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--beam draws a tree of sentences: it cannot go with --depth"));
    run_result_free(&r);
    assert_int_equal(count_entries(t->folder), 0);
}

#define TEST(f) cmocka_unit_test_prestate_setup_teardown(f, make_folder, remove_scratch, &t)

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s ATTNLAB_FLOW_PROGRAM TESTS_DATA_DIR\n", argv[0]);
        return 2;
    }
    flow_test t = {.program = argv[1], .data = argv[2]};
    const struct CMUnitTest tests[] = {
        TEST(every_tensor_is_one_node_and_every_input_an_edge),
        TEST(an_input_the_trace_lacks_is_a_dashed_placeholder),
        TEST(parameters_are_drawn_unlike_activations),
        TEST(clusters_stand_for_layers_and_heads),
        TEST(fonts_are_set_on_graph_nodes_and_edges),
        TEST(collapse_heads_makes_one_node_for_all_heads),
        TEST(depth_groups_names_below_it),
        TEST(layers_keeps_the_first_layers),
        TEST(the_svg_from_dot_is_well_formed_and_the_dot_beside_it),
        TEST(thumbnails_are_small_heatmaps_in_score_and_weight_nodes),
        TEST(the_same_trace_gives_the_same_dot_bytes),
        TEST(a_pdf_carries_no_date_of_its_own),
        TEST(without_dot_the_dot_file_is_still_written),
        TEST(the_dot_first_on_path_is_run),
        TEST(a_failed_dot_write_leaves_no_thumbnails),
        TEST(a_broken_trace_is_refused_and_nothing_written),
        TEST(bad_options_are_refused),
        TEST(beam_is_a_tree_of_the_sentences_kept),
        TEST(beam_without_a_beam_search_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
