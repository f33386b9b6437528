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
	struct watch report;
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

static void check_report(void)
{
	enum spawn_stage stage;
	int error;
	if (single.report.fd < 0)
		return;
	int result = spawn_read_report(single.report.fd, &stage, &error);
	if (result < 0)
		return; /* nothing yet */
	if (result == 1)
		log_event(LOG_LEVEL_ERROR, NULL, "exec", "cannot run %s: %s failed: %s",
			  single.options->command[0], spawn_stage_name(stage), strerror(error));
	loop_watch_remove(&single.report);
	close(single.report.fd);
	single.report.fd = -1;
}

static void on_report(struct watch *watch, uint32_t events)
{
	(void)watch;
	(void)events;
	check_report();
}

static void on_child_exit(void *context, pid_t pid, struct exit_status status)
{
	(void)context;
	char description[64];
	check_report();
	single.status = status;
	single.exit_code = options_map_exit_code(single.options, exit_status_shell_code(status));
	log_event(LOG_LEVEL_DEBUG, NULL, "exit", "child %d: %s", (int)pid,
		  exit_status_describe(status, description, sizeof description));
	single.child = 0;
	/* The child is gone: terminate what it left, or finish if nothing is. */
	single.phase = PHASE_DRAINING;
	sweeper_start(&single.sweeper, single.options->grace_ms);
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
		loop_woke(); /* the wait was ours: deadlines count from now */
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
	/* Only hand over the terminal when tend itself is in the foreground:
	 * `tend -- sh &` from an interactive shell must not steal it. */
	request.take_terminal = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
	if (spawn_start(&request, &result) < 0) {
		log_event(LOG_LEVEL_ERROR, NULL, "exec", "cannot start %s: %s failed: %s",
			  single.options->command[0], spawn_stage_name(result.failed_stage),
			  strerror(result.error));
		return -1;
	}
	single.child = result.pid;
	single.report = (struct watch){ .fd = result.report_fd, .callback = on_report };
	if (loop_watch_add(&single.report, EPOLLIN) < 0 ||
	    reaper_watch(result.pid, on_child_exit, NULL) < 0)
		return -1;
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
	sweeper_init(&single.sweeper, finish);
	single.signals = (struct watch){ .fd = signal_fd, .callback = on_signal,
					 .may_block = true };
	if (loop_watch_add(&single.signals, EPOLLIN) < 0)
		return 1;
	/* Children we inherited from whoever exec'd us are reaped, never taken
	 * for the command. */
	reaper_collect(NULL);
	if (start_child() < 0) {
		if (single.child <= 0)
			return 1;
		kill(single.child, SIGKILL); /* cannot supervise it: do not leave it */
	}
	/* The child has its working directory (the image's WORKDIR); tend
	 * itself lets go of it, so it never keeps a mount busy. */
	if (chdir("/") < 0)
		log_warn("cannot change to /: %s", strerror(errno));
	loop_run();
	sweeper_cancel(&single.sweeper);
	if (single.report.fd >= 0)
		close(single.report.fd);
	loop_watch_remove(&single.signals);
	return single.exit_code;
}
