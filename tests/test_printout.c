/* test_printout.c: how wide the lessons' printouts are
 * (lessons/common/printout.c). A terminal's own width is used, at least
 * 40 columns; a file or a pipe always gets 100, so that a printout saved to
 * a file is the same bytes on every machine. A wide matrix is cut into
 * blocks of columns that each fit the width. The terminal is a
 * pseudo-terminal the test opens and sizes itself. */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmocka.h>

#include "printout.h"

/* The width printout_line_width finds on a pseudo-terminal of `columns`
 * columns (the size is set on the terminal's side the program would see). */
static int width_of_a_terminal(int columns)
{
    int leader = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(leader >= 0);
    assert_int_equal(grantpt(leader), 0);
    assert_int_equal(unlockpt(leader), 0);
    int terminal = open(ptsname(leader), O_RDWR | O_NOCTTY);
    assert_true(terminal >= 0);
    struct winsize size = {.ws_row = 24, .ws_col = (unsigned short)columns};
    assert_int_equal(ioctl(terminal, TIOCSWINSZ, &size), 0);
    int width = printout_line_width(terminal);
    close(terminal);
    close(leader);
    return width;
}

static void a_terminal_gives_its_own_width(void **state)
{
    (void)state;
    assert_int_equal(width_of_a_terminal(160), 160);
    assert_int_equal(width_of_a_terminal(80), 80);
}

static void a_narrow_terminal_still_gets_40_columns(void **state)
{
    (void)state;
    assert_int_equal(width_of_a_terminal(20), 40);
}

static void a_pipe_or_a_file_gets_100_whatever_the_terminal(void **state)
{
    (void)state;
    int ends[2];
    assert_int_equal(pipe(ends), 0);
    assert_int_equal(printout_line_width(ends[1]), 100);
    close(ends[0]);
    close(ends[1]);
    FILE *file = tmpfile();
    assert_non_null(file);
    assert_int_equal(printout_line_width(fileno(file)), 100);
    fclose(file);
}

/* A 2 x 20 matrix of 0.5 at 4 decimals: each column "0.5000" is 6 wide
 * plus a 2-space gap, 160 in all. At 60 columns it is cut into blocks and
 * no line is longer than 60; at 200 it fits one block, so its rows are
 * longer than 100. */
static void a_wide_matrix_is_cut_to_the_width(void **state)
{
    (void)state;
    float data[40];
    for (int k = 0; k < 40; k++)
        data[k] = 0.5f;
    al_matrix m = {.rows = 2, .cols = 20, .stride = 20, .data = data};
    const int widths[2] = {60, 200};
    for (int w = 0; w < 2; w++) {
        char *text = NULL;
        size_t size = 0;
        printout p = {.out = open_memstream(&text, &size), .precision = 4,
                      .line_width = widths[w]};
        assert_non_null(p.out);
        print_matrix(&p, "wide", "W", &m, NULL, NULL);
        fclose(p.out);
        int longest = 0;
        for (char *line = text; *line;) {
            char *end = strchr(line, '\n');
            int length = (int)(end - line);
            longest = length > longest ? length : longest;
            line = end + 1;
        }
        print_message("width %d: longest line %d\n", widths[w], longest);
        if (w == 0)
            assert_true(longest <= 60);
        else
            assert_true(longest > 100 && longest <= 200);
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_terminal_gives_its_own_width),
        cmocka_unit_test(a_narrow_terminal_still_gets_40_columns),
        cmocka_unit_test(a_pipe_or_a_file_gets_100_whatever_the_terminal),
        cmocka_unit_test(a_wide_matrix_is_cut_to_the_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
