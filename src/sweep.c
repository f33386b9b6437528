/* sweep.c: signal the processes left behind (SPEC §1.2, §4).
 *
 * kill(-1) reaches every process the caller may signal except itself and
 * PID 1. Run anywhere but as PID 1 (hostPID, a shared process namespace, by
 * hand) it would hit the host's or the pod's other processes, so it is used
 * only when getpid() == 1; otherwise we signal exactly our descendants. */
#include "sweep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "reaper.h"

struct process_link {
	pid_t pid;
	pid_t parent;
	bool descendant;
};

bool sweep_is_pid1(void) { return getpid() == 1; }

/* The parent pid from /proc/PID/stat; -1 if the process is gone. */
static pid_t read_parent(pid_t pid)
{
	char path[64], text[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t length = read(fd, text, sizeof text - 1);
	close(fd);
	if (length <= 0)
		return -1;
	text[length] = '\0';
	/* The command name may hold spaces and parentheses: parse after the
	 * last ')'. Fields then: state, ppid. */
	char *end = strrchr(text, ')');
	if (end == NULL || strlen(end) < 5 || end[1] != ' ' || end[3] != ' ')
		return -1;
	char *number_end;
	long parent = strtol(end + 4, &number_end, 10);
	return number_end == end + 4 ? -1 : (pid_t)parent;
}

static size_t read_process_table(struct process_link **table)
{
	size_t count = 0, capacity = 0;
	*table = NULL;
	DIR *directory = opendir("/proc");
	if (directory == NULL) {
		log_warn("cannot read /proc to find leftover processes: %s", strerror(errno));
		return 0;
	}
	struct dirent *entry;
	while ((entry = readdir(directory)) != NULL) {
		char *end;
		long pid = strtol(entry->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		pid_t parent = read_parent((pid_t)pid);
		if (parent < 0)
			continue;
		if (count == capacity) {
			capacity = capacity ? capacity * 2 : 256;
			struct process_link *grown = realloc(*table, capacity * sizeof *grown);
			if (grown == NULL)
				break;
			*table = grown;
		}
		(*table)[count++] = (struct process_link){ (pid_t)pid, parent, false };
	}
	closedir(directory);
	return count;
}

static int signal_descendants(int signal_number)
{
	struct process_link *table;
	size_t count = read_process_table(&table);
	pid_t self = getpid();
	/* Mark descendants until a pass adds none (depth-many passes). */
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < count; i++) {
			if (table[i].descendant)
				continue;
			bool parent_marked = table[i].parent == self;
			for (size_t j = 0; !parent_marked && j < count; j++)
				parent_marked = table[j].descendant && table[j].pid == table[i].parent;
			if (parent_marked)
				table[i].descendant = changed = true;
		}
	}
	int signalled = 0;
	for (size_t i = 0; i < count; i++)
		if (table[i].descendant && kill(table[i].pid, signal_number) == 0)
			signalled++;
	free(table);
	return signalled;
}

int sweep_signal_leftovers(int signal_number)
{
	if (!sweep_is_pid1())
		return signal_descendants(signal_number);
	if (kill(-1, signal_number) == 0)
		return 1;
	if (errno != ESRCH)
		log_warn("cannot signal leftover processes: %s", strerror(errno));
	return 0;
}

/* After SIGKILL, how long to wait for the kernel to finish the leftovers. */
enum { FINAL_WAIT_MS = 2000 };

static void sweeper_finish(struct sweeper *sweeper)
{
	sweeper->active = false;
	loop_timer_cancel(&sweeper->timer);
	sweeper->done();
}

static void sweeper_wait_final(struct sweeper *sweeper)
{
	sweeper->killed = true;
	loop_timer_set(&sweeper->timer, loop_now() + FINAL_WAIT_MS);
}

static void on_sweep_timer(struct timer *timer)
{
	struct sweeper *sweeper = timer->context;
	if (!sweeper->killed) {
		log_event(LOG_LEVEL_WARN, NULL, "shutdown",
			  "leftover processes still running after the grace period: SIGKILL");
		sweep_signal_leftovers(SIGKILL);
		sweeper_wait_final(sweeper);
		return;
	}
	log_event(LOG_LEVEL_ERROR, NULL, "shutdown",
		  "leftover processes did not die after SIGKILL; exiting anyway");
	sweeper_finish(sweeper);
}

void sweeper_init(struct sweeper *sweeper, void (*done)(void))
{
	*sweeper = (struct sweeper){ .done = done };
	sweeper->timer = (struct timer){ .callback = on_sweep_timer, .context = sweeper };
}

void sweeper_reaped(struct sweeper *sweeper, bool no_children)
{
	if (sweeper->active && no_children)
		sweeper_finish(sweeper);
}

void sweeper_start(struct sweeper *sweeper, int64_t grace_ms)
{
	bool no_children;
	sweeper->active = true;
	reaper_collect(&no_children);
	if (no_children) {
		sweeper_finish(sweeper);
		return;
	}
	if (loop_timer_armed(&sweeper->timer))
		return; /* already under way (or past the SIGKILL) */
	if (sweep_signal_leftovers(SIGTERM) > 0) {
		log_event(LOG_LEVEL_INFO, NULL, "shutdown",
			  "terminating leftover processes (SIGKILL in %lld ms)", (long long)grace_ms);
		sweep_signal_leftovers(SIGCONT); /* a stopped process cannot act on TERM */
	}
	loop_timer_set(&sweeper->timer, loop_now() + grace_ms);
}

void sweeper_kill_now(struct sweeper *sweeper)
{
	bool no_children;
	sweeper->active = true;
	sweep_signal_leftovers(SIGKILL);
	sweeper_wait_final(sweeper);
	reaper_collect(&no_children);
	sweeper_reaped(sweeper, no_children);
}

void sweeper_cancel(struct sweeper *sweeper)
{
	sweeper->active = false;
	loop_timer_cancel(&sweeper->timer);
}
