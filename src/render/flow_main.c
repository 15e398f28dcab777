/* flow_main.c: attnlab-flow, the layer-flow diagram of a trace.
 * Reads the trace (never the computing library), builds the graph of its
 * tensors, writes the DOT source and, for --format svg, png or pdf, runs
 * Graphviz dot on it. Bad input: one line on stderr, exit 2, nothing
 * written. dot missing or failing: the DOT file stays, the message says
 * how to finish by hand, exit 3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attnlab/trace_file.h"
#include "attnlab_config.h"
#include "cli_options.h"
#include "flow.h"
#include "attnlab/atomic_file.h"
#include "out_path.h"

#define PROGRAM "attnlab-flow"
#define EXIT_BAD_INPUT 2
#define EXIT_NO_PICTURE 3

/* The lines around the generated option lines of --help. */
static const char help_top[] =
    "usage: attnlab-flow TRACE -o OUT [options]\n"
    "Draw the layer-flow diagram of a trace: the DOT source, and a picture made by\n"
    "Graphviz dot.\n"
    "\n";
static const char help_bottom[] =
    "\n"
    "Exit status: 0 written; 2 bad input (nothing written); 3 dot missing or failed\n"
    "(the DOT file was written, the picture was not).\n";

typedef struct flow_command {
    const char *trace_path, *out_path, *format, *dot_program;
    const char *beam;     /* --beam PREFIX: draw that beam search as a tree */
    flow_options graph;
    bool thumbnails;
    int dpi;
    char *dot_path;       /* where the DOT goes (malloc'ed) */
    char *picture_path;   /* where dot's picture goes, or NULL (malloc'ed) */
} flow_command;

static const char *picture_format(const char *path)
{
    static const char *const formats[] = {"svg", "png", "pdf"};
    for (int k = 0; k < 3; k++) {
        char ending[8];
        snprintf(ending, sizeof ending, ".%s", formats[k]);
        if (path_ends_with(path, ending)) {
            return formats[k];
        }
    }
    return NULL;
}

/* Work out the DOT file, the picture and its format from -o and --format. */
static bool choose_outputs(flow_command *c)
{
    const char *from_extension = picture_format(c->out_path);
    if (!from_extension && !path_ends_with(c->out_path, ".dot")) {
        cli_report(PROGRAM, "the output must end in .dot, .svg, .png or .pdf, not '%s'",
                  c->out_path);
        return false;
    }
    if (c->format && strcmp(c->format, "svg") && strcmp(c->format, "png") &&
        strcmp(c->format, "pdf")) {
        cli_report(PROGRAM, "--format must be svg, png or pdf, not '%s'", c->format);
        return false;
    }
    if (c->format && from_extension && strcmp(c->format, from_extension) != 0) {
        cli_report(PROGRAM, "--format %s does not match the output '%s'", c->format, c->out_path);
        return false;
    }
    c->format = c->format ? c->format : from_extension;
    char extension[8];
    snprintf(extension, sizeof extension, ".%s", c->format ? c->format : "dot");
    c->dot_path = path_with_extension(c->out_path, ".dot");
    c->picture_path = c->format ? path_with_extension(c->out_path, extension) : NULL;
    if (!c->dot_path || (c->format && !c->picture_path)) {
        cli_report(PROGRAM, "out of memory");
        return false;
    }
    return true;
}

/* Read the command line into *c. Returns 0 to go on, 1 after --help,
 * 2 on a bad option. */
