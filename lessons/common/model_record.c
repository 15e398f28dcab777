/* model_record.c: a model file's training record in words (see
 * model_record.h). */
#include "model_record.h"

#include <stdio.h>
#include <stdlib.h>

#include "attnlab/safetensors.h"

al_status lesson_model_record(char *buf, size_t size, const char *path, al_error *err)
{
    al_safetensors header;
    al_status status = al_safetensors_read_metadata(&header, path, err);
    if (status != AL_OK)
        return status;
    const char *program = al_safetensors_metadata(&header, "training.program");
    const char *corpus = al_safetensors_metadata(&header, "training.corpus");
    const char *steps = al_safetensors_metadata(&header, "training.steps");
    const char *loss = al_safetensors_metadata(&header, "training.validation_loss");
    int used = snprintf(buf, size, "made without a training record");
    if (program && corpus)
        used = snprintf(buf, size, "trained by %s on %s", program, corpus);
    if (program && corpus && steps && used >= 0 && (size_t)used < size)
        used += snprintf(buf + used, size - (size_t)used, "\n  in %s steps", steps);
    if (program && corpus && loss && used >= 0 && (size_t)used < size)
        snprintf(buf + used, size - (size_t)used, ", held-out loss %.3g", atof(loss));
    al_safetensors_free(&header);
    return AL_OK;
}
