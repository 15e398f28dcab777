/* flow_graph.c: the layer-flow graph of a trace, from names and inputs
 * alone. A tensor's node is named by its dotted name, changed only by the
 * shortening options: --collapse heads turns "h1" into "h*" (so all heads
 * share one node), --depth N keeps the first N dotted parts (a group node
 * stands for everything below), --layers N leaves out layers N and up.
 * Clusters come from the name too: a part that is a number ("enc.0"), a
 * head ("h1", "h*") or a step ("step3") closes one. It writes nothing. */
#include "flow.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARTS 64

static bool all_digits(const char *part, size_t n)
{
    if (n == 0) {
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        if (!isdigit((unsigned char)part[k])) {
            return false;
        }
    }
    return true;
}

/* "h0", "h12" or, once collapsed, "h*". */
static bool is_head(const char *part, size_t n)
{
    return n >= 2 && part[0] == 'h' && (all_digits(part + 1, n - 1) || (n == 2 && part[1] == '*'));
}

static bool is_step(const char *part, size_t n)
{
    return n > 4 && strncmp(part, "step", 4) == 0 && all_digits(part + 4, n - 4);
}

/* Where each dotted part of name starts and how long it is; returns the
 * number of parts (at most MAX_PARTS; the last part keeps any rest). */
static int split_parts(const char **start, size_t *length, const char *name)
{
    int n = 0;
    const char *p = name;
    for (;;) {
        const char *dot = strchr(p, '.');
        start[n] = p;
        if (!dot || n == MAX_PARTS - 1) {
            length[n++] = strlen(p);
            return n;
        }
        length[n++] = (size_t)(dot - p);
        p = dot + 1;
    }
}

/* True when --layers leaves name out: its first numeric part (its layer)
 * is layers or more. */
static bool dropped_by_layers(const char *name, const flow_options *o)
{
    if (o->layers <= 0) {
        return false;
    }
    const char *start[MAX_PARTS];
    size_t length[MAX_PARTS];
    int n = split_parts(start, length, name);
    for (int k = 0; k < n; k++) {
        if (all_digits(start[k], length[k])) {
            return length[k] > 9 || atol(start[k]) >= o->layers;
        }
    }
    return false;
}

/* The node id for a tensor name (malloc'ed; NULL when out of memory) and
 * whether --depth cut it short. */
static char *node_id(const char *name, const flow_options *o, bool *cut)
{
    const char *start[MAX_PARTS];
    size_t length[MAX_PARTS];
    int n = split_parts(start, length, name);
    *cut = o->depth > 0 && n > o->depth;
    int keep = *cut ? o->depth : n;
    char *id = malloc(strlen(name) + 1);
    if (!id) {
        return NULL;
    }
    char *out = id;
    for (int k = 0; k < keep; k++) {
        if (k > 0) {
            *out++ = '.';
        }
        if (o->collapse_heads && is_head(start[k], length[k])) {
            memcpy(out, "h*", 2);
            out += 2;
        } else {
            memcpy(out, start[k], length[k]);
            out += length[k];
        }
    }
    *out = '\0';
    return id;
}

static int find_node(const flow_graph *g, const char *id)
{
    for (int k = 0; k < g->n_nodes; k++) {
        if (strcmp(g->nodes[k].id, id) == 0) {
            return k;
        }
    }
    return -1;
}

/* The cluster with this prefix (the first length bytes of text), added
 * with its parent if new. Returns its index, or -1 when out of memory. */
static int cluster_for(flow_graph *g, const char *text, size_t length, int parent, bool is_head)
{
    for (int k = 0; k < g->n_clusters; k++) {
        if (strlen(g->clusters[k].prefix) == length &&
            strncmp(g->clusters[k].prefix, text, length) == 0) {
            return k;
        }
    }
    flow_cluster *bigger = realloc(g->clusters, ((size_t)g->n_clusters + 1) * sizeof *bigger);
    char *prefix = malloc(length + 1);
    if (bigger) {
        g->clusters = bigger;
    }
    if (!bigger || !prefix) {
        free(prefix);
        return -1;
    }
    memcpy(prefix, text, length);
    prefix[length] = '\0';
    g->clusters[g->n_clusters] = (flow_cluster){prefix, parent, is_head};
    return g->n_clusters++;
}

/* Put node in its innermost cluster: the longest prefix of its id ending
 * in a layer, head or step part, with something left after it. Sets
 * shown_name to the rest. Returns false when out of memory. */
