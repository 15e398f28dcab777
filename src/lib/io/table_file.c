/* table_file.c: the labelled text tables of data/ (see table_file.h).
 * A line-by-line reader with a message for every way a hand-edited file
 * can go wrong; it knows nothing about what the numbers mean. */
#include "attnlab/table_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 4096
#define MAX_COLUMNS 1024

/* Growing list of rows while reading; the matrix is made at the end. */
typedef struct reading {
    const char *path;
    int line_number;
    char **col_labels;
    int n_cols;
    char **row_labels;
    float *numbers;        /* rows * n_cols */
    int n_rows, capacity;
} reading;

static char *copy_word(const char *s, size_t n)
{
    char *copy = malloc(n + 1);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

static void free_words(char **words, int n)
{
    if (!words)
        return;
    for (int i = 0; i < n; i++)
        free(words[i]);
    free(words);
}

/* Cut a line at '#' and report whether anything but blanks is left. */
static bool strip_comment(char *line)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    return strspn(line, " \t\r\n") < strlen(line);
}

/* Split on blanks into words (pointers into line). Returns the count, or
 * -1 if there are more than max. */
static int split_words(char *line, char **words, int max)
{
    int n = 0;
    char *rest = NULL;
    for (char *word = strtok_r(line, " \t\r\n", &rest); word;
         word = strtok_r(NULL, " \t\r\n", &rest)) {
        if (n == max)
            return -1;
        words[n++] = word;
    }
    return n;
}

static al_status read_columns(reading *r, char **words, int n, al_error *err)
{
    if (r->col_labels)
        return al_fail(err, AL_ERR_FORMAT, "%s:%d: a second 'columns:' line", r->path,
                       r->line_number);
    if (n < 2)
        return al_fail(err, AL_ERR_FORMAT, "%s:%d: 'columns:' names no columns", r->path,
                       r->line_number);
    r->col_labels = calloc((size_t)(n - 1), sizeof *r->col_labels);
    if (!r->col_labels)
        return al_fail(err, AL_ERR_NOMEM, "%s: out of memory", r->path);
    r->n_cols = n - 1;
    for (int j = 0; j < r->n_cols; j++)
        if (!(r->col_labels[j] = copy_word(words[j + 1], strlen(words[j + 1]))))
            return al_fail(err, AL_ERR_NOMEM, "%s: out of memory", r->path);
    return AL_OK;
}

static al_status grow(reading *r, al_error *err)
{
    if (r->n_rows < r->capacity)
        return AL_OK;
    int capacity = r->capacity ? 2 * r->capacity : 16;
    char **labels = realloc(r->row_labels, (size_t)capacity * sizeof *labels);
    if (labels)
        r->row_labels = labels;
    float *numbers = realloc(r->numbers, (size_t)capacity * (size_t)r->n_cols * sizeof *numbers);
    if (numbers)
        r->numbers = numbers;
    if (!labels || !numbers)
        return al_fail(err, AL_ERR_NOMEM, "%s: out of memory", r->path);
    r->capacity = capacity;
    return AL_OK;
}

static al_status read_row(reading *r, char **words, int n, al_error *err)
{
    if (!r->col_labels)
        return al_fail(err, AL_ERR_FORMAT, "%s:%d: a row before the 'columns:' line", r->path,
                       r->line_number);
    if (n - 1 != r->n_cols)
        return al_fail(err, AL_ERR_FORMAT, "%s:%d: row '%s' has %d numbers but there are %d "
                       "columns", r->path, r->line_number, words[0], n - 1, r->n_cols);
    for (int i = 0; i < r->n_rows; i++)
        if (strcmp(r->row_labels[i], words[0]) == 0)
            return al_fail(err, AL_ERR_FORMAT, "%s:%d: row '%s' appears twice", r->path,
                           r->line_number, words[0]);
    al_status status = grow(r, err);
    if (status != AL_OK)
        return status;
    float *row = r->numbers + (size_t)r->n_rows * (size_t)r->n_cols;
    for (int j = 0; j < r->n_cols; j++) {
        char *end;
        errno = 0;
        row[j] = strtof(words[j + 1], &end);
        if (*end || errno == ERANGE || !isfinite(row[j]))
            return al_fail(err, AL_ERR_FORMAT, "%s:%d: row '%s', column '%s': '%s' is not a "
                           "finite number", r->path, r->line_number, words[0],
                           r->col_labels[j], words[j + 1]);
    }
    if (!(r->row_labels[r->n_rows] = copy_word(words[0], strlen(words[0]))))
        return al_fail(err, AL_ERR_NOMEM, "%s: out of memory", r->path);
    r->n_rows++;
    return AL_OK;
}

static al_status read_line(reading *r, char *line, al_error *err)
{
    if (!strchr(line, '\n') && strlen(line) == MAX_LINE - 1)
        return al_fail(err, AL_ERR_FORMAT, "%s:%d: line longer than %d characters", r->path,
                       r->line_number, MAX_LINE - 2);
    if (!strip_comment(line))
        return AL_OK;
    char *words[MAX_COLUMNS + 1];
    int n = split_words(line, words, MAX_COLUMNS + 1);
    if (n < 0)
        return al_fail(err, AL_ERR_FORMAT, "%s:%d: more than %d columns", r->path,
                       r->line_number, MAX_COLUMNS);
    if (strcmp(words[0], "columns:") == 0)
        return read_columns(r, words, n, err);
    return read_row(r, words, n, err);
}

/* Move what was read into the table. */
static al_status finish(al_table *table, reading *r, al_error *err)
{
    if (r->n_rows == 0)
        return al_fail(err, AL_ERR_FORMAT, "%s: no rows (expected a 'columns:' line and rows)",
                       r->path);
    al_status status = al_matrix_alloc(&table->values, r->n_rows, r->n_cols, err);
    if (status != AL_OK)
        return status;
    memcpy(table->values.data, r->numbers, (size_t)r->n_rows * (size_t)r->n_cols * sizeof(float));
    table->row_labels = r->row_labels;
    table->col_labels = r->col_labels;
    r->row_labels = NULL;
    r->col_labels = NULL;
    return AL_OK;
}

al_status al_table_read(al_table *table, const char *path, al_error *err)
{
    *table = (al_table){0};
    FILE *file = fopen(path, "r");
    if (!file)
        return al_fail(err, AL_ERR_IO, "cannot open %s", path);
    reading r = {.path = path};
    char line[MAX_LINE];
    al_status status = AL_OK;
    while (status == AL_OK && fgets(line, sizeof line, file)) {
        r.line_number++;
        status = read_line(&r, line, err);
    }
    if (status == AL_OK && ferror(file))
        status = al_fail(err, AL_ERR_IO, "%s: read error", path);
    fclose(file);
    if (status == AL_OK)
        status = finish(table, &r, err);
    free_words(r.row_labels, r.n_rows);
    free_words(r.col_labels, r.n_cols);
    free(r.numbers);
    return status;
}

void al_table_free(al_table *table)
{
    if (!table)
        return;
    free_words(table->row_labels, table->values.rows);
    free_words(table->col_labels, table->values.cols);
    al_matrix_free(&table->values);
    *table = (al_table){0};
}

int al_table_find_row(const al_table *table, const char *label)
{
    for (int i = 0; i < table->values.rows; i++)
        if (strcmp(table->row_labels[i], label) == 0)
            return i;
    return -1;
}
