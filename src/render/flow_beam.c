/* flow_beam.c: a beam search drawn as a tree, from its trace records alone.
 * A beam search under PREFIX writes PREFIX.step0.scores,
 * PREFIX.step1.scores, ...: after each step, the W sentences it kept, best
 * first, each a row labelled by its tokens ("<bos> the cat") holding the
 * sum of their log-probabilities. Every sentence kept at some step is a
 * node, under the sentence one token shorter; its edge carries the log p
 * of the token it added (its score minus its parent's). A sentence none of
 * whose continuations reach the last step was pruned (grey, dashed); the
 * kept ones are black, and the best sentence's path is bold. Candidates
 * scored but never kept are not in the trace, so they are not drawn.
 * It never computes anything the trace does not hold beyond that one
 * subtraction. */
#include "flow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* How a pruned sentence and its edge are drawn. */
static const char PRUNED_NODE[] = ", color=\"#999999\", fontcolor=\"#777777\", "
                                  "style=\"rounded,dashed\"";
static const char PRUNED_EDGE[] = ", color=\"#999999\", fontcolor=\"#777777\", style=dashed";
static const char BEST[] = ", penwidth=2.2";

typedef struct beam_node {
    const char *sentence;  /* its tokens, as the row label holds them */
    const char *token;     /* the last of them (points into sentence) */
    int parent;            /* node index, or -1 for the root */
    float score;           /* the sum of log p, 0 for the root */
    bool kept;             /* it, or a continuation, is in the last step */
    bool best;             /* on the path of the last step's first sentence */
} beam_node;

typedef struct beam_tree {
    beam_node *nodes;
    int n_nodes;
    char *root_sentence;   /* the token every sentence starts with ("<bos>") */
    int steps, width;
} beam_tree;

static int find_node(const beam_tree *tree, const char *sentence, size_t length)
{
    for (int k = 0; k < tree->n_nodes; k++)
        if (strlen(tree->nodes[k].sentence) == length &&
            strncmp(tree->nodes[k].sentence, sentence, length) == 0)
            return k;
    return -1;
}

static int add_node(beam_tree *tree, const char *sentence, int parent, float score)
{
    const char *space = strrchr(sentence, ' ');
    tree->nodes[tree->n_nodes] = (beam_node){.sentence = sentence,
                                             .token = space ? space + 1 : sentence,
                                             .parent = parent, .score = score};
    return tree->n_nodes++;
}

/* The step-t record, checked: a column of scores with a label per row. */
static al_status step_record(const al_trace_tensor **step, const al_trace_file *trace,
                             const char *prefix, int t, al_error *err)
{
    char name[512];
    snprintf(name, sizeof name, "%s.step%d.scores", prefix, t);
    *step = al_trace_file_find(trace, name);
    if (*step && ((*step)->cols != 1 || !(*step)->row_labels || !(*step)->data))
        return al_fail(err, AL_ERR_FORMAT, "'%s' is not a beam: it needs one column of scores "
                       "and a sentence labelling each row", name);
    return AL_OK;
}

