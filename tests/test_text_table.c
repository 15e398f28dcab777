/* test_text_table.c: the shared text-table printer (src/text/text_table.c)
 * that lays out the lessons' matrices, attnlab-trace show and attnlab-calc's
 * tables. Each expected line is worked out by hand in the comment above
 * it: widths, two-space gaps, alignment. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text_table.h"

/* What text_table_print writes for t, as a malloc'd string (free it). */
static char *printed(const text_table *t, const text_table_layout *layout)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    assert_true(text_table_print(out, t, layout));
    fclose(out);
    return text;
}

static void assert_printed(const text_table *t, const text_table_layout *layout,
                           const char *expected)
{
    char *text = printed(t, layout);
    assert_string_equal(text, expected);
    free(text);
}

/* Same, for text_padded. */
static void assert_padded(const char *text, int width, text_align align, const char *expected)
{
    char *out_text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&out_text, &size);
    assert_non_null(out);
    text_padded(out, text, width, align);
    fclose(out);
    assert_string_equal(out_text, expected);
    free(out_text);
}

/* ---- text ---------------------------------------------------------------- */

static void width_counts_characters_not_bytes(void **state)
{
    (void)state;
    assert_int_equal(text_width(""), 0);
    assert_int_equal(text_width("area"), 4);
    assert_int_equal(strlen("économique"), 11);  /* é is two bytes */
    assert_int_equal(text_width("économique"), 10);
    assert_int_equal(text_width("zone européenne"), 15);
    assert_int_equal(text_width("Kᵀ"), 2);  /* ᵀ is three bytes */
}

static void padding_aligns_left_right_and_centre(void **state)
{
    (void)state;
    assert_padded("ab", 5, TEXT_LEFT, "ab   ");
    assert_padded("ab", 5, TEXT_RIGHT, "   ab");
    /* 3 spare columns around "ab" (odd): 2 on the left, 1 on the right */
    assert_padded("ab", 5, TEXT_CENTER, "  ab ");
    assert_padded("é", 3, TEXT_RIGHT, "  é");        /* one character wide */
    assert_padded("wide", 2, TEXT_RIGHT, "wide");     /* never cut */
}

/* ---- numbers ------------------------------------------------------------- */

static void fixed_keeps_decimals_and_turns_to_exponents_at_1e9(void **state)
{
    (void)state;
    char text[TEXT_NUMBER_SIZE];
    assert_string_equal(text_fixed(text, 0.75f, 4), "0.7500");
    assert_string_equal(text_fixed(text, 1250.0f, 2), "1250.00");
    assert_string_equal(text_fixed(text, 999999936.0f, 1), "999999936.0");  /* below 1e9 */
    assert_string_equal(text_fixed(text, 1.25e9f, 4), "1.2500e+09");
    assert_string_equal(text_fixed(text, -0.00001f, 4), "-0.0000");  /* as printf writes it */
}

static void shortest_reads_back_exactly(void **state)
{
    (void)state;
    char text[TEXT_NUMBER_SIZE];
    assert_string_equal(text_shortest(text, 0.1f), "0.1");
    assert_string_equal(text_shortest(text, 2.0f), "2");
    assert_string_equal(text_shortest(text, 70.0f), "70");  /* one digit, written out */
    assert_string_equal(text_shortest(text, -2500.0f), "-2500");
    assert_string_equal(text_shortest(text, 1e15f), "1000000000000000");
    assert_string_equal(text_shortest(text, 1e16f), "1e+16");  /* as trace files: 15 at most */
    /* 1/3 as a float is 0.3333333432674407958984375; eight digits tell it apart */
    assert_string_equal(text_shortest(text, 1.0f / 3.0f), "0.33333334");
    assert_true(strtof(text, NULL) == 1.0f / 3.0f);
    assert_string_equal(text_shortest(text, NAN), "null");
}

static void labels_fall_back_to_indices(void **state)
{
    (void)state;
    char buffer[TEXT_NUMBER_SIZE];
    const char *const labels[] = {"The", NULL};
    assert_string_equal(text_label(buffer, NULL, 3), "3");
    assert_string_equal(text_label(buffer, labels, 0), "The");
    assert_string_equal(text_label(buffer, labels, 1), "1");
}

/* ---- tables -------------------------------------------------------------- */

