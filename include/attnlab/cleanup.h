/* cleanup.h: what a program must not leave behind when a signal ends it:
 * the temporary files of writes still under way (atomic_file.h registers
 * them) and the child processes it is waiting for (a lesson's renderer).
 * On SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE or SIGXFSZ the registered
 * files are removed and the registered children sent SIGTERM, then the
 * signal does what it would have done (the program ends by it). Handlers
 * are put in place at the first registration, and only for signals the
 * program left at their default: a program that handles SIGINT itself
 * (attnlab-train stops after the step) keeps its handler. Part of the
 * small common library. */
#ifndef ATTNLAB_CLEANUP_H
#define ATTNLAB_CLEANUP_H

#include <stdbool.h>
#include <sys/types.h>

/* Remember path (the caller's string, which must live until it is
 * forgotten) for removal on a signal; false if the table is full (16). */
bool al_cleanup_add_file(const char *path);
void al_cleanup_forget_file(const char *path);

/* The same for a child process. */
bool al_cleanup_add_child(pid_t child);
void al_cleanup_forget_child(pid_t child);

#endif
