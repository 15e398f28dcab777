/* program_locations.c: the build tree or the installed folders (see
 * program_locations.h). The five folders come from meson as compile-time
 * strings (src/meson.build); this file only chooses between the two
 * pairs. */
#define _XOPEN_SOURCE 700  /* realpath */
#include "program_locations.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether the running executable is inside build_root. Both are compared
 * as real paths (symbolic links resolved); a build root that no longer
 * exists holds nothing, so the lesson is an installed copy. */
static bool running_from(const char *build_root)
{
    char exe[PATH_MAX], root[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (length <= 0 || !realpath(build_root, root))
        return false;
    exe[length] = '\0';
    size_t n = strlen(root);
    return strncmp(exe, root, n) == 0 && exe[n] == '/';
}

void program_locations_find(program_locations *where)
{
    where->in_build_tree = running_from(AL_BUILD_ROOT);
    snprintf(where->data_dir, sizeof where->data_dir, "%s",
             where->in_build_tree ? AL_SOURCE_DATA_DIR : AL_INSTALLED_DATA_DIR);
    snprintf(where->render_dir, sizeof where->render_dir, "%s",
             where->in_build_tree ? AL_BUILD_RENDER_DIR : AL_INSTALLED_BIN_DIR);
    snprintf(where->tools_dir, sizeof where->tools_dir, "%s",
             where->in_build_tree ? AL_BUILD_TOOLS_DIR : AL_INSTALLED_BIN_DIR);
}

/* dir/program if it is there and runs, else the bare name. */
static void path_in(char *buf, size_t size, const char *dir, const char *program)
{
    int n = snprintf(buf, size, "%s/%s", dir, program);
    if (!dir[0] || n < 0 || (size_t)n >= size || access(buf, X_OK) != 0)
        snprintf(buf, size, "%s", program);
}

void program_renderer_path(char *buf, size_t size, const program_locations *where,
                           const char *renderer)
{
    path_in(buf, size, where->render_dir, renderer);
}

void program_tool_path(char *buf, size_t size, const program_locations *where, const char *tool)
{
    path_in(buf, size, where->tools_dir, tool);
}
