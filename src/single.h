/* single.h: single-command mode, `tend -- CMD ARG...` (SPEC §1.2): a
 * drop-in for tini that also terminates and reaps what CMD leaves behind. */
#ifndef TEND_SINGLE_H
#define TEND_SINGLE_H

#include <stdbool.h>
#include <sys/types.h>

#include "options.h"

/* Run options->command under supervision until it and every leftover
 * process are gone. signal_fd is tend's signalfd. Returns tend's exit
 * status. */
int single_run(const struct options *options, int signal_fd);

/* Whether a signal received by tend is passed on to the child: everything
 * but SIGCHLD, and but a SIGPIPE tend raised itself by writing its log. */
bool single_should_forward(int signal_number, pid_t sender, pid_t self);

#endif
