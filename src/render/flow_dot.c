/* flow_dot.c: a flow graph written as Graphviz DOT. Each node's label is
 * an HTML-like table: its name (without its cluster's prefix), its shape
 * and the operation that made it, and a thumbnail image when it has one.
 * Parameters are square-cornered and yellow, inputs green, activations
 * rounded and blue, outputs drawn with a heavier border, and tensors the
 * trace does not hold dashed. Every statement is one line, in a fixed
 * order, so the same graph gives the same bytes. Not a DOT reader. */
#include "flow.h"

#include <errno.h>
#include <string.h>

#include "svg_out.h"
#include "text.h"

/* A DOT double-quoted string: only '"' and '\' need a backslash; a newline
 * becomes DOT's "\n" (a centred line break). */
void flow_write_quoted(FILE *stream, const char *text)
{
    fputc('"', stream);
    for (const char *c = text; *c; c++) {
        if (*c == '\n') {
            fputs("\\n", stream);
            continue;
        }
        if (*c == '"' || *c == '\\') {
            fputc('\\', stream);
        }
        fputc(*c, stream);
    }
    fputc('"', stream);
}

/* Fill, border and shape attributes by the tensor's role. */
static const char *node_style(const flow_node *node)
{
    if (!node->tensor) {
        return "style=\"rounded,dashed\", color=\"#999999\", fontcolor=\"#666666\"";
    }
    if (node->is_group) {
        return "style=\"rounded,filled\", fillcolor=\"#f0f0f0\", color=\"#808080\"";
    }
    const char *role = node->tensor->role;
    if (strcmp(role, "param") == 0) {
        return "style=\"filled\", fillcolor=\"#fff2cc\", color=\"#b58900\"";
    }
    if (strcmp(role, "input") == 0) {
        return "style=\"filled\", fillcolor=\"#e3f2e1\", color=\"#4e9a4b\"";
    }
    if (strcmp(role, "output") == 0) {
        return "style=\"rounded,filled\", fillcolor=\"#dbe8f7\", color=\"#1f4e8c\", penwidth=2";
    }
    return "style=\"rounded,filled\", fillcolor=\"#dbe8f7\", color=\"#4a72b0\"";
}

/* The second line of a label: "6 × 6 · matmul", "4 heads · ...", or why
 * there is no tensor. */
static void write_details(FILE *stream, const flow_node *node)
{
    fputs("<FONT POINT-SIZE=\"8\" COLOR=\"#4d4d4d\">", stream);
    if (!node->tensor) {
        fputs("not in the trace", stream);
    } else if (node->is_group) {
        fprintf(stream, "%d tensor%s", node->n_members, node->n_members == 1 ? "" : "s");
    } else {
        if (node->n_members > 1) {
            fprintf(stream, "%d heads \xc2\xb7 ", node->n_members);
        }
        fprintf(stream, "%d \xc3\x97 %d \xc2\xb7 ", node->tensor->rows, node->tensor->cols);
        xml_write_escaped(stream, node->tensor->op);
    }
    fputs("</FONT>", stream);
}

static void write_node(FILE *stream, const flow_node *node, int indent)
{
    fprintf(stream, "%*s", indent, "");
    flow_write_quoted(stream, node->id);
    fputs(" [label=<<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"1\">"
          "<TR><TD>", stream);
    xml_write_escaped(stream, node->shown_name);
    fputs("</TD></TR><TR><TD>", stream);
    write_details(stream, node);
    fputs("</TD></TR>", stream);
    if (node->thumbnail) {
        fputs("<TR><TD><IMG SRC=\"", stream);
        xml_write_escaped(stream, node->thumbnail);
        fputs("\"/></TD></TR>", stream);
    }
    fprintf(stream, "</TABLE>>, tooltip=");
    flow_write_quoted(stream, node->id);
    fprintf(stream, ", %s];\n", node_style(node));
}

/* A cluster, its own nodes, then its child clusters, recursively. */
static void write_cluster(FILE *stream, const flow_graph *g, int cluster, int indent)
{
    const flow_cluster *c = &g->clusters[cluster];
    bool head = c->is_head;
    fprintf(stream, "%*ssubgraph ", indent, "");
    char name[600];
    snprintf(name, sizeof name, "cluster_%s", c->prefix);
    flow_write_quoted(stream, name);
    fputs(" {\n", stream);
    /* Labelled by what it adds to its parent: "enc.0", then "attn.h1". */
    const char *label = c->prefix;
    if (c->parent >= 0) {
        label += strlen(g->clusters[c->parent].prefix) + 1;
    }
    fprintf(stream, "%*slabel=", indent + 2, "");
    flow_write_quoted(stream, label);
    fprintf(stream, "; style=\"rounded%s\"; color=\"%s\"; fillcolor=\"%s\";\n",
            head ? ",filled" : "", head ? "#b0b0b0" : "#808080", head ? "#fafafa" : "#ffffff");
    for (int k = 0; k < g->n_nodes; k++) {
        if (g->nodes[k].cluster == cluster) {
            write_node(stream, &g->nodes[k], indent + 2);
        }
    }
    for (int k = 0; k < g->n_clusters; k++) {
        if (g->clusters[k].parent == cluster) {
            write_cluster(stream, g, k, indent + 2);
        }
    }
    fprintf(stream, "%*s}\n", indent, "");
}

al_status flow_write_dot(FILE *stream, const flow_graph *g, al_error *err)
{
    fputs("// Layer-flow diagram drawn by attnlab-flow from a trace (traces/FORMAT.md).\n"
          "// Render with: dot -Tsvg THIS.dot -o THIS.svg  (add -Gimagepath=DIR for thumbnails)\n"
          "digraph attnlab_flow {\n", stream);
    fputs("  graph [fontname=\"" TEXT_FAMILY "\", fontsize=11, rankdir=TB, nodesep=0.25, "
          "ranksep=0.35, newrank=true];\n", stream);
    fputs("  node [fontname=\"" TEXT_FAMILY "\", fontsize=10, shape=box, margin=\"0.08,0.04\"];\n",
          stream);
    fputs("  edge [fontname=\"" TEXT_FAMILY "\", fontsize=8, color=\"#555555\", "
          "arrowsize=0.6];\n", stream);
    for (int k = 0; k < g->n_nodes; k++) {
        if (g->nodes[k].cluster < 0) {
            write_node(stream, &g->nodes[k], 2);
        }
    }
    for (int k = 0; k < g->n_clusters; k++) {
        if (g->clusters[k].parent < 0) {
            write_cluster(stream, g, k, 2);
        }
    }
    for (int k = 0; k < g->n_edges; k++) {
        fputs("  ", stream);
        flow_write_quoted(stream, g->nodes[g->edges[k].from].id);
        fputs(" -> ", stream);
        flow_write_quoted(stream, g->nodes[g->edges[k].to].id);
        fputs(";\n", stream);
    }
    fputs("}\n", stream);
    if (ferror(stream)) {
        return al_fail(err, AL_ERR_IO, "cannot write the DOT file: %s", strerror(errno));
    }
    return AL_OK;
}
