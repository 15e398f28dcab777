/* cli_shell.c: writing a command line back so a person can paste it into
 * a shell: the redraw commands a lesson prints, the command a model file
 * records. */
#include "cli_options.h"

#include <stdbool.h>
#include <string.h>

void cli_shell_append(char *command, size_t size, const char *word)
{
    size_t used = strlen(command);
    bool plain = word[0] && strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789-_./=,:") == strlen(word);
    if (plain) {
        snprintf(command + used, size - used, " %s", word);
        return;
    }
    snprintf(command + used, size - used, " '");
    for (const char *c = word; *c; c++) {
        used = strlen(command);
        if (*c == '\'')
            snprintf(command + used, size - used, "%s", "'\\''");
        else
            snprintf(command + used, size - used, "%c", *c);
    }
    used = strlen(command);
    snprintf(command + used, size - used, "'");
}
