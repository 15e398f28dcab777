/* train_curve.h: attnlab-train's loss curve, --loss-curve STEM: every
 * step's training loss and every measured held-out loss written as
 *   STEM.csv     step,train_loss,validation_loss (empty where not measured)
 *   STEM.jsonl   a trace (traces/FORMAT.md): loss.step, loss.train and
 *                loss.validation (null where not measured), each 1 x steps
 * and drawn from that trace by the project's renderer (attnlab-heatmap
 * --lines, the build tree's or the installed one: program_locations.h) as
 *   STEM.png and STEM.svg   both losses against the step, axes labelled.
 * Every file appears whole or not at all. */
#ifndef TOOLS_TRAIN_CURVE_H
#define TOOLS_TRAIN_CURVE_H

#include "attnlab/status.h"

/* The CSV alone (--loss-csv). val_losses[s] < 0: not measured. */
al_status train_curve_csv(const char *path, const double *losses, const double *val_losses,
                          int steps, al_error *err);

/* All four files of STEM; title names the run in the figure. argc/argv go
 * into the trace's header. */
al_status train_curve_write(const char *stem, const double *losses, const double *val_losses,
                            int steps, const char *title, int argc, char **argv,
                            al_error *err);

#endif
