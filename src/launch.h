/* launch.h: turn a service's settings into a process: its environment
 * (SPEC §2.3), its standard fds, privileges and limits, and the readiness
 * pipe for `ready = fd:N`. */
#ifndef TEND_LAUNCH_H
#define TEND_LAUNCH_H

#include <stdbool.h>

#include "config.h"
#include "spawn.h"

struct launch {
	int prefix_fd[2]; /* in: stdout/stderr pipe for = prefix, else -1 */
	struct spawn_result result;
	int readiness_fd; /* read end for ready = fd:N, else -1 */
};

/* Start the service's process. Returns 0 when it was forked (result.pid,
 * result.report_fd), -1 when it could not be (result.failed_stage/error). */
int launch_service(const struct config_service *config, bool is_main, struct launch *launch);

/* Start the service's health check (check_argv) as the service would run,
 * in a session of its own, with stdout and stderr on output_fd. Returns 0
 * when forked (result->pid, result->report_fd), -1 when not. */
int launch_check(const struct config_service *config, int output_fd, struct spawn_result *result);

/* The environment for a service: a NULL-terminated vector in a block that
 * the next call reuses (valid until then, and while base and config are).
 * base is tend's environment. NULL when out of memory. */
char **launch_environment(const struct config_service *config, char *const *base);
/* Where the last launch_environment() left room for WATCHDOG_PID's value
 * (the child writes its pid there), or NULL. */
char *launch_environment_pid_slot(void);
/* Grow the block launch_environment() reuses to fit config's environment
 * (tree mode reserves for every service before trimming the heap).
 * Returns 0 or -1 when out of memory. */
int launch_reserve(const struct config_service *config, char *const *base);
/* Free the block launch_environment() reuses. */
void launch_release(void);

#endif