static bool place_in_cluster(flow_graph *g, flow_node *node)
{
    const char *start[MAX_PARTS];
    size_t length[MAX_PARTS];
    int n = split_parts(start, length, node->id);
    node->cluster = -1;
    node->shown_name = node->id;
    for (int k = 0; k < n - 1; k++) {
        if (all_digits(start[k], length[k]) || is_head(start[k], length[k]) ||
            is_step(start[k], length[k])) {
            size_t prefix_length = (size_t)(start[k] + length[k] - node->id);
            int cluster = cluster_for(g, node->id, prefix_length, node->cluster,
                                      is_head(start[k], length[k]));
            if (cluster < 0) {
                return false;
            }
            node->cluster = cluster;
            node->shown_name = start[k + 1];
        }
    }
    return true;
}

/* The node for id, added (taking id over) if new, else id is freed.
 * Returns its index, or -1 when out of memory. */
static int node_for(flow_graph *g, char *id, const al_trace_tensor *tensor, bool is_group)
{
    int found = find_node(g, id);
    if (found >= 0) {
        free(id);
        if (tensor) {
            g->nodes[found].n_members++;
        }
        return found;
    }
    flow_node *bigger = realloc(g->nodes, ((size_t)g->n_nodes + 1) * sizeof *bigger);
    if (!bigger) {
        free(id);
        return -1;
    }
    g->nodes = bigger;
    flow_node *node = &g->nodes[g->n_nodes];
    *node = (flow_node){.id = id, .tensor = tensor, .n_members = tensor ? 1 : 0,
                        .is_group = is_group};
    g->n_nodes++;
    return place_in_cluster(g, node) ? g->n_nodes - 1 : -1;
}

static bool add_edge(flow_graph *g, int from, int to)
{
    if (from == to) {
        return true;  /* inside one group node: nothing to draw */
    }
    for (int k = 0; k < g->n_edges; k++) {
        if (g->edges[k].from == from && g->edges[k].to == to) {
            return true;
        }
    }
    flow_edge *bigger = realloc(g->edges, ((size_t)g->n_edges + 1) * sizeof *bigger);
    if (!bigger) {
        return false;
    }
    g->edges = bigger;
    g->edges[g->n_edges++] = (flow_edge){from, to};
    return true;
}

/* The node index of a tensor name, or -1 when out of memory; a name the
 * graph does not draw becomes a placeholder node. */
static int node_of_name(flow_graph *g, const al_trace_file *trace, const char *name,
                        const flow_options *o)
{
    const al_trace_tensor *t = al_trace_file_find(trace, name);
    bool cut;
    char *id = node_id(name, o, &cut);
    if (!id) {
        return -1;
    }
    int found = find_node(g, id);
    if (found >= 0) {
        free(id);
        return found;
    }
    bool drawn = t && !dropped_by_layers(name, o);
    return node_for(g, id, drawn ? t : NULL, drawn && cut);
}

al_status flow_graph_build(flow_graph *graph, const al_trace_file *trace,
                           const flow_options *options, al_error *err)
{
    *graph = (flow_graph){0};
    bool ok = true;
    /* Nodes first, in trace order, so the DOT lists them as the
     * computation ran; placeholders then follow as edges need them. */
    for (int k = 0; ok && k < trace->n_tensors; k++) {
        const al_trace_tensor *t = &trace->tensors[k];
        if (dropped_by_layers(t->name, options)) {
            continue;
        }
        bool cut;
        char *id = node_id(t->name, options, &cut);
        ok = id && node_for(graph, id, t, cut) >= 0;
    }
    for (int k = 0; ok && k < trace->n_tensors; k++) {
        const al_trace_tensor *t = &trace->tensors[k];
        if (dropped_by_layers(t->name, options)) {
            continue;
        }
        int to = node_of_name(graph, trace, t->name, options);
        for (int i = 0; ok && to >= 0 && i < t->n_inputs; i++) {
            int from = node_of_name(graph, trace, t->inputs[i], options);
            ok = from >= 0 && add_edge(graph, from, to);
        }
        ok = ok && to >= 0;
    }
    if (!ok) {
        flow_graph_free(graph);
        return al_fail(err, AL_ERR_NOMEM, "out of memory building the flow graph");
    }
    return AL_OK;
}

void flow_graph_free(flow_graph *graph)
{
    for (int k = 0; k < graph->n_nodes; k++) {
        free(graph->nodes[k].id);
        free(graph->nodes[k].thumbnail);
    }
    for (int k = 0; k < graph->n_clusters; k++) {
        free(graph->clusters[k].prefix);
    }
    free(graph->nodes);
    free(graph->edges);
    free(graph->clusters);
    *graph = (flow_graph){0};
}
