/* calc_main.c: the attnlab-calc program, the hand-calculation checker for
 * homework, exams and the book's worked examples: it picks the subcommand,
 * prints the help calc_help.c writes when asked, and runs the subcommand's
 * steps (parse, compute, print, free). The subcommands are
 * calc_softmax.c, calc_retrieve.c, calc_attention.c, calc_sample.c and
 * calc_params.c; each holds only its own steps, and none does maths.
 *
 * Results go to stdout, and only after the whole calculation has succeeded;
 * a problem is one line "attnlab-calc: ..." on stderr, exit status 2, and
 * no trace file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/blas.h"
#include "attnlab_config.h"
#include "calc.h"
#include "calc_print.h"

/* Every subcommand's steps, in order (see calc_command in calc.h). Output
 * is printed only once the calculation has succeeded. */
static int run_command(const calc_command *command, const calc_args *args)
{
    void *calc = calloc(1, command->calc_size);
    if (!calc)
        return calc_fail("out of memory");
    int status = command->parse(calc, args);
    if (status == CALC_OK)
        status = command->compute(calc, args);
    if (status == CALC_OK) {
        calc_printer p = calc_printer_start(args);
        if (args->latex) {
            command->print_latex(&p, args, calc);
        } else {
            command->print_text(&p, calc);
            calc_trace_note(&p, args);
        }
        if (p.out_of_memory)
            status = calc_fail("out of memory printing the tables");
    }
    if (command->free_calc)
        command->free_calc(calc);
    free(calc);
    return status;
}

static int run(int argc, char **argv)
{
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0 || strcmp(first, "help") == 0) {
        calc_print_program_help(stdout);
        return CALC_OK;
    }
    if (strcmp(first, "--version") == 0) {
        printf("attnlab-calc (attnlab %s)\n", AL_VERSION);
        return CALC_OK;
    }
    const calc_command *command = calc_find_command(first);
    if (!command)
        return calc_fail("unknown subcommand '%s'; expected softmax, retrieve, attention, "
                         "sample or params (see 'attnlab-calc --help')", first);
    calc_args args;
    int status = calc_parse_command_line(&args, command, argc, argv);
    if (status == CALC_OK && args.help)
        calc_print_command_help(stdout, command);
    else if (status == CALC_OK)
        status = run_command(command, &args);
    free(args.operands);
    return status;
}

/* Output that could not be written (a full disk, a closed pipe) must not
 * pass for success. */
static int finish_output(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return calc_fail("cannot write the output: %s", strerror(errno));
    return status;
}

int main(int argc, char **argv)
{
    al_blas_set_threads(1);  /* the same bits on every run */
    if (argc < 2)
        return calc_fail("missing subcommand: softmax, retrieve, attention, sample or params "
                         "(see 'attnlab-calc --help')");
    return finish_output(run(argc, argv));
}
