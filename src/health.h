/* health.h: what tend knows of a service's health beyond its state
 * (SPEC §2.3 check*, watchdog, ready = notify; §2.4 health).
 *
 * Two sides. The readers (the control socket's status, events, metrics)
 * call only the accessors at the top. The service's state machine calls the
 * lifecycle hooks below at the moments of a process's life; the health
 * machinery (notify.c: the sd_notify socket; healthcheck.c: health checks; the
 * watchdog here) answers with service_step() events: EVENT_READY,
 * EVENT_UNREADY, EVENT_UNHEALTHY, EVENT_WATCHDOG.
 *
 * A service without a check and without notify carries no health state at
 * all (service->health is NULL, its health is "none", it has no status text
 * and no check output): health costs nothing to the services that do not
 * use it, not even an allocation. */
#ifndef TEND_HEALTH_H
#define TEND_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"

struct service;

enum health { HEALTH_NONE, HEALTH_UNKNOWN, HEALTH_HEALTHY, HEALTH_UNHEALTHY };

/* "none", "unknown", "healthy", "unhealthy" (SPEC §2.4). */
const char *health_name(enum health health);
enum health service_health(const struct service *service);
/* The last STATUS= text the service sent, or NULL. */
const char *service_status_text(const struct service *service);
/* The last health check's output (bounded), or NULL. */
const char *service_check_output(const struct service *service);

/* --- the health state, out of line (service->health) --- */

enum { STATUS_TEXT_MAX = 256, CHECK_OUTPUT_MAX = 512 };

struct health_state {
	struct service *service;
	enum health health;
	bool protocol_ready;  /* the readiness protocol said ready (this life) */
	bool check_passed;    /* a check passed in this life (ends the start period) */
	bool check_timed_out;
	bool has_status, has_output;
	unsigned check_failures; /* consecutive, counted ones */
	pid_t session;        /* the process's session (or group, for main) */
	pid_t check_pid;
	int64_t check_started_at;
	struct timer check_timer;    /* next check, or the running check's timeout */
	struct timer watchdog_timer;
	struct watch check_output;   /* the running check's stdout+stderr */
	size_t output_length;
	struct health_state *next_notify; /* notify.c's list of live senders */
	char status_text[STATUS_TEXT_MAX];
	char output[CHECK_OUTPUT_MAX];
};

/* Allocate the health state if the service's config needs one (ready =
 * notify or check, a check, a watchdog). Returns 0, or -1 when out of
 * memory (logged). */
int health_attach(struct service *service);
void health_detach(struct service *service);

/* The process was forked (service->pid set): register its session for
 * notify, arm the watchdog, schedule the first check. */
void health_process_started(struct service *service);
/* The process is being stopped, or is gone: no more checks, no watchdog;
 * a running check is killed. ended: the process was reaped (it cannot
 * notify any more either). */
void health_process_stopping(struct service *service);
void health_process_ended(struct service *service);
/* The readiness protocol says ready (started, fd:N, READY=1, a passed
 * check for ready = check). Returns whether the service may now be ready:
 * false while it is unhealthy. */
bool health_protocol_ready(struct service *service);

/* For notify.c and healthcheck.c. */
void health_set_status(struct health_state *state, const char *text, size_t length);
void health_watchdog_kick(struct health_state *state);
void health_watchdog_trigger(struct health_state *state);
/* A check ended: passed or not (a timeout is a failure). */
void health_check_result(struct health_state *state, bool passed);
/* Whether the service is notify-ready; `ready` false on RELOADING/STOPPING. */
void health_notify_ready(struct health_state *state, bool ready);
/* EXTEND_TIMEOUT_USEC=: push the start or stop deadline out. */
void health_extend_timeout(struct health_state *state, int64_t milliseconds);

#endif
