/* main.c: tend's phases. Before the loop: parse, validate, open, and on any
 * problem say exactly what and exit with a distinct status. Once the loop
 * runs, nothing exits on a runtime error. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "loop.h"
#include "options.h"
#include "reaper.h"
#include "signals.h"
#include "single.h"
#include "tree.h"

/* Started with fd 0, 1 or 2 closed, the next fd tend opens (its signalfd)
 * would take that number, and services would start without a stdin (or
 * write their output into tend's epoll). /dev/null goes in each gap first
 * thing; open() returns the lowest free fd, which is the gap. Not
 * close-on-exec: the children inherit it as their standard fd. */
static void open_missing_standard_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int opened = open("/dev/null", O_RDWR | O_NOCTTY);
		if (opened >= 0 && opened != fd)
			close(opened); /* cannot happen: the lower fds are open */
	}
}

static bool invoked_as_tendctl(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	return strcmp(slash ? slash + 1 : argv0, "tendctl") == 0;
}

/* -p: die with our parent (tini -p). The parent may already have died
 * between our start and the prctl: then getppid() has changed. */
static int set_parent_death_signal(int signal_number, pid_t parent_at_start)
{
	if (signal_number == 0)
		return 0;
	if (prctl(PR_SET_PDEATHSIG, signal_number, 0, 0, 0) < 0) {
		log_error("cannot set the parent-death signal: %s", strerror(errno));
		return -1;
	}
	if (getppid() != parent_at_start) {
		log_error("parent exited before the parent-death signal was set");
		return -1;
	}
	return 0;
}

static int become_subreaper(void)
{
	if (getpid() == 1)
		return 0;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		log_error("cannot become a child subreaper: %s", strerror(errno));
		return -1;
	}
	log_event(LOG_LEVEL_DEBUG, NULL, "subreaper",
		  "not PID 1: registered as child subreaper (orphans come to tend)");
	return 0;
}

int main(int argc, char **argv)
{
	pid_t parent_at_start = getppid();
	if (argc > 0 && invoked_as_tendctl(argv[0]))
		return ctl_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return ctl_main(argc - 1, argv + 1);

	/* Block signals before anything else: a SIGTERM from a fast
	 * `docker stop` must wait in the signalfd, not be dropped. Blocking
	 * and the reset also record what the caller left us (the mask, the
	 * ignored set) for single mode's child. The missing standard fds are
	 * filled before the signalfd could take one of their numbers. */
	int blocked = signals_block_all();
	signals_reset_dispositions();
	open_missing_standard_fds();
	int signal_fd = blocked < 0 ? -1 : signals_open();
	log_open();

	struct options options;
	int status = options_parse(argc, argv, &options);
	if (status != 0)
		return status;
	log_adjust_level(options.verbosity);
	if (options.log_format >= 0)
		log_set_format((enum log_format)options.log_format);
	switch (options.mode) {
	case MODE_HELP:
		options_print_help(argv[0]);
		return 0;
	case MODE_VERSION:
		options_print_version();
		return 0;
	case MODE_CHECK:
		return tree_check(&options);
	case MODE_SINGLE:
	case MODE_TREE:
		break;
	}
	if (signal_fd < 0 || loop_init() < 0 ||
	    set_parent_death_signal(options.parent_death_signal, parent_at_start) < 0 ||
	    become_subreaper() < 0)
		return 1;
	if (options.mode == MODE_SINGLE)
		status = single_run(&options, signal_fd);
	else
		status = tree_run(&options, signal_fd);
	loop_close();
	reaper_free();
	close(signal_fd);
	return status;
}
