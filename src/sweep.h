/* sweep.h: the processes left behind. As PID 1 that is every process in the
 * namespace (kill(-1)); anywhere else only tend's own descendants, found in
 * /proc, so a subreaper never touches processes that are not its own. */
#ifndef TEND_SWEEP_H
#define TEND_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"

/* Send signal_number to every leftover process. Returns how many were
 * signalled (as PID 1: 1 when kill(-1) reached any process, else 0). */
int sweep_signal_leftovers(int signal_number);
/* True when tend runs as PID 1 of its namespace. */
bool sweep_is_pid1(void);

/* The end of a run, shared by both modes: whatever is left gets SIGTERM
 * and SIGCONT, then SIGKILL after a grace period, then a bounded wait (a
 * process in uninterruptible sleep dies only when its I/O ends); done() is
 * called as soon as no child is left, or when the wait is over. */
struct sweeper {
	struct timer timer;
	bool active;
	bool killed;
	void (*done)(void);
};
void sweeper_init(struct sweeper *sweeper, void (*done)(void));
/* Begin (again safe): reap, and finish at once when nothing is left. */
void sweeper_start(struct sweeper *sweeper, int64_t grace_ms);
/* SIGKILL what is left now (a deadline passed); then the bounded wait. */
void sweeper_kill_now(struct sweeper *sweeper);
/* Call after every reap: finishes an active sweep once no child is left. */
void sweeper_reaped(struct sweeper *sweeper, bool no_children);
void sweeper_cancel(struct sweeper *sweeper);

#endif
