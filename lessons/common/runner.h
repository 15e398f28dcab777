/* runner.h: the one main every lesson shares. A lesson describes itself in
 * a lesson_program (its --help words, its options, and the steps of its
 * story as callbacks) and its main is one call to lesson_run, which does
 * the rest in the same order for every lesson. Not a framework: it knows
 * nothing of attention, it only puts the shared program code (options.h,
 * printout.h, outputs.h) in order and turns a failed step into one line
 * and an exit status. */
#ifndef LESSONS_RUNNER_H
#define LESSONS_RUNNER_H

#include "attnlab/status.h"
#include "attnlab/trace.h"
#include "options.h"
#include "outputs.h"
#include "printout.h"

/* Room for a lesson's own options and the {0} that ends them (lesson11,
 * with the most, has 9); the parser adds the shared and common ones. */
#define LESSON_MAX_OWN_OPTIONS 24

/* A lesson's options, bound to its settings: its own table (the entries
 * not given are zero, so it is ended by {0}) and where the shared inputs
 * --sentence, --seed and --data go (pointers left NULL for those it does
 * not take). The seed, if any, is also the one the trace records. */
typedef struct lesson_options {
    cli_option own[LESSON_MAX_OWN_OPTIONS];
    lesson_inputs inputs;
} lesson_options;

/* What a lesson is. settings and state are the lesson's own structs, given
 * to lesson_run; every callback may be NULL (that step is skipped). A
 * callback that fails returns its status with one sentence in err. */
typedef struct lesson_program {
    const lesson_about *about;

    /* The option table, bound to settings (which hold the defaults). */
    lesson_options (*options)(void *settings);
    /* After parsing: defaults that depend on other options, and options
     * that do not go together. A failure is the user's mistake: exit 2. */
    al_status (*check)(void *settings, al_error *err);
    /* The inputs and room for the run, before any file is written; notes
     * (an unknown word) may be printed through p. A failure is bad input
     * (an empty sentence, a d_model that does not split): exit 2. */
    al_status (*build)(void *state, const void *settings, printout *p, al_error *err);
    /* The library calls, recorded into trace. Most
     * leave p alone; a lesson whose story interleaves computing and
     * telling (lesson11's beam search) narrates there too. A failure is
     * a runtime one: the trace is discarded and the lesson exits 1. */
    al_status (*compute)(void *state, const void *settings, printout *p, al_trace *trace,
                         al_error *err);
    /* The printout, from what compute left in state. trace_path is the
     * trace being written, for a narration that names it. */
    void (*narrate)(printout *p, const void *state, const void *settings, const char *trace_path);
    /* The figures, once the trace is closed: outputs_draw for each. */
    void (*draw)(lesson_outputs *outputs, const void *state, const void *settings);
    /* Free everything build and compute allocated in state, also after a
     * failure half-way (state starts zeroed, so a free of nothing is safe). */
    void (*free)(void *state);
} lesson_program;

/* Run the lesson: one BLAS thread; parse argv into settings (which hold
 * the defaults) and the options every lesson has (--help prints and exits
 * 0; a bad option exits 2); check; start the printout; build; open the
 * trace (outputs_open: a file that cannot be written exits 1); compute;
 * narrate; close the trace; draw the figures; free state; the closing
 * lines. Returns the exit status for main: 0, or 1 when a figure could not
 * be drawn; a failed step exits as the callbacks say, after freeing state,
 * with "<program>: <message>" on stderr. state must start zeroed. */
int lesson_run(const lesson_program *program, void *settings, void *state, int argc,
               char **argv);

#endif
