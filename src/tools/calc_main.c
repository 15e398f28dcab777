/* calc_main.c: the attnlab-calc program, the hand-calculation checker for
 * homework, exams and the book's worked examples: it picks the subcommand,
 * prints the overall help, and opens and closes the trace. The subcommands
 * are calc_softmax.c, calc_retrieve.c, calc_attention.c, calc_sample.c and
 * calc_params.c; none of them does maths of its own.
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

static const calc_command *const commands[] = {
    &calc_softmax_command, &calc_retrieve_command, &calc_attention_command,
    &calc_sample_command, &calc_params_command,
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_program_help(void)
{
    fputs("attnlab-calc: check a hand calculation of attention, step by step\n"
          "\n"
          "usage: attnlab-calc SUBCOMMAND [options]\n"
          "\n"
          "subcommands:\n", stdout);
    for (size_t k = 0; k < N_COMMANDS; k++)
        printf("  %-10s %s\n", commands[k]->name, commands[k]->summary);
    fputs("\n"
          "options every subcommand takes:\n"
          "  --precision N  decimals of computed numbers, 0 to 9 (default 4)\n"
          "  --latex        print the steps as a LaTeX align* block instead of tables\n"
          "  --trace FILE   also write every tensor to FILE (traces/FORMAT.md);\n"
          "                 read it with 'attnlab-trace list FILE' (not for params)\n"
          "  --help         the options and examples of one subcommand:\n"
          "                 attnlab-calc SUBCOMMAND --help\n"
          "\n"
          "examples:\n"
          "  attnlab-calc softmax 2.0 1.0 0.1\n"
          "  attnlab-calc retrieve --keys 70,80 --values 1000,1500 --query 75\n"
          "  attnlab-calc attention --q \"1 0; 0 1\" --k \"1 0; 0 1\" --v \"1 2; 3 4\""
          " --mask causal\n"
          "  attnlab-calc sample --probs 0.5,0.2,0.3 --draw 0.6\n"
          "  attnlab-calc params --preset transformer-base\n"
          "\n"
          "exit status: 0 done, 2 bad input (one line on stderr, nothing on stdout).\n",
          stdout);
}

int calc_trace_open(al_trace **trace, const calc_args *args)
{
    *trace = NULL;
    if (!args->trace_path)
        return CALC_OK;
    al_trace_options options = {.program = "attnlab-calc", .argc = args->argc - 1,
                                .argv = (const char *const *)args->argv + 1,
                                .level = AL_TRACE_ROWS};
    al_error err;
    if (al_trace_open(trace, args->trace_path, &options, &err) != AL_OK)
        return calc_fail("%s", err.message);
    return CALC_OK;
}

int calc_trace_finish(al_trace *trace, al_status status, const al_error *err)
{
    if (status != AL_OK) {
        al_trace_discard(trace);
        return calc_fail("%s", err->message);
    }
    al_error close_err;
    if (al_trace_close(trace, &close_err) != AL_OK)
        return calc_fail("%s", close_err.message);
    return CALC_OK;
}

static const calc_command *find_command(const char *name)
{
    for (size_t k = 0; k < N_COMMANDS; k++)
        if (strcmp(commands[k]->name, name) == 0)
            return commands[k];
    return NULL;
}

static int run(int argc, char **argv)
{
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0 || strcmp(first, "help") == 0) {
        print_program_help();
        return CALC_OK;
    }
    if (strcmp(first, "--version") == 0) {
        printf("attnlab-calc (attnlab %s)\n", AL_VERSION);
        return CALC_OK;
    }
    const calc_command *command = find_command(first);
    if (!command)
        return calc_fail("unknown subcommand '%s'; expected softmax, retrieve, attention, "
                         "sample or params (see 'attnlab-calc --help')", first);
    calc_args args;
    int status = calc_parse_command_line(&args, command, argc, argv);
    if (status == CALC_OK && args.help)
        fputs(command->help, stdout);
    else if (status == CALC_OK)
        status = command->run(&args);
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