/* Every sentence of every step, under its parent; then which survive. */
static al_status build_tree(beam_tree *tree, const al_trace_file *trace, const char *prefix,
                            al_error *err)
{
    const al_trace_tensor *step;
    int rows = 0;
    al_status status = AL_OK;
    for (tree->steps = 0; status == AL_OK; tree->steps++) {
        status = step_record(&step, trace, prefix, tree->steps, err);
        if (status != AL_OK || !step)
            break;
        rows += step->rows;
    }
    if (status == AL_OK && tree->steps == 0)
        status = al_fail(err, AL_ERR_ARG, "the trace holds no beam search under '%s' (no "
                         "'%s.step0.scores'; lesson11 writes one under 'beam')", prefix, prefix);
    if (status != AL_OK)
        return status;
    if (!(tree->nodes = calloc((size_t)rows + 1, sizeof *tree->nodes)))
        return al_fail(err, AL_ERR_NOMEM, "out of memory");
    for (int t = 0; t < tree->steps && status == AL_OK; t++) {
        status = step_record(&step, trace, prefix, t, err);
        for (int r = 0; status == AL_OK && r < step->rows; r++) {
            const char *sentence = step->row_labels[r];
            const char *space = strrchr(sentence, ' ');
            if (find_node(tree, sentence, strlen(sentence)) >= 0)
                continue;  /* a finished sentence, carried to the next step */
            if (!space)
                return al_fail(err, AL_ERR_FORMAT, "%s.step%d.scores row %d is '%s': a beam's "
                               "sentence has the start token and at least one more", prefix, t,
                               r, sentence);
            size_t parent_length = (size_t)(space - sentence);
            int parent = find_node(tree, sentence, parent_length);
            if (parent < 0 && t == 0) {
                if (!(tree->root_sentence = strndup(sentence, parent_length)))
                    return al_fail(err, AL_ERR_NOMEM, "out of memory");
                parent = add_node(tree, tree->root_sentence, -1, 0.0f);
            } else if (parent < 0) {
                return al_fail(err, AL_ERR_FORMAT, "%s.step%d.scores row %d, '%s', continues a "
                               "sentence no earlier step kept", prefix, t, r, sentence);
            }
            add_node(tree, sentence, parent, step->data[r]);
        }
        if (status == AL_OK && t == 0) {
            const al_trace_tensor_attr *width = al_trace_tensor_find_attr(step, "width");
            tree->width = width && width->kind == AL_TRACE_ATTR_NUMBER ? (int)width->number
                                                                      : step->rows;
        }
    }
    const al_trace_tensor *last = NULL;
    if (status == AL_OK)
        status = step_record(&last, trace, prefix, tree->steps - 1, err);
    for (int r = 0; status == AL_OK && r < last->rows; r++) {
        int k = find_node(tree, last->row_labels[r], strlen(last->row_labels[r]));
        for (; k >= 0; k = tree->nodes[k].parent) {
            tree->nodes[k].kept = true;
            tree->nodes[k].best |= r == 0;
        }
    }
    return status;
}

static void write_tree(FILE *stream, const beam_tree *tree, const char *prefix)
{
    fprintf(stream, "// Beam search drawn by attnlab-flow --beam %s from a trace "
                    "(traces/FORMAT.md).\n"
                    "// Render with: dot -Tsvg THIS.dot -o THIS.svg\n"
                    "digraph attnlab_beam {\n", prefix);
    fprintf(stream, "  graph [fontname=\"" TEXT_FAMILY "\", fontsize=12, rankdir=LR, "
                    "nodesep=0.15, ranksep=0.3, labelloc=t, label=\"beam search, W = %d: "
                    "the sentences kept after each step; grey ones were pruned later, the "
                    "bold path is the best\"];\n", tree->width);
    fputs("  node [fontname=\"" TEXT_FAMILY "\", fontsize=10, shape=box, style=rounded, "
          "margin=\"0.08,0.03\"];\n", stream);
    fputs("  edge [fontname=\"" TEXT_FAMILY "\", fontsize=8, arrowsize=0.6];\n", stream);
    for (int k = 0; k < tree->n_nodes; k++) {
        const beam_node *n = &tree->nodes[k];
        char label[256];
        if (n->parent < 0)
            snprintf(label, sizeof label, "%s", n->token);
        else
            snprintf(label, sizeof label, "%s\nlog p %.2f", n->token, (double)n->score);
        fprintf(stream, "  n%d [label=", k);
        flow_write_quoted(stream, label);
        fprintf(stream, "%s%s];\n", n->kept ? "" : PRUNED_NODE, n->best ? BEST : "");
    }
    for (int k = 0; k < tree->n_nodes; k++) {
        const beam_node *n = &tree->nodes[k];
        if (n->parent < 0)
            continue;
        char label[32];
        snprintf(label, sizeof label, "%.2f", (double)(n->score - tree->nodes[n->parent].score));
        fprintf(stream, "  n%d -> n%d [label=\"%s\"%s%s];\n", n->parent, k, label,
                n->kept ? "" : PRUNED_EDGE, n->best ? BEST : "");
    }
    fputs("}\n", stream);
}

al_status flow_write_beam_dot(FILE *stream, const al_trace_file *trace, const char *prefix,
                              al_error *err)
{
    beam_tree tree = {0};
    al_status status = build_tree(&tree, trace, prefix, err);
    if (status == AL_OK)
        write_tree(stream, &tree, prefix);
    free(tree.nodes);
    free(tree.root_sentence);
    return status;
}