static void numbers_line_up_under_their_labels(void **state)
{
    (void)state;
    const float values[] = {1.5f, -0.25f, 10.0f, -0.0f};
    text_numbers numbers = {values, 2, 2, 2, (const char *const[]){"a", "bé"},
                            (const char *const[]){"x", "long"}};
    text_number_style style = {.decimals = 2, .unsigned_zero = true};
    text_table *t = text_table_of_numbers(&numbers, &style);
    /* widths: labels max("a", "bé") = 2; column x max("x", "1.50", "10.00") = 5;
     * column long max("long", "-0.25", "0.00") = 5. Every line: indent 2,
     * labels, then two spaces before each column. -0.0 is written 0.00. */
    assert_printed(t, &(text_table_layout){.indent = 2},
                   "          x   long\n"   /* 2 + 2 (corner) + 2 + "    x" + 2 + " long" */
                   "  a    1.50  -0.25\n"
                   "  bé  10.00   0.00\n");
    text_table_free(t);
}

static void negative_zero_keeps_its_sign_unless_asked(void **state)
{
    (void)state;
    const float values[] = {-0.0f, -0.001f};
    text_numbers numbers = {values, 1, 2, 2, NULL, NULL};
    text_table *signed_zero = text_table_of_numbers(&numbers, &(text_number_style){.decimals = 2});
    text_table *unsigned_zero = text_table_of_numbers(
        &numbers, &(text_number_style){.decimals = 2, .unsigned_zero = true});
    /* -0.001 rounds to "-0.00" either way: only an exact -0.0 loses its sign */
    assert_printed(signed_zero, &(text_table_layout){0}, "       0      1\n0  -0.00  -0.00\n");
    assert_printed(unsigned_zero, &(text_table_layout){0}, "      0      1\n0  0.00  -0.00\n");
    text_table_free(signed_zero);
    text_table_free(unsigned_zero);
}

static void plain_fixed_writes_every_digit(void **state)
{
    (void)state;
    const float values[] = {1.5e10f};
    text_numbers numbers = {values, 1, 1, 1, (const char *const[]){"r"},
                            (const char *const[]){"c"}};
    text_table *exponent = text_table_of_numbers(&numbers, &(text_number_style){.decimals = 1});
    text_table *plain = text_table_of_numbers(
        &numbers, &(text_number_style){.decimals = 1, .plain_fixed = true});
    /* 1.5e10 is exactly 15000000512 as a float */
    assert_printed(exponent, &(text_table_layout){0}, "         c\nr  1.5e+10\n");
    assert_printed(plain, &(text_table_layout){0}, "               c\nr  15000000512.0\n");
    text_table_free(exponent);
    text_table_free(plain);
}

static void masked_entries_are_centred_without_trailing_spaces(void **state)
{
    (void)state;
    const float values[] = {1.0f, NAN, 2.0f, 3.0f, 4.0f, -INFINITY};
    text_numbers numbers = {values, 2, 3, 3, (const char *const[]){"q", "r"},
                            (const char *const[]){"ab", "wxyz", "c"}};
    text_number_style style = {.decimals = 1, .masked = "-", .masked_align = TEXT_CENTER};
    text_table *t = text_table_of_numbers(&numbers, &style);
    /* widths 1 | 3 | 4 | 3. In the 4-wide column "-" has 3 spare columns:
     * 2 before, 1 after. In the last column (3 wide, 2 spare): 1 before and,
     * at the end of the line, none after. */
    assert_printed(t, &(text_table_layout){0},
                   "    ab  wxyz    c\n"
                   "q  1.0    -   2.0\n"
                   "r  3.0   4.0   -\n");
    text_table_free(t);
}

static void wide_tables_split_into_named_blocks(void **state)
{
    (void)state;
    const float values[] = {0, 1, 2, 3, 4, 5, 6};
    text_numbers numbers = {values, 1, 7, 7, (const char *const[]){"r"}, NULL};
    text_table *t = text_table_of_numbers(&numbers, &(text_number_style){.decimals = 0});
    /* label 1 wide, each column 2 + 1: 1 + 3 + 3 + 3 = 10 fits a line of 10,
     * a fourth column (13) does not: blocks of 3, 3 and 1 */
    text_table_layout layout = {.line_width = 10, .name_blocks = true};
    assert_printed(t, &layout,
                   "columns 0 to 2 of 7:\n   0  1  2\nr  0  1  2\n"
                   "\ncolumns 3 to 5 of 7:\n   3  4  5\nr  3  4  5\n"
                   "\ncolumns 6 to 6 of 7:\n   6\nr  6\n");
    layout.name_blocks = false;
    assert_printed(t, &layout, "   0  1  2\nr  0  1  2\n\n   3  4  5\nr  3  4  5\n\n   6\nr  6\n");
    layout.line_width = 0;  /* never split */
    assert_printed(t, &layout, "   0  1  2  3  4  5  6\nr  0  1  2  3  4  5  6\n");
    text_table_free(t);
}

