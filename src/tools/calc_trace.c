/* calc_trace.c: attnlab-calc's trace: opened from --trace with the command
 * line recorded, and closed whole or discarded (calc.h). No maths: the
 * subcommands' library calls write the records. */
#include "calc.h"

int calc_trace_open(al_trace **trace, const calc_args *args)
{
    *trace = NULL;
    if (!args->trace_path)
        return CALC_OK;
    al_trace_options options = {.program = "attnlab-calc", .argc = args->argc - 1,
                                .argv = (const char *const *)args->argv + 1,
                                .level = AL_TRACE_ROWS};
    al_error err;
    if (al_trace_open(trace, args->trace_path, &options, &err) != AL_OK)
        return calc_fail("%s", err.message);
    return CALC_OK;
}

int calc_trace_finish(al_trace *trace, al_status status, const al_error *err)
{
    if (status != AL_OK) {
        al_trace_discard(trace);
        return calc_fail("%s", err->message);
    }
    al_error close_err;
    if (al_trace_close(trace, &close_err) != AL_OK)
        return calc_fail("%s", close_err.message);
    return CALC_OK;
}
