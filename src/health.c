/* health.c: a service's health state (health.h): the verdict of its checks
 * (Docker HEALTHCHECK semantics), its readiness as the protocol and the
 * checks together decide it, its STATUS= text and its watchdog.
 *
 * A service is ready when its readiness protocol said so (in this life of
 * the process) and it is not unhealthy. reconsider() compares that with
 * service->ready after every change and tells the state machine, which
 * alone changes the service's state. */
#include "health.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "healthcheck.h"
#include "events.h"
#include "log.h"
#include "notify.h"
#include "service.h"
#include "util.h"

const char *health_name(enum health health)
{
	static const char *const names[] = {
		[HEALTH_NONE] = "none", [HEALTH_UNKNOWN] = "unknown",
		[HEALTH_HEALTHY] = "healthy", [HEALTH_UNHEALTHY] = "unhealthy",
	};
	return names[health];
}

enum health service_health(const struct service *service)
{
	return service->health != NULL ? service->health->health : HEALTH_NONE;
}

const char *service_status_text(const struct service *service)
{
	const struct health_state *state = service->health;
	return state != NULL && state->has_status ? state->status_text : NULL;
}

const char *service_check_output(const struct service *service)
{
	const struct health_state *state = service->health;
	return state != NULL && state->has_output ? state->output : NULL;
}

static bool needs_state(const struct config_service *config)
{
	return config->ready == READY_NOTIFY || config->ready == READY_CHECK ||
	       config->check_argv != NULL || config->watchdog_ms > 0;
}

static void on_watchdog(struct timer *timer);

int health_attach(struct service *service)
{
	if (!needs_state(service->config))
		return 0;
	struct health_state *state = xcalloc(1, sizeof *state);
	if (state == NULL)
		return -1;
	state->service = service;
	state->health = HEALTH_NONE;
	state->watchdog_timer = (struct timer){ .callback = on_watchdog, .context = state };
	check_init(state);
	service->health = state;
	return 0;
}

void health_detach(struct service *service)
{
	struct health_state *state = service->health;
	if (state == NULL)
		return;
	health_process_ended(service);
	free(state);
	service->health = NULL;
}

static bool watchdog_enabled(const struct config_service *config)
{
	return config->ready == READY_NOTIFY && config->watchdog_ms > 0;
}

void health_process_started(struct service *service)
{
	struct health_state *state = service->health;
	if (state == NULL)
		return;
	const struct config_service *config = service->config;
	state->health = config->check_argv != NULL ? HEALTH_UNKNOWN : HEALTH_NONE;
	state->protocol_ready = state->check_passed = false;
	state->check_failures = 0;
	state->has_status = false;
	state->session = service->pid;
	if (config->ready == READY_NOTIFY)
		notify_register(state);
	if (watchdog_enabled(config))
		loop_timer_set(&state->watchdog_timer, loop_now() + config->watchdog_ms);
	/* ready = check waits for its first check: run it at once. Otherwise
	 * the first check comes one interval after the start, as in Docker. */
	if (config->check_argv != NULL)
		check_schedule(state, config->ready == READY_CHECK ? 0 : config->check_interval_ms);
}

void health_process_stopping(struct service *service)
{
	struct health_state *state = service->health;
	if (state == NULL)
		return;
	loop_timer_cancel(&state->watchdog_timer);
	check_cancel(state);
}

void health_process_ended(struct service *service)
{
	struct health_state *state = service->health;
	if (state == NULL)
		return;
	health_process_stopping(service);
	if (state->session != 0)
		notify_unregister(state);
	state->session = 0;
	state->protocol_ready = false;
}

bool health_protocol_ready(struct service *service)
{
	struct health_state *state = service->health;
	if (state == NULL)
		return true;
	if (service->config->ready != READY_CHECK)
		state->protocol_ready = true;
	return state->protocol_ready && state->health != HEALTH_UNHEALTHY;
}

/* Tell the state machine when readiness and service->ready disagree. */
static void reconsider(struct health_state *state)
{
	struct service *service = state->service;
	bool may_be_ready = state->protocol_ready && state->health != HEALTH_UNHEALTHY;
	if (may_be_ready && !service->ready)
		service_step(service, EVENT_READY);
	else if (!may_be_ready && service->ready)
		service_step(service, EVENT_UNREADY);
}