static void blocks_count_the_indent_and_each_column_width(void **state)
{
    (void)state;
    const float values[] = {1, 100, 1};
    text_numbers numbers = {values, 1, 3, 3, (const char *const[]){"r"},
                            (const char *const[]){"a", "b", "c"}};
    text_table *t = text_table_of_numbers(&numbers, &(text_number_style){.decimals = 0});
    /* indent 2 + label 1 = 3; + 2 + 1 = 6; + 2 + 3 = 11 > 10: "b" starts
     * the second block; 3 + 5 + 3 = 11 > 10 again: "c" the third */
    assert_printed(t, &(text_table_layout){.indent = 2, .line_width = 10},
                   "     a\n  r  1\n\n       b\n  r  100\n\n     c\n  r  1\n");
    /* with same widths every column is 3 wide: 1 + 5 + 5 = 11 fits 11 */
    assert_printed(t, &(text_table_layout){.line_width = 11, .same_widths = true},
                   "     a    b\nr    1  100\n\n     c\nr    1\n");
    text_table_free(t);
}

static void label_column_has_a_minimum_width(void **state)
{
    (void)state;
    const float values[] = {2};
    text_numbers numbers = {values, 1, 1, 1, (const char *const[]){""},
                            (const char *const[]){"s"}};
    text_table *t = text_table_of_numbers(&numbers, &(text_number_style){.decimals = 0});
    assert_printed(t, &(text_table_layout){0}, "  s\n  2\n");                  /* 0 + 2 + 1 */
    assert_printed(t, &(text_table_layout){.label_width = 1}, "   s\n   2\n");  /* 1 + 2 + 1 */
    text_table_free(t);
}

static void labels_are_styled_but_not_the_corner_or_numbers(void **state)
{
    (void)state;
    const float values[] = {1};
    text_numbers numbers = {values, 1, 1, 1, (const char *const[]){"a"},
                            (const char *const[]){"x"}};
    text_table *t = text_table_of_numbers(&numbers, &(text_number_style){.decimals = 0});
    text_table_layout layout = {.label_on = "<", .label_off = ">"};
    assert_printed(t, &layout, "   <x>\n<a>  1\n");
    text_table_free(t);
}

static void cell_tables_skip_empty_headers_and_stop_at_the_last_cell(void **state)
{
    (void)state;
    text_table *t = text_table_new(2, 3);
    text_table_set(t, 0, 0, "a");
    text_table_set(t, 0, 1, "%d", 1);
    text_table_set(t, 1, 0, "%s", "bb");
    text_table_set(t, 1, 2, "x");
    text_table_align(t, 2, TEXT_LEFT);
    /* widths 2 | 1 | 1; no header (every header cell empty); row 0 ends at
     * "1", row 1 has an empty middle cell (1 space) */
    assert_printed(t, &(text_table_layout){0}, "a   1\nbb     x\n");
    text_table_set(t, -1, 0, "name");  /* the header now has text */
    assert_printed(t, &(text_table_layout){0}, "name\na     1\nbb       x\n");
    text_table_free(t);
}

static void a_table_that_could_not_be_made_prints_nothing(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    text_table_set(NULL, 0, 0, "x");  /* every function accepts NULL */
    text_table_align(NULL, 0, TEXT_LEFT);
    assert_false(text_table_print(out, NULL, &(text_table_layout){0}));
    fclose(out);
    assert_int_equal(size, 0);
    free(text);
    assert_null(text_table_new(1, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(width_counts_characters_not_bytes),
        cmocka_unit_test(padding_aligns_left_right_and_centre),
        cmocka_unit_test(fixed_keeps_decimals_and_turns_to_exponents_at_1e9),
        cmocka_unit_test(shortest_reads_back_exactly),
        cmocka_unit_test(labels_fall_back_to_indices),
        cmocka_unit_test(numbers_line_up_under_their_labels),
        cmocka_unit_test(negative_zero_keeps_its_sign_unless_asked),
        cmocka_unit_test(plain_fixed_writes_every_digit),
        cmocka_unit_test(masked_entries_are_centred_without_trailing_spaces),
        cmocka_unit_test(wide_tables_split_into_named_blocks),
        cmocka_unit_test(blocks_count_the_indent_and_each_column_width),
        cmocka_unit_test(label_column_has_a_minimum_width),
        cmocka_unit_test(labels_are_styled_but_not_the_corner_or_numbers),
        cmocka_unit_test(cell_tables_skip_empty_headers_and_stop_at_the_last_cell),
        cmocka_unit_test(a_table_that_could_not_be_made_prints_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
