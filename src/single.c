/* single.c: single-command mode (SPEC §1.2).
 *
 * Phases: the child runs (signals are forwarded, orphans reaped); the child
 * has exited (its status is kept; leftovers get SIGTERM, then SIGKILL at
 * --grace); nothing is left (waitpid says ECHILD): exit with the child's
 * status. tend exits as soon as the last process is reaped, never sleeping
 * out the grace period. */
#include "single.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "reaper.h"
#include "signals.h"
#include "spawn.h"
#include "sweep.h"

enum phase { PHASE_RUNNING, PHASE_DRAINING };

static struct {
	const struct options *options;
	enum phase phase;
	pid_t child;
	pid_t self; /* getpid(), once */
	struct exit_status status;
	int exit_code;
	struct watch signals;
	int report_fd;
	struct sweeper sweeper;
} single;

bool single_should_forward(int signal_number, pid_t sender, pid_t self)
{
	if (signal_number == SIGCHLD)
		return false;
	/* A write to a closed stderr raises SIGPIPE in tend itself (it is
	 * blocked, so it waits in the signalfd): that one is not the child's. */
	if (signal_number == SIGPIPE && sender == self)
		return false;
	return true;
}

static void finish(void)
{
	loop_stop();
}

/* The spawn report is read once, when the child is reaped: a failed setup
 * stage ends the child at once, so its exit is as early as the report, and
 * with no watch on the report there is nothing that could fail to be
 * added (and the loop has only its signals to wait for). */
static void read_report(void)
{
	enum spawn_stage stage;
	int error;
	if (single.report_fd < 0)
		return;
	if (spawn_read_report(single.report_fd, &stage, &error) == 1)
		log_event(LOG_LEVEL_ERROR, NULL, "exec", "cannot run %s: %s failed: %s",
			  single.options->command[0], spawn_stage_name(stage), strerror(error));
	close(single.report_fd);
	single.report_fd = -1;
}

/* The child is gone: terminate what it left, or finish if nothing is.
 * Delivered from the queue: the sweeper reaps, and must not run inside the
 * reaper's callback. */
static void child_gone(void *target, int what, size_t index)
{
	(void)target;
	(void)what;
	(void)index;
	sweeper_start(&single.sweeper, single.options->grace_ms);
}

static void on_child_exit(void *context, pid_t pid, struct exit_status status)
{
	(void)context;
	char description[64];
	read_report();
	single.status = status;
	single.exit_code = options_map_exit_code(single.options, exit_status_shell_code(status));
	log_event(LOG_LEVEL_DEBUG, NULL, "exit", "child %d: %s", (int)pid,
		  exit_status_describe(status, description, sizeof description));
	single.child = 0; /* reaped: never signalled again */
	single.phase = PHASE_DRAINING;
	loop_post(child_gone, NULL, 0, 0);
}

static void forward(int signal_number)
{
	if (single.child <= 0)
		return;
	pid_t target = single.options->process_group ? -single.child : single.child;
	if (kill(target, signal_number) < 0 && errno == ESRCH && target < 0)
		kill(single.child, signal_number); /* the group is gone but not the child */
}

/* One signal other than SIGCHLD: forward it, unless it is not the child's. */
static void take(int number, pid_t sender)
{
	if (number == SIGPIPE && sender == single.self)
		return; /* ours (see single_should_forward): logging it would raise another */
	if (single.phase == PHASE_RUNNING && single_should_forward(number, sender, single.self))
		forward(number);
	else
		log_event(LOG_LEVEL_DEBUG, NULL, "signal", "ignoring %s", signal_name(number));
}

static void take_info(const struct signalfd_siginfo *info)
{
	take((int)info->ssi_signo, (pid_t)info->ssi_pid);
}

static void on_signal(struct watch *watch, uint32_t events)
{
	bool reap;
	if (events & LOOP_MAY_BLOCK) {
		/* The loop has nothing else to wait for: wait for one signal. */
		pid_t sender = 0;
		int number = signals_wait(&sender);
		if (number < 0) {
			/* Never spin on a failing wait: back to epoll for good. */
			log_warn("cannot wait for signals: %s", strerror(errno));
			watch->may_block = false;
			return;
		}
		reap = number == SIGCHLD;
		if (!reap)
			take(number, sender);
	} else {
		reap = signals_drain(watch->fd, take_info);
	}
	if (!reap)
		return;
	bool no_children;
	reaper_collect(&no_children);
	sweeper_reaped(&single.sweeper, no_children);
}

static int start_child(void)
{
	struct spawn_request request;
	struct spawn_result result;
	spawn_request_init(&request);
	request.argv = single.options->command;
	request.isolation = SPAWN_PROCESS_GROUP;
	request.inherit_signals = true; /* SPEC §1.2, as tini */
	/* Only hand over the terminal when tend itself is in the foreground:
	 * `tend -- sh &` from an interactive shell must not steal it. */
	request.take_terminal = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
	if (spawn_start(&request, &result) < 0) {
		log_event(LOG_LEVEL_ERROR, NULL, "exec", "cannot start %s: %s failed: %s",
			  single.options->command[0], spawn_stage_name(result.failed_stage),
			  strerror(result.error));
		return -1;
	}
	single.report_fd = result.report_fd;
	/* Cannot fail: room for it was made before the fork. */
	if (reaper_watch(result.pid, on_child_exit, NULL) < 0) {
		kill(result.pid, SIGKILL); /* cannot supervise it: do not leave it */
		return -1;
	}
	single.child = result.pid;
	log_event(LOG_LEVEL_DEBUG, NULL, "start", "%s: pid %d", single.options->command[0],
		  (int)result.pid);
	return 0;
}

int single_run(const struct options *options, int signal_fd)
{
	single.options = options;
	single.self = getpid();
	single.phase = PHASE_RUNNING;
	single.exit_code = 1;
	single.report_fd = -1;
	sweeper_init(&single.sweeper, finish);
	single.signals = (struct watch){ .fd = signal_fd, .callback = on_signal,
					 .may_block = true };
	if (loop_watch_add(&single.signals, EPOLLIN) < 0 || reaper_reserve(1) < 0 ||
	    loop_reserve_messages(4) < 0)
		return 1;
	/* Children we inherited from whoever exec'd us are reaped, never taken
	 * for the command. */
	reaper_collect(NULL);
	if (start_child() < 0) {
		loop_watch_remove(&single.signals);
		return 1;
	}
	/* The child has its working directory (the image's WORKDIR); tend
	 * itself lets go of it, so it never keeps a mount busy. */
	if (chdir("/") < 0)
		log_warn("cannot change to /: %s", strerror(errno));
	loop_run();
	sweeper_cancel(&single.sweeper);
	if (single.report_fd >= 0)
		close(single.report_fd);
	loop_watch_remove(&single.signals);
	return single.exit_code;
}