static int parse_options(flow_command *c, int argc, char **argv)
{
    *c = (flow_command){.dpi = 150};
    /* Room for a second trace, so that mistake gets its own message. */
    const char *collapse = NULL, *words[2] = {NULL, NULL};
    cli_list operands = {.items = words, .capacity = 2};
    const cli_option options[] = {
        {.name = "output", .short_name = 'o', .kind = CLI_STRING, .target = &c->out_path,
         .value_name = "FILE",
         .help = "OUT.dot: the DOT source only (unless --format);\n"
                 "OUT.svg, OUT.png, OUT.pdf: OUT.dot beside it, then the picture"},
        {.name = "format", .kind = CLI_STRING, .target = &c->format, .value_name = "F",
         .help = "svg, png or pdf (default: from the extension of -o)"},
        {.name = "collapse", .kind = CLI_CHOICE, .target = &collapse, .value_name = "heads",
         .help = "one node for the same tensor of every head (h0, h1, ...)", .choices = "heads"},
        {.name = "depth", .kind = CLI_INT, .target = &c->graph.depth, .value_name = "N",
         .help = "keep the first N dotted parts of each name (3: enc.0.attn)", .min = 1,
         .max = 64},
        {.name = "layers", .kind = CLI_INT, .target = &c->graph.layers, .value_name = "N",
         .help = "keep layers 0 to N-1 (enc.0 ... dec.0 ...)", .min = 1, .max = 1000},
        {.name = "beam", .kind = CLI_STRING, .target = &c->beam, .value_name = "PREFIX",
         .help = "draw the beam search traced under PREFIX (PREFIX.step0.scores,\n"
                 "...) as a tree of the sentences it kept, instead of the flow"},
        {.name = "thumbnails", .kind = CLI_FLAG, .target = &c->thumbnails,
         .help = "a small heatmap in each score and weight node (PNG files in\n"
                 "OUT_thumbnails/ beside the DOT file; SVG refers to them)"},
        {.name = "dpi", .kind = CLI_INT, .target = &c->dpi, .value_name = "N",
         .help = "resolution of a PNG picture (default 150)", .min = 36, .max = 1200},
        {.name = "dot", .kind = CLI_STRING, .target = &c->dot_program, .value_name = "PROGRAM",
         .help = "the dot program (default: the one found when attnlab was\n"
                 "built, else dot on PATH)"},
        CLI_HELP_OPTION,
        {0},
    };
    cli_error error;
    cli_result result = cli_parse(options, &operands, 1, argc, argv, &error);
    if (result == CLI_HELP_ASKED) {
        fputs(help_top, stdout);
        cli_print_options(stdout, options, 20);
        fputs(help_bottom, stdout);
        return 1;
    }
    if (result == CLI_BAD_USAGE) {
        cli_report(PROGRAM, "%s (see --help)", error.message);
        return 2;
    }
    c->graph.collapse_heads = collapse != NULL;
    if (c->beam && (collapse || c->graph.depth || c->graph.layers || c->thumbnails)) {
        cli_report(PROGRAM, "--beam draws a tree of sentences: it cannot go with --%s",
                   collapse ? "collapse" : c->graph.depth ? "depth"
                   : c->graph.layers ? "layers" : "thumbnails");
        return 2;
    }
    c->trace_path = words[0];
    if (operands.count == 2) {
        cli_report(PROGRAM, "one trace at a time: '%s' and '%s'", words[0], words[1]);
        return 2;
    }
    if (!c->trace_path || !c->out_path) {
        cli_report(PROGRAM, "%s (usage: attnlab-flow TRACE -o OUT.svg [options])",
                   !c->trace_path ? "no trace file given" : "no output given: -o OUT");
        return 2;
    }
    return choose_outputs(c) ? 0 : 2;
}

/* The folder holding path ("." when it has no slash), malloc'ed. */
static char *directory_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 1;
    char *directory = malloc(n + 1);
    if (directory) {
        snprintf(directory, n + 1, "%s", slash ? (n ? path : "/") : ".");
    }
    return directory;
}

/* "NAME_thumbnails" for the DOT file DIR/NAME.dot, malloc'ed. */
static char *thumbnail_folder(const char *dot_path)
{
    const char *slash = strrchr(dot_path, '/');
    const char *name = slash ? slash + 1 : dot_path;
    size_t stem = strlen(name) - strlen(".dot");
    char *folder = malloc(stem + sizeof "_thumbnails");
    if (folder) {
        snprintf(folder, stem + sizeof "_thumbnails", "%.*s_thumbnails", (int)stem, name);
    }
    return folder;
}

/* The DOT file, whole or not at all: the flow graph, or with --beam the
 * beam search's tree. */
