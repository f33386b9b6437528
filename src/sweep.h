/* sweep.h: the processes left behind. As PID 1 that is every process in the
 * namespace (kill(-1)); anywhere else only tend's own descendants, found in
 * /proc, so a subreaper never touches processes that are not its own. */
#ifndef TEND_SWEEP_H
#define TEND_SWEEP_H

#include <stdbool.h>

/* Send signal_number to every leftover process. Returns how many were
 * signalled (as PID 1: 1 when kill(-1) reached any process, else 0). */
int sweep_signal_leftovers(int signal_number);
/* True when tend runs as PID 1 of its namespace. */
bool sweep_is_pid1(void);

#endif