void health_notify_ready(struct health_state *state, bool ready)
{
	if (state->session == 0 || state->protocol_ready == ready)
		return;
	state->protocol_ready = ready;
	if (!ready)
		log_event(LOG_LEVEL_INFO, state->service->config->name, "notify",
			  "RELOADING or STOPPING: not ready until READY=1");
	reconsider(state);
}

void health_set_status(struct health_state *state, const char *text, size_t length)
{
	if (length >= STATUS_TEXT_MAX)
		length = STATUS_TEXT_MAX - 1;
	for (size_t i = 0; i < length; i++) /* no control characters in status */
		state->status_text[i] = (unsigned char)text[i] < 0x20 ? ' ' : text[i];
	state->status_text[length] = '\0';
	state->has_status = true;
	log_event(LOG_LEVEL_INFO, state->service->config->name, "status", "%s", state->status_text);
	events_service(state->service, "status", state->status_text);
}

/* --- watchdog --- */

void health_watchdog_kick(struct health_state *state)
{
	if (loop_timer_armed(&state->watchdog_timer))
		loop_timer_set(&state->watchdog_timer,
			       loop_now() + state->service->config->watchdog_ms);
}

static void watchdog_fire(struct health_state *state, bool triggered)
{
	loop_timer_cancel(&state->watchdog_timer);
	struct service *service = state->service;
	service->reason_errno = triggered; /* the detail service_reason() words */
	log_event(LOG_LEVEL_WARN, service->config->name, "watchdog",
		  triggered ? "WATCHDOG=trigger: SIGABRT to its process group"
			    : "no WATCHDOG=1 within %lld ms: SIGABRT to its process group",
		  (long long)service->config->watchdog_ms);
	service_step(service, EVENT_WATCHDOG);
}

void health_watchdog_trigger(struct health_state *state)
{
	if (watchdog_enabled(state->service->config) && loop_timer_armed(&state->watchdog_timer))
		watchdog_fire(state, true);
}

static void on_watchdog(struct timer *timer)
{
	watchdog_fire(timer->context, false);
}

void health_extend_timeout(struct health_state *state, int64_t milliseconds)
{
	service_extend_timeout(state->service, milliseconds);
}

/* --- check verdicts (Docker HEALTHCHECK semantics) --- */

static void set_health(struct health_state *state, enum health health)
{
	if (state->health == health)
		return;
	state->health = health;
	struct service *service = state->service;
	if (health == HEALTH_UNHEALTHY)
		log_event(LOG_LEVEL_WARN, service->config->name, "health",
			  "unhealthy: %u checks failed in a row%s%s", state->check_failures,
			  state->has_output ? "; last output: " : "", state->has_output ? state->output : "");
	else
		log_event(LOG_LEVEL_INFO, service->config->name, "health", "%s", health_name(health));
	events_service(service, "health", health_name(health));
}

void health_check_result(struct health_state *state, bool passed)
{
	struct service *service = state->service;
	const struct config_service *config = service->config;
	if (passed) {
		state->check_failures = 0;
		state->check_passed = true;
		if (config->ready == READY_CHECK)
			state->protocol_ready = true;
		set_health(state, HEALTH_HEALTHY);
		reconsider(state);
		return;
	}
	/* Failures in the start period do not count, until a check passed. */
	if (!state->check_passed && loop_now() - service->started_at < config->check_start_period_ms) {
		log_event(LOG_LEVEL_DEBUG, config->name, "health", "check failed in the start period");
		return;
	}
	state->check_failures++;
	log_event(LOG_LEVEL_INFO, config->name, "health", "check failed (%u of %d)",
		  state->check_failures, config->check_retries);
	if (state->check_failures < (unsigned)config->check_retries || state->health == HEALTH_UNHEALTHY)
		return;
	set_health(state, HEALTH_UNHEALTHY);
	if (config->check_action == CHECK_ACTION_RESTART) {
		service_step(service, EVENT_UNHEALTHY);
		return;
	}
	reconsider(state);
}
