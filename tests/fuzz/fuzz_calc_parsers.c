/* fuzz_calc_parsers.c: any text as the calculator's numbers, matrices and
 * whole numbers (attnlab-calc --keys "70,80", softmax 2 1 0.1, --seed):
 * each parser returns CALC_OK or CALC_USAGE with one line on stderr, never
 * exits, crashes or reads past the text. (.ci/fuzz closes the target's
 * stderr, -close_fd_mask=2, so the messages do not fill the log;
 * libFuzzer and the sanitizers keep their own copy of it.) */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calc.h"
#include "fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_input_text(data, size);
    if (!text)
        return 0;
    float x;
    int n;
    (void)calc_parse_number(&x, "fuzz", text);
    (void)calc_parse_positive(&x, "fuzz", text);
    (void)calc_parse_int(&n, "fuzz", text, -5, 1000000);
    for (int column = 0; column < 2; column++) {
        al_matrix m = {0};
        if (calc_parse_matrix(&m, "fuzz", text, column) == CALC_OK)
            al_matrix_free(&m);
    }
    free(text);
    return 0;
}
