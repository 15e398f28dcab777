/* train_curve.c: the loss curve as CSV, trace and figure (train_curve.h). */
#include "train_curve.h"

#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "attnlab/atomic_file.h"
#include "attnlab/cleanup.h"
#include "attnlab/trace.h"
#include "program_locations.h"

extern char **environ;

al_status train_curve_csv(const char *path, const double *losses, const double *val_losses,
                          int steps, al_error *err)
{
    al_atomic_file file;
    al_status status = al_atomic_begin(&file, path, err);
    if (status != AL_OK)
        return status;
    fprintf(file.stream, "step,train_loss,validation_loss\n");
    for (int s = 0; s < steps; s++) {
        fprintf(file.stream, "%d,%.9g,", s + 1, losses[s]);
        if (val_losses[s] >= 0)
            fprintf(file.stream, "%.9g", val_losses[s]);
        fprintf(file.stream, "\n");
    }
    status = al_atomic_finish(&file, err);
    if (status == AL_OK)
        status = al_atomic_commit(&file, err);
    else
        al_atomic_discard(&file);
    return status;
}

/* loss.step, loss.train, loss.validation (-inf, written null, where the
 * held-out batch was not measured). */
static al_status write_trace(const char *path, const double *losses, const double *val_losses,
                             int steps, int argc, char **argv, al_error *err)
{
    al_matrix step, train, held_out;
    al_status status = al_matrix_alloc(&step, 1, steps, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&train, 1, steps, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&held_out, 1, steps, err);
    if (status != AL_OK)
        return status;
    for (int s = 0; s < steps; s++) {
        *al_at(&step, 0, s) = (float)(s + 1);
        *al_at(&train, 0, s) = (float)losses[s];
        *al_at(&held_out, 0, s) = val_losses[s] >= 0 ? (float)val_losses[s] : -INFINITY;
    }
    al_trace_options options = {.program = "attnlab-train", .argc = argc - 1,
                                .argv = (const char *const *)argv + 1};
    al_trace *trace = NULL;
    status = al_trace_open(&trace, path, &options, err);
    const al_tensor_info infos[3] = {
        {.name = "loss.step", .role = AL_ROLE_INPUT, .note = "the optimiser step, from 1"},
        {.name = "loss.train", .role = AL_ROLE_OUTPUT,
         .note = "the mean loss of the step's training batch, before its update"},
        {.name = "loss.validation", .role = AL_ROLE_OUTPUT,
         .note = "the mean loss of the fixed held-out batch; null where not measured"}};
    const al_matrix *values[3] = {&step, &train, &held_out};
    for (int k = 0; k < 3 && status == AL_OK; k++)
        status = al_trace_matrix(trace, &infos[k], values[k], err);
    if (status == AL_OK)
        status = al_trace_close(trace, err);
    else
        al_trace_discard(trace);
    al_matrix_free(&step), al_matrix_free(&train), al_matrix_free(&held_out);
    return status;
}

/* Run the renderer on the trace: STEM.png and STEM.svg. */
static al_status draw(const char *trace_path, const char *png, const char *title,
                      al_error *err)
{
    program_locations where;
    program_locations_find(&where);
    char renderer[PROGRAM_LOCATION_SIZE + 32];
    program_renderer_path(renderer, sizeof renderer, &where, "attnlab-heatmap");
    const char *argv[] = {"attnlab-heatmap", trace_path, "--lines", "--select", "loss.train",
                          "--select", "loss.validation", "--x", "loss.step", "--axes",
                          "step,cross-entropy loss (nats)", "--legend",
                          "training batch,held-out batch", "--title", title, "-o", png,
                          "--svg", NULL};
    pid_t pid;
    int status;
    if (posix_spawnp(&pid, renderer, NULL, NULL, (char *const *)argv, environ) != 0)
        return al_fail(err, AL_ERR_IO, "cannot start %s to draw %s", renderer, png);
    al_cleanup_add_child(pid);
    int waited = waitpid(pid, &status, 0);
    al_cleanup_forget_child(pid);
    if (waited < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return al_fail(err, AL_ERR_IO, "%s could not draw %s", renderer, png);
    return AL_OK;
}

al_status train_curve_write(const char *stem, const double *losses, const double *val_losses,
                            int steps, const char *title, int argc, char **argv,
                            al_error *err)
{
    char csv[4096], trace[4096], png[4096];
    if (snprintf(csv, sizeof csv, "%s.csv", stem) >= (int)sizeof csv)
        return al_fail(err, AL_ERR_ARG, "--loss-curve: the path is too long");
    snprintf(trace, sizeof trace, "%s.jsonl", stem);
    snprintf(png, sizeof png, "%s.png", stem);
    al_status status = train_curve_csv(csv, losses, val_losses, steps, err);
    if (status == AL_OK)
        status = write_trace(trace, losses, val_losses, steps, argc, argv, err);
    if (status == AL_OK)
        status = draw(trace, png, title, err);
    return status;
}
