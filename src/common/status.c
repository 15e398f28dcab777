/* status.c: filling in an al_error. Shared by the computing library and the
 * trace reader; it knows nothing about either. */
#include "attnlab/status.h"

#include <stdarg.h>
#include <stdio.h>

al_status al_fail(al_error *err, al_status status, const char *format, ...)
{
    if (err) {
        va_list args;
        va_start(args, format);
        vsnprintf(err->message, sizeof err->message, format, args);
        va_end(args);
        err->status = status;
    }
    return status;
}

const char *al_status_name(al_status status)
{
    switch (status) {
    case AL_OK:         return "ok";
    case AL_ERR_SHAPE:  return "shape mismatch";
    case AL_ERR_VALUE:  return "bad value";
    case AL_ERR_NOMEM:  return "out of memory";
    case AL_ERR_IO:     return "input/output error";
    case AL_ERR_FORMAT: return "malformed file";
    case AL_ERR_ARG:    return "bad argument";
    }
    return "unknown status";
}
