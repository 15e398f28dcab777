/* program_locations.h: where a lesson (or a tool such as attnlab-train)
 * finds its data/ and the renderer programs. Decided once, at run time,
 * from where the running executable is: a program inside the build tree
 * reads the source tree's data/ and runs the build tree's renderers (as
 * the tests do); any other (an installed one) reads <datadir>/attnlab and
 * runs the renderers of <bindir>, the
 * folders `meson install` filled, so neither tree is needed. A lesson's
 * --data DIR still overrides the data folder (lessons/common/options.c). Not a search path: exactly
 * one of the two places, never a guess by looking for files. */
#ifndef CLI_PROGRAM_LOCATIONS_H
#define CLI_PROGRAM_LOCATIONS_H

#include <stdbool.h>
#include <stddef.h>

#define PROGRAM_LOCATION_SIZE 512

typedef struct program_locations {
    bool in_build_tree;                    /* the executable is under the build root */
    char data_dir[PROGRAM_LOCATION_SIZE];   /* the default of --data                  */
    char render_dir[PROGRAM_LOCATION_SIZE]; /* where attnlab-heatmap and -flow are    */
    char tools_dir[PROGRAM_LOCATION_SIZE];  /* where attnlab-calc and the others are  */
} program_locations;

/* Fill *where from /proc/self/exe and the folders meson configured
 * (locations.c says which). An executable whose path cannot be read
 * counts as installed. Never fails. */
void program_locations_find(program_locations *where);

/* The renderer (e.g. "attnlab-heatmap") in where->render_dir if it is
 * there, else its bare name, for posix_spawnp to find on PATH. */
void program_renderer_path(char *buf, size_t size, const program_locations *where,
                           const char *renderer);

/* The same for a tool (e.g. "attnlab-calc", for a command a lesson tells
 * the student to type): in where->tools_dir if it is there, else its bare
 * name. */
void program_tool_path(char *buf, size_t size, const program_locations *where, const char *tool);

#endif
