/* reaper.h: the only place that calls waitpid. On SIGCHLD the loop calls
 * reaper_collect(), which reaps every exited child (ours or adopted
 * orphans) and hands each known pid's status to the one who registered it. */
#ifndef TEND_REAPER_H
#define TEND_REAPER_H

#include <stdbool.h>
#include <sys/types.h>

/* A decoded wait status: exactly one of code >= 0 or signal > 0. */
struct exit_status {
	int code;   /* exit code, or -1 when killed by a signal */
	int signal; /* signal number, or 0 when it exited */
	bool core_dumped;
};

/* Decode a raw waitpid status. */
struct exit_status exit_status_from_wait(int status);
/* The shell's number for it: the code, or 128 + signal. */
int exit_status_shell_code(struct exit_status status);
/* "exit code 3" / "killed by SIGKILL (core dumped)" into buffer. */
const char *exit_status_describe(struct exit_status status, char *buffer, size_t size);

typedef void reaper_callback(void *context, pid_t pid, struct exit_status status);

/* Tell the reaper whose pid this is. Returns 0 or -1 (no memory; logged). */
int reaper_watch(pid_t pid, reaper_callback *callback, void *context);
/* Make room for count registrations at once (tree mode: one per service,
 * before the loader's memory is trimmed). Returns 0 or -1. */
int reaper_reserve(size_t count);
/* Forget a pid (e.g. its owner is freed). */
void reaper_unwatch(pid_t pid);

/* Reap until nothing is left to reap now. Returns the number reaped.
 * Sets *no_children when waitpid said ECHILD. */
int reaper_collect(bool *no_children);
/* Orphans reaped that nobody watched, since start. */
unsigned long reaper_orphans_reaped(void);
void reaper_free(void);

#endif
