/* cleanup.c: removing temporaries and ending children on a fatal signal
 * (cleanup.h). The handler does only what is safe in a signal handler:
 * unlink, kill, then the default action by raise. */
#include "attnlab/cleanup.h"

#include <signal.h>
#include <stddef.h>
#include <unistd.h>

enum { MAX_FILES = 16, MAX_CHILDREN = 4 };

static const char *volatile files[MAX_FILES];
static volatile pid_t children[MAX_CHILDREN];
static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGXFSZ};

static void clean_up(int signal_number)
{
    for (int k = 0; k < MAX_FILES; k++)
        if (files[k])
            unlink(files[k]);
    for (int k = 0; k < MAX_CHILDREN; k++)
        if (children[k] > 0)
            kill(children[k], SIGTERM);
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

/* Once: our handler for every fatal signal still at its default. */
static void watch_signals(void)
{
    static bool watching = false;
    if (watching)
        return;
    watching = true;
    for (size_t k = 0; k < sizeof fatal_signals / sizeof fatal_signals[0]; k++) {
        struct sigaction old;
        if (sigaction(fatal_signals[k], NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
            (old.sa_flags & SA_SIGINFO))
            continue;
        struct sigaction ours = {.sa_handler = clean_up};
        sigemptyset(&ours.sa_mask);
        sigaction(fatal_signals[k], &ours, NULL);
    }
}

bool al_cleanup_add_file(const char *path)
{
    watch_signals();
    for (int k = 0; k < MAX_FILES; k++)
        if (!files[k]) {
            files[k] = path;
            return true;
        }
    return false;
}

void al_cleanup_forget_file(const char *path)
{
    for (int k = 0; k < MAX_FILES; k++)
        if (files[k] == path)
            files[k] = NULL;
}

bool al_cleanup_add_child(pid_t child)
{
    watch_signals();
    for (int k = 0; k < MAX_CHILDREN; k++)
        if (children[k] <= 0) {
            children[k] = child;
            return true;
        }
    return false;
}

void al_cleanup_forget_child(pid_t child)
{
    for (int k = 0; k < MAX_CHILDREN; k++)
        if (children[k] == child)
            children[k] = 0;
}
