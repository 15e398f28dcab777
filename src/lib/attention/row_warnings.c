/* row_warnings.c: the one-sentence warnings al_attend writes into a trace
 * when some query rows are special: nothing to attend to (all weights 0),
 * or a query sitting exactly on a key (inverse distance). Words only; the
 * rows are found by attention.c. */
#include "attention/row_warnings.h"

#include <stdarg.h>
#include <stdio.h>

/* A growing sentence in a fixed buffer; text past the end is dropped. */
typedef struct sentence {
    char *buf;
    size_t size, used;
} sentence;

static void append(sentence *s, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void append(sentence *s, const char *format, ...)
{
    if (s->used + 1 >= s->size)
        return;
    va_list args;
    va_start(args, format);
    int n = vsnprintf(s->buf + s->used, s->size - s->used, format, args);
    va_end(args);
    if (n > 0)
        s->used = s->used + (size_t)n < s->size ? s->used + (size_t)n : s->size - 1;
}

/* Room kept for the end of the sentence after the list of rows. */
#define ROOM_FOR_ENDING 200

/* "row 2 (\"fish\")" or "rows 0 (\"a\"), 2 (\"c\")": every row where
 * row_is_special says so, until the buffer nears its end ("..."). */
static void list_rows(sentence *s, int count, const al_row_set *rows)
{
    append(s, "%s", count == 1 ? "row " : "rows ");
    int listed = 0;
    for (int i = 0; i < rows->rows; i++) {
        if (!rows->contains(rows->context, i))
            continue;
        if (s->used + ROOM_FOR_ENDING >= s->size) {
            append(s, ", ...");
            return;
        }
        append(s, "%s%d", listed ? ", " : "", i);
        if (rows->labels && rows->labels[i])
            append(s, " (\"%s\")", rows->labels[i]);
        listed++;
    }
}

/* How many rows the set contains. */
static int count_rows(const al_row_set *rows)
{
    int count = 0;
    for (int i = 0; i < rows->rows; i++)
        count += rows->contains(rows->context, i);
    return count;
}

const char *al_empty_rows_warning(char *buf, size_t size, const al_row_set *empty,
                                  const al_row_set *masked)
{
    sentence s = {buf, size, 0};
    buf[0] = '\0';
    int n_empty = count_rows(empty);
    if (n_empty == 0)
        return NULL;
    int n_masked = count_rows(masked);
    list_rows(&s, n_empty, empty);
    const char *verb = n_empty == 1 ? "has" : "have";
    if (n_masked == n_empty)
        append(&s, " %s every key masked", verb);
    else if (n_masked == 0)
        append(&s, " %s similarities that are all 0", verb);
    else
        append(&s, " %s nothing to attend to (every key masked, or similarities all 0)", verb);
    append(&s, "; %s weights are all 0", n_empty == 1 ? "its" : "their");
    return buf;
}

const char *al_exact_match_warning(char *buf, size_t size, const al_row_set *exact)
{
    sentence s = {buf, size, 0};
    buf[0] = '\0';
    int n = count_rows(exact);
    if (n == 0)
        return NULL;
    list_rows(&s, n, exact);
    append(&s,
           " %s at distance 0 from a key (1/0 is infinite): the keys at distance 0 get "
           "score 1 and share all the weight; the other keys are null",
           n == 1 ? "is" : "are");
    return buf;
}