static al_status write_dot_file(const flow_command *c, const flow_graph *graph,
                                const al_trace_file *trace, al_error *err)
{
    al_atomic_file out;
    al_status status = al_atomic_begin(&out, c->dot_path, err);
    if (status == AL_OK) {
        status = c->beam ? flow_write_beam_dot(out.stream, trace, c->beam, err)
                         : flow_write_dot(out.stream, graph, err);
        status = status == AL_OK ? al_atomic_finish(&out, err) : status;
        status = status == AL_OK ? al_atomic_commit(&out, err) : status;
        al_atomic_discard(&out);
    }
    return status;
}

/* True when an executable file `name` is in one of PATH's folders. */
static bool on_path(const char *name)
{
    const char *path = getenv("PATH");
    for (const char *dir = path; dir && *dir;) {
        size_t length = strcspn(dir, ":");
        char candidate[4096];
        int n = snprintf(candidate, sizeof candidate, "%.*s/%s", (int)length, dir, name);
        if (length > 0 && n > 0 && (size_t)n < sizeof candidate && access(candidate, X_OK) == 0) {
            return true;
        }
        dir += length + (dir[length] == ':');
    }
    return false;
}

/* The dot to run: --dot; else "dot" when PATH has one (posix_spawnp finds
 * it, so a dot the user put first on PATH wins); else the one found at
 * build time, if it is still there. */
static const char *dot_program(const flow_command *c)
{
    if (c->dot_program) {
        return c->dot_program;
    }
    if (on_path("dot") || access(AL_DOT_PATH, X_OK) != 0) {
        return "dot";
    }
    return AL_DOT_PATH;
}

/* Remove the thumbnails this run wrote, and their folder if that leaves it
 * empty: when the DOT file that refers to them cannot be written, they
 * would be debris. */
static void remove_thumbnails(const flow_graph *graph, const char *directory, const char *folder)
{
    char path[4096];
    for (int k = 0; k < graph->n_nodes; k++) {
        if (graph->nodes[k].thumbnail) {
            snprintf(path, sizeof path, "%s/%s", directory, graph->nodes[k].thumbnail);
            unlink(path);
        }
    }
    snprintf(path, sizeof path, "%s/%s", directory, folder);
    rmdir(path);  /* fails, harmlessly, if anything else is in it */
}

static int draw(const flow_command *c, al_error *err)
{
    al_trace_file *trace = NULL;
    flow_graph graph = {0};
    char *directory = directory_of(c->dot_path);
    char *folder = thumbnail_folder(c->dot_path);
    al_status status = directory && folder ? AL_OK : al_fail(err, AL_ERR_NOMEM, "out of memory");
    if (status == AL_OK) {
        status = al_trace_file_read(&trace, c->trace_path, err);
    }
    if (status == AL_OK && !c->beam) {
        status = flow_graph_build(&graph, trace, &c->graph, err);
    }
    if (status == AL_OK && c->thumbnails) {
        status = flow_write_thumbnails(&graph, directory, folder, err);
    }
    if (status == AL_OK) {
        status = write_dot_file(c, &graph, trace, err);
        if (status != AL_OK && c->thumbnails) {
            remove_thumbnails(&graph, directory, folder);
        }
    }
    int exit_status = status == AL_OK ? 0 : EXIT_BAD_INPUT;
    if (status != AL_OK) {
        cli_report(PROGRAM, "%s", err->message);
    } else if (c->picture_path) {
        dot_result result = flow_run_dot(dot_program(c), c->format, c->dot_path, c->picture_path,
                                         directory, c->dpi, err);
        if (result != DOT_DONE) {
            cli_report(PROGRAM, "%s; wrote %s only (%s)", err->message, c->dot_path,
                      result == DOT_NOT_FOUND ? "install Graphviz, or name dot with --dot"
                                              : "the picture was not made");
            exit_status = EXIT_NO_PICTURE;
        }
    }
    flow_graph_free(&graph);
    al_trace_file_free(trace);
    free(directory);
    free(folder);
    return exit_status;
}

int main(int argc, char **argv)
{
    flow_command command;
    int parsed = parse_options(&command, argc, argv);
    int exit_status = parsed == 1 ? 0 : parsed;
    if (parsed == 0) {
        al_error err = {0};
        exit_status = draw(&command, &err);
    }
    free(command.dot_path);
    free(command.picture_path);
    return exit_status;
}
