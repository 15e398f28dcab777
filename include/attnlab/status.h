/* status.h: how attnlab functions report failure.
 * Every library function that can fail returns an al_status and, when the
 * caller passes an al_error, fills in one sentence naming the problem.
 * The library never prints and never exits: programs turn the sentence into
 * their one line on stderr. This header is shared by the computing library
 * and the trace reader, so it holds no maths. */
#ifndef ATTNLAB_STATUS_H
#define ATTNLAB_STATUS_H

#include <stddef.h>

typedef enum al_status {
    AL_OK = 0,
    AL_ERR_SHAPE,   /* two matrices whose shapes do not fit together      */
    AL_ERR_VALUE,   /* a bad number: NaN, a zero temperature, a bad index */
    AL_ERR_NOMEM,   /* an allocation failed                               */
    AL_ERR_IO,      /* a file could not be opened, written or renamed     */
    AL_ERR_FORMAT,  /* a file's contents are malformed                    */
    AL_ERR_ARG      /* a caller passed an argument that makes no sense    */
} al_status;

/* The message buffer is large enough for two shapes, a tensor name and a
 * file name with line number. */
#define AL_ERROR_MESSAGE_SIZE 512

typedef struct al_error {
    al_status status;
    char message[AL_ERROR_MESSAGE_SIZE];
} al_error;

/* Record status and a printf-style message in err (err may be NULL) and
 * return status, so a failing function can end with
 *     return al_fail(err, AL_ERR_SHAPE, "a is %dx%d but ...", ...);
 * A message already in err is overwritten. */
al_status al_fail(al_error *err, al_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* A short fixed name for a status, e.g. "shape mismatch". Never NULL. */
const char *al_status_name(al_status status);

#endif
