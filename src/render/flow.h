/* flow.h: what the files of attnlab-flow share (internal):
 *   flow_main.c        options, the output files, exit status
 *   flow_graph.c       the graph: a node per tensor (or per group of them,
 *                      with --collapse heads and --depth), edges from each
 *                      input to what it made, clusters per layer and head
 *   flow_dot.c         the graph written as DOT
 *   flow_beam.c        a beam search drawn as a tree of the sentences it kept
 *   flow_thumbnails.c  small heatmaps of score and weight matrices
 *   flow_run_dot.c     starting Graphviz dot, without a shell
 * It never computes: everything comes from the trace's names, ops and
 * inputs. */
#ifndef ATTNLAB_RENDER_FLOW_H
#define ATTNLAB_RENDER_FLOW_H

#include <stdbool.h>
#include <stdio.h>

#include "attnlab/status.h"
#include "attnlab/trace_file.h"

/* How the graph is shortened. */
typedef struct flow_options {
    bool collapse_heads;  /* one node for h0, h1, ... of the same name */
    int depth;            /* keep this many dotted parts of a name, 0 = all */
    int layers;           /* keep layers 0 .. layers-1, 0 = all */
} flow_options;

typedef struct flow_node {
    char *id;                        /* the DOT node name: a tensor's name, or a group's */
    const char *shown_name;          /* id without its cluster's prefix (points into id) */
    const al_trace_tensor *tensor;   /* the first tensor it stands for; NULL: placeholder */
    int n_members;                   /* tensors it stands for */
    bool is_group;                   /* stands for names cut short by --depth */
    int cluster;                     /* index in clusters, or -1 */
    char *thumbnail;                 /* image file for its label, or NULL */
} flow_node;

typedef struct flow_edge {
    int from, to;                    /* node indexes: input -> output */
} flow_edge;

/* A layer ("enc.0"), a head ("enc.0.attn.h1") or a seq2seq step. */
typedef struct flow_cluster {
    char *prefix;
    int parent;                      /* enclosing cluster, or -1 */
    bool is_head;                    /* a head's cluster, drawn lighter */
} flow_cluster;

typedef struct flow_graph {
    flow_node *nodes;
    int n_nodes;
    flow_edge *edges;
    int n_edges;
    flow_cluster *clusters;
    int n_clusters;
} flow_graph;

/* ---- flow_graph.c ------------------------------------------------------------ */

/* Build the graph of trace: nodes in the order tensors first appear,
 * placeholders (dashed) for inputs the trace does not hold or that
 * --layers left out, edges in the order of the records and their inputs,
 * each once. The caller frees it with flow_graph_free. */
al_status flow_graph_build(flow_graph *graph, const al_trace_file *trace,
                           const flow_options *options, al_error *err);

void flow_graph_free(flow_graph *graph);

/* ---- flow_thumbnails.c -------------------------------------------------------- */

/* True for a tensor drawn as a thumbnail: scores, scaled, masked scores
 * and weights (names ending so, or made by softmax_rows). */
bool flow_wants_thumbnail(const al_trace_tensor *t);

/* Write a small PNG heatmap for each node that wants one into folder
 * directory/folder (created if needed) and set node->thumbnail to
 * "folder/NAME.png", the path the DOT label uses. */
al_status flow_write_thumbnails(flow_graph *graph, const char *directory, const char *folder,
                                al_error *err);

/* ---- flow_dot.c --------------------------------------------------------------- */

/* Write graph as DOT: fonts set on graph, nodes and edges; clusters nested
 * by prefix; the same graph always gives the same bytes. */
al_status flow_write_dot(FILE *stream, const flow_graph *graph, al_error *err);

/* text as a DOT double-quoted string, quotes and backslashes escaped and
 * newlines as "\n". */
void flow_write_quoted(FILE *stream, const char *text);

/* ---- flow_beam.c -------------------------------------------------------------- */

/* Write the beam search traced under prefix (prefix.step0.scores, ...: the
 * sentences kept after each step, best first) as a DOT tree: each kept
 * sentence under the one it continued, edges labelled with the log p of
 * the added token, sentences pruned later grey and dashed, the best
 * sentence's path bold. AL_ERR_ARG when the trace has no such search,
 * AL_ERR_FORMAT when its records are not a beam's. */
al_status flow_write_beam_dot(FILE *stream, const al_trace_file *trace, const char *prefix,
                              al_error *err);

/* ---- flow_run_dot.c ----------------------------------------------------------- */

typedef enum dot_result {
    DOT_DONE,         /* the picture was written */
    DOT_NOT_FOUND,    /* no dot program could be started */
    DOT_FAILED        /* dot ran and failed */
} dot_result;

/* Run dot_program (a path, or a bare name looked up on PATH) as
 *     dot -TFORMAT -Gimagepath=IMAGE_DIR [-Gdpi=DPI] -o OUT DOT_FILE
 * with no shell, writing OUT through a temporary file so it appears whole
 * or not at all. err says what went wrong for the other two results. */
dot_result flow_run_dot(const char *dot_program, const char *format, const char *dot_path,
                        const char *out_path, const char *image_directory, int dpi,
                        al_error *err);

#endif
