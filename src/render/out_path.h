/* out_path.h: the renderers' small helpers for output file names. Writing
 * the files themselves, whole or not at all, is attnlab/atomic_file.h. */
#ifndef ATTNLAB_RENDER_OUT_PATH_H
#define ATTNLAB_RENDER_OUT_PATH_H

#include <stdbool.h>

/* A copy of path with its extension (from the last '.' after the last '/')
 * replaced by extension (".svg"), or extension appended if it has none.
 * The caller frees it; NULL when out of memory. */
char *path_with_extension(const char *path, const char *extension);

/* True when path ends with suffix (".png"), letters compared exactly. */
bool path_ends_with(const char *path, const char *suffix);

#endif
