/* run_program.c: run a program with posix_spawn and collect its stdout,
 * stderr and exit status, feeding it some standard input (run_program.h).
 * A test helper, not part of any attnlab library: it never fails a test
 * itself, but reports what went wrong through its return value and errno.
 *
 * The three pipes are served together with poll: a program that fills its
 * stderr pipe while we wait on its stdout (or waits for input we have not
 * yet written) would otherwise block forever. */
#include "run_program.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;  /* the test's environment, handed on to the program */

/* A growing buffer for one output pipe. */
typedef struct captured {
    char *text;
    size_t length, capacity;
} captured;

/* Append up to 64 KiB read from fd; returns bytes read, 0 at end, -1 on error. */
static ssize_t capture_some(captured *c, int fd)
{
    enum { CHUNK = 65536 };
    if (c->capacity - c->length < CHUNK + 1) {
        size_t capacity = c->capacity * 2 + CHUNK + 1;
        char *bigger = realloc(c->text, capacity);
        if (!bigger) {
            errno = ENOMEM;
            return -1;
        }
        c->text = bigger;
        c->capacity = capacity;
    }
    ssize_t got = read(fd, c->text + c->length, CHUNK);
    if (got > 0) {
        c->length += (size_t)got;
    }
    c->text[c->length] = '\0';
    return got;
}

/* Make both ends of a new pipe close on exec: the child gets only the
 * copies dup2 puts on 0, 1 and 2, so no stray write end keeps a pipe open. */
static int make_pipe(int ends[2])
{
    if (pipe(ends) != 0) {
        return -1;
    }
    fcntl(ends[0], F_SETFD, FD_CLOEXEC);
    fcntl(ends[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

static void close_if_open(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* The pipes: [0] the program's stdin, [1] stdout, [2] stderr; each with a
 * read end [.][0] and a write end [.][1]. */
typedef struct pipes {
    int ends[3][2];
} pipes;

static void close_pipes(pipes *p)
{
    for (int k = 0; k < 3; k++) {
        close_if_open(&p->ends[k][0]);
        close_if_open(&p->ends[k][1]);
    }
}

/* Start argv[0] with its stdin, stdout and stderr on the pipes; then close
 * the child's ends here, so that end-of-file arrives when the child exits. */
static int spawn_with_pipes(pid_t *pid, const char *const argv[], pipes *p)
{
    posix_spawn_file_actions_t actions;
    int error = posix_spawn_file_actions_init(&actions);
    if (error == 0) {
        posix_spawn_file_actions_adddup2(&actions, p->ends[0][0], STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&actions, p->ends[1][1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, p->ends[2][1], STDERR_FILENO);
        /* posix_spawn's argv is char *const[] for historical reasons; it does
         * not modify the strings. */
        error = posix_spawn(pid, argv[0], &actions, NULL, (char *const *)argv, environ);
        posix_spawn_file_actions_destroy(&actions);
    }
    close_if_open(&p->ends[0][0]);
    close_if_open(&p->ends[1][1]);
    close_if_open(&p->ends[2][1]);
    if (error != 0) {
        errno = error;
        return -1;
    }
    return 0;
}

/* Write more of the input when the pipe has room; close it when all is
 * written (or the program stopped reading), so the program sees the end. */
static void feed_some(int *fd, const char *text, size_t length, size_t *written)
{
    if (*written < length) {
        ssize_t put = write(*fd, text + *written, length - *written);
        if (put > 0) {
            *written += (size_t)put;
        } else if (errno != EAGAIN && errno != EINTR) {
            *written = length;  /* EPIPE: the program closed its stdin */
        }
    }
    if (*written >= length) {
        close_if_open(fd);
    }
}

/* Serve the three pipes until both outputs reach end-of-file. */
static int exchange(pipes *p, const char *stdin_text, captured *out, captured *err)
{
    size_t length = stdin_text ? strlen(stdin_text) : 0, written = 0;
    fcntl(p->ends[0][1], F_SETFL, O_NONBLOCK);
    feed_some(&p->ends[0][1], stdin_text, length, &written);
    while (p->ends[1][0] >= 0 || p->ends[2][0] >= 0) {
        struct pollfd watch[3] = {{p->ends[0][1], POLLOUT, 0},
                                  {p->ends[1][0], POLLIN, 0},
                                  {p->ends[2][0], POLLIN, 0}};
        if (poll(watch, 3, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        if (watch[0].revents) {
            feed_some(&p->ends[0][1], stdin_text, length, &written);
        }
        captured *sinks[3] = {NULL, out, err};
        for (int k = 1; k < 3; k++) {
            if (watch[k].revents) {
                ssize_t got = capture_some(sinks[k], p->ends[k][0]);
                if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
                    close_if_open(&p->ends[k][0]);
                }
            }
        }
    }
    return 0;
}

static int wait_for(pid_t pid, run_result *result)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    result->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return 0;
}

/* An empty string for an output that never got a byte, so out and err are
 * never NULL after a run. */
static int finish_capture(captured *c)
{
    if (!c->text && !(c->text = calloc(1, 1))) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int run_program(run_result *result, const char *const argv[], const char *stdin_text)
{
    memset(result, 0, sizeof *result);
    pipes p = {{{-1, -1}, {-1, -1}, {-1, -1}}};
    captured out = {0}, err = {0};
    struct sigaction ignore = {.sa_handler = SIG_IGN}, previous;
    pid_t pid = -1;
    int failed = make_pipe(p.ends[0]) || make_pipe(p.ends[1]) || make_pipe(p.ends[2]);
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &previous);
    failed = failed || spawn_with_pipes(&pid, argv, &p) != 0;
    /* Once started, always wait for the program, even if a pipe failed. */
    bool started = !failed;
    failed = failed || exchange(&p, stdin_text, &out, &err) != 0;
    close_pipes(&p);
    failed = (started && wait_for(pid, result) != 0) || failed;
    sigaction(SIGPIPE, &previous, NULL);
    failed = failed || finish_capture(&out) != 0 || finish_capture(&err) != 0;
    if (failed) {
        int saved = errno;
        free(out.text);
        free(err.text);
        memset(result, 0, sizeof *result);
        errno = saved;
        return -1;
    }
    *result = (run_result){out.text, out.length, err.text, err.length, result->exit_code,
                           result->signal};
    return 0;
}

int run_program_args(run_result *result, const char *stdin_text, const char *program, ...)
{
    enum { MOST_ARGUMENTS = 64 };
    const char *argv[MOST_ARGUMENTS + 1] = {program};
    int argc = 1;
    va_list args;
    va_start(args, program);
    for (const char *arg; (arg = va_arg(args, const char *)) != NULL;) {
        if (argc == MOST_ARGUMENTS) {
            va_end(args);
            memset(result, 0, sizeof *result);
            errno = E2BIG;
            return -1;
        }
        argv[argc++] = arg;
    }
    va_end(args);
    argv[argc] = NULL;
    return run_program(result, argv, stdin_text);
}

void run_result_free(run_result *result)
{
    free(result->out);
    free(result->err);
    memset(result, 0, sizeof *result);
}
