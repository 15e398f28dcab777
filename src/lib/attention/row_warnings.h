/* row_warnings.h (private to src/lib): one-sentence trace warnings about
 * special query rows, e.g.
 *   row 2 ("fish") has every key masked; its weights are all 0
 * Not a public header: attention.c is its only user. */
#ifndef ATTNLAB_ROW_WARNINGS_H
#define ATTNLAB_ROW_WARNINGS_H

#include <stdbool.h>
#include <stddef.h>

/* A set of query rows, given by a membership test, with their labels
 * (labels may be NULL). */
typedef struct al_row_set {
    int rows;
    bool (*contains)(const void *context, int row);
    const void *context;
    const char *const *labels;
} al_row_set;

/* The warning for rows whose weights are all 0 (empty), saying "every key
 * masked" when those are exactly the fully masked rows. Written into buf
 * (size bytes, cut short with "..." if needed); returns buf, or NULL when
 * no row is empty. */
const char *al_empty_rows_warning(char *buf, size_t size, const al_row_set *empty,
                                  const al_row_set *masked);

/* The warning for rows where inverse distance met a key at distance 0;
 * NULL when there are none. */
const char *al_exact_match_warning(char *buf, size_t size, const al_row_set *exact);

#endif
