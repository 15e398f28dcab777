/* table_file.h: reading a labelled matrix from a small text file, the
 * format of attnlab's hand-made data (embedding tables, weight matrices).
 *
 *     # comments start with '#' and run to the end of the line
 *     columns: animal motion place water money function
 *     cat      1   0   0   0   0   0
 *     walks    0   1   0   0   0   0
 *
 * The "columns:" line names the columns; every other non-blank line is a
 * row label (one word, no spaces) followed by exactly one number per
 * column. Numbers are decimal (strtof); NaN and infinity are refused.
 * Reading only; writing such files is done by hand. */
#ifndef ATTNLAB_TABLE_FILE_H
#define ATTNLAB_TABLE_FILE_H

#include "attnlab/matrix.h"

typedef struct al_table {
    al_matrix values;      /* rows x columns, owned                   */
    char **row_labels;     /* values.rows strings, owned              */
    char **col_labels;     /* values.cols strings, owned              */
} al_table;

/* Read path into *table. The caller owns the result and frees it with
 * al_table_free. On failure *table is empty and err names the file, the
 * line and the problem ("data/x.txt:7: row 'cat' has 5 numbers but there
 * are 6 columns"). Duplicate row labels are refused. */
al_status al_table_read(al_table *table, const char *path, al_error *err);

void al_table_free(al_table *table);

/* Index of the row labelled label, or -1. */
int al_table_find_row(const al_table *table, const char *label);

#endif
