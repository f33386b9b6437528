/* reaper.c: the only caller of waitpid in tend.
 *
 * SIGCHLD does not queue: several children may exit behind one signal, so
 * every collection reaps until waitpid says nothing more is ready. Orphans
 * adopted by PID 1 (or by tend as a subreaper) are reaped as well and merely
 * counted. A pid's status goes to whoever registered it, once. */
#include "reaper.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "signals.h"

struct registration {
	pid_t pid;
	reaper_callback *callback;
	void *context;
};

static struct {
	struct registration *entries;
	size_t count;
	size_t capacity;
	unsigned long orphans;
} reaper;

struct exit_status exit_status_from_wait(int status)
{
	struct exit_status result = { .code = -1, .signal = 0, .core_dumped = false };
	if (WIFEXITED(status)) {
		result.code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		result.signal = WTERMSIG(status);
		result.core_dumped = WCOREDUMP(status);
	}
	return result;
}

int exit_status_shell_code(struct exit_status status)
{
	return status.signal > 0 ? 128 + status.signal : status.code;
}

const char *exit_status_describe(struct exit_status status, char *buffer, size_t size)
{
	if (status.signal > 0)
		snprintf(buffer, size, "killed by %s%s", signal_name(status.signal),
			 status.core_dumped ? " (core dumped)" : "");
	else
		snprintf(buffer, size, "exit code %d", status.code);
	return buffer;
}

int reaper_reserve(size_t count)
{
	if (count <= reaper.capacity)
		return 0;
	struct registration *grown = realloc(reaper.entries, count * sizeof *grown);
	if (grown == NULL)
		return -1;
	reaper.entries = grown;
	reaper.capacity = count;
	return 0;
}

int reaper_watch(pid_t pid, reaper_callback *callback, void *context)
{
	if (reaper.count == reaper.capacity &&
	    reaper_reserve(reaper.capacity ? reaper.capacity * 2 : 16) < 0) {
		log_error("out of memory registering pid %d", (int)pid);
		return -1;
	}
	reaper.entries[reaper.count++] = (struct registration){ pid, callback, context };
	return 0;
}

/* Remove entry index by moving the last one into its place. */
static struct registration take_entry(size_t index)
{
	struct registration entry = reaper.entries[index];
	reaper.entries[index] = reaper.entries[--reaper.count];
	return entry;
}

void reaper_unwatch(pid_t pid)
{
	for (size_t i = 0; i < reaper.count; i++)
		if (reaper.entries[i].pid == pid) {
			take_entry(i);
			return;
		}
}

static void dispatch(pid_t pid, int raw_status)
{
	struct exit_status status = exit_status_from_wait(raw_status);
	for (size_t i = 0; i < reaper.count; i++) {
		if (reaper.entries[i].pid != pid)
			continue;
		struct registration entry = take_entry(i);
		entry.callback(entry.context, pid, status);
		return;
	}
	reaper.orphans++;
	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		char description[64];
		log_event(LOG_LEVEL_DEBUG, NULL, "reap", "reaped orphan %d (%s)", (int)pid,
			  exit_status_describe(status, description, sizeof description));
	}
}

int reaper_collect(bool *no_children)
{
	int reaped = 0;
	if (no_children != NULL)
		*no_children = false;
	for (;;) {
		int raw_status;
		pid_t pid = waitpid(-1, &raw_status, WNOHANG);
		if (pid > 0) {
			reaped++;
			dispatch(pid, raw_status);
			continue;
		}
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0 && errno == ECHILD && no_children != NULL)
			*no_children = true;
		else if (pid < 0 && errno != ECHILD)
			log_error("waitpid failed: %s", strerror(errno));
		return reaped;
	}
}

unsigned long reaper_orphans_reaped(void) { return reaper.orphans; }

void reaper_free(void)
{
	free(reaper.entries);
	reaper.entries = NULL;
	reaper.count = reaper.capacity = 0;
}
