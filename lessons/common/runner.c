/* runner.c: lesson_run, the skeleton every lesson's main used to repeat
 * (see runner.h). The order of the steps is the order of the printout;
 * changing it changes every lesson's output. */
#include "runner.h"

#include "attnlab/blas.h"
#include "attnlab/rng.h"

static void free_state(const lesson_program *program, void *state)
{
    if (program->free)
        program->free(state);
}

int lesson_run(const lesson_program *program, void *settings, void *state, int argc,
               char **argv)
{
    const lesson_about *about = program->about;
    al_blas_set_threads(1); /* the same numbers on every machine, and no busy threads */

    /* 1. The command line: a mistake in it exits 2 before anything is built. */
    lesson_common common = LESSON_COMMON_DEFAULTS;
    lesson_options options = program->options ? program->options(settings) : (lesson_options){0};
    parse_lesson_options(about, options.own, &options.inputs, &common, argc, argv);
    al_error err = {0};
    if (program->check && program->check(settings, &err) != AL_OK)
        lesson_usage_error(about, "%s", err.message);
    printout p = printout_start(common.precision, common.quiet, common.no_color);

    /* 2. The inputs: a sentence or a shape the lesson cannot take is still
     * the user's mistake (exit 2), and no file has been written yet. */
    if (program->build && program->build(state, settings, &p, &err) != AL_OK) {
        free_state(program, state);
        lesson_usage_error(about, "%s", err.message);
    }

    /* 3. The computation, traced; a failure now is the program's (exit 1)
     * and leaves no trace behind. */
    lesson_outputs outputs;
    uint64_t seed = options.inputs.seed ? *options.inputs.seed : AL_DEFAULT_SEED;
    outputs_open(&outputs, about, &common, argc, argv, seed);
    if (program->compute && program->compute(state, settings, &p, outputs.trace, &err) != AL_OK) {
        free_state(program, state);
        outputs_fail(&outputs, &err);
    }
    if (program->narrate)
        program->narrate(&p, state, settings, outputs.trace_path);
    outputs_close_trace(&outputs);

    /* 4. The figures, drawn from the closed trace, and the closing lines. */
    if (program->draw)
        program->draw(&outputs, state, settings);
    free_state(program, state);
    return outputs_finish(&outputs, &p);
}
