/* locations.h: where a lesson finds its data/ and the renderer programs.
 * Decided once, at run time, from where the running executable is: a
 * lesson inside the build tree reads the source tree's data/ and runs the
 * build tree's renderers (as the tests do); any other (an installed
 * lesson) reads <datadir>/attnlab and runs the renderers of <bindir>, the
 * folders `meson install` filled, so neither tree is needed. --data DIR
 * still overrides the data folder (options.c). Not a search path: exactly
 * one of the two places, never a guess by looking for files. */
#ifndef LESSONS_LOCATIONS_H
#define LESSONS_LOCATIONS_H

#include <stdbool.h>

#define LESSON_LOCATION_SIZE 512

typedef struct lesson_locations {
    bool in_build_tree;                    /* the executable is under the build root */
    char data_dir[LESSON_LOCATION_SIZE];   /* the default of --data                  */
    char render_dir[LESSON_LOCATION_SIZE]; /* where attnlab-heatmap and -flow are    */
} lesson_locations;

/* Fill *where from /proc/self/exe and the folders meson configured
 * (locations.c says which). An executable whose path cannot be read
 * counts as installed. Never fails. */
void lesson_locations_find(lesson_locations *where);

#endif
