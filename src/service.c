/* service.c: one supervised process (SPEC §2.3-§2.5). service_step() is the
 * only function that assigns service->state; impossible event/state pairs
 * are logged and ignored, never fatal. */
#include "service.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "events.h"
#include "group.h"
#include "health.h"
#include "launch.h"
#include "log.h"
#include "output.h"
#include "reload.h"
#include "signals.h"
#include "tree.h"

static const char *const state_names[] = {
	[SERVICE_STOPPED] = "stopped", [SERVICE_STARTING] = "starting",
	[SERVICE_RUNNING] = "running", [SERVICE_STOPPING] = "stopping",
	[SERVICE_BACKOFF] = "backoff", [SERVICE_EXITED] = "exited",
	[SERVICE_FAILED] = "failed",
};

static const char *const event_names[] = {
	[EVENT_START] = "start", [EVENT_STOP] = "stop", [EVENT_EXEC_DONE] = "exec-done",
	[EVENT_READY] = "ready", [EVENT_EXIT] = "exit", [EVENT_TIMER] = "timer",
	[EVENT_BACKOFF] = "backoff", [EVENT_GIVE_UP] = "give-up", [EVENT_RESET] = "reset",
	[EVENT_UNREADY] = "unready", [EVENT_UNHEALTHY] = "unhealthy", [EVENT_WATCHDOG] = "watchdog",
};

const char *service_state_name(enum service_state state) { return state_names[state]; }

bool service_is_down(const struct service *service)
{
	switch (service->state) {
	case SERVICE_STOPPED:
	case SERVICE_BACKOFF:
	case SERVICE_EXITED:
	case SERVICE_FAILED:
		return true;
	case SERVICE_STARTING:
	case SERVICE_RUNNING:
	case SERVICE_STOPPING:
		return false;
	}
	return false;
}

bool service_is_settled(const struct service *service)
{
	/* A oneshot settles only by succeeding (it is then ready): one that
	 * failed for good holds back the children after it (SPEC §2.2). */
	if (service->config->type == SERVICE_ONESHOT)
		return service->ready;
	return service->ready || service->state == SERVICE_EXITED;
}

bool service_exit_is_success(const struct config_service *config, struct exit_status status)
{
	if (status.signal > 0)
		return false;
	if (status.code == 0)
		return true;
	for (size_t i = 0; i < config->success_count; i++)
		if (config->success_codes[i] == status.code)
			return true;
	return false;
}

bool service_exit_is_failure(const struct config_service *config, struct exit_status status)
{
	switch (config->restart) {
	case RESTART_NEVER:
		return false;
	case RESTART_ON_FAILURE:
		return !service_exit_is_success(config, status);
	case RESTART_ALWAYS:
		/* A oneshot that succeeded is done, even with restart = always. */
		return !(config->type == SERVICE_ONESHOT && service_exit_is_success(config, status));
	}
	return true;
}

static void set_reason(struct service *service, enum service_reason reason)
{
	service->reason = (unsigned char)reason;
}

static void set_spawn_reason(struct service *service, enum service_reason reason,
			     enum spawn_stage stage, int error)
{
	service->reason = (unsigned char)reason;
	service->reason_stage = (unsigned char)stage;
	service->reason_errno = (short)error;
}

const char *service_reason(const struct service *service, char *buffer, size_t size)
{
	char description[64];
	enum service_reason reason = (enum service_reason)service->reason;
	/* With check-action = none, the verdict is why a running service is
	 * not ready. */
	if (reason == REASON_NONE && service_health(service) == HEALTH_UNHEALTHY)
		reason = REASON_UNHEALTHY;
	switch (reason) {
	case REASON_NONE:
		snprintf(buffer, size, "%s", "");
		break;
	case REASON_SPAWN_FAILED:
	case REASON_CANNOT_START:
		snprintf(buffer, size, "%s%s failed: %s",
			 service->reason == REASON_CANNOT_START ? "cannot start: " : "",
			 spawn_stage_name((enum spawn_stage)service->reason_stage),
			 strerror(service->reason_errno));
		break;
	case REASON_STOPPED:
		snprintf(buffer, size, "%s", "stopped");
		break;
	case REASON_COMPLETED:
		snprintf(buffer, size, "%s", "completed");
		break;
	case REASON_EXIT:
	case REASON_ENDED:
		exit_status_describe(service->last_exit, description, sizeof description);
		snprintf(buffer, size, service->reason == REASON_ENDED ? "ended (%s)" : "%s",
			 description);
		break;
	case REASON_START_TIMEOUT:
		snprintf(buffer, size, "not ready within start-timeout (%lld ms)",
			 (long long)service->config->start_timeout_ms);
		break;
	case REASON_UNHEALTHY: {
		const char *output = service_check_output(service);
		int length = snprintf(buffer, size, "unhealthy: %d health checks failed in a row%s%s",
				      service->config->check_retries, output ? "; last output: " : "",
				      output ? output : "");
		/* One line: the check's output may hold newlines and tabs. */
		for (int i = 0; i < length && (size_t)i < size; i++)
			if ((unsigned char)buffer[i] < 0x20)
				buffer[i] = ' ';
		break;
	}
	case REASON_WATCHDOG:
		if (service->reason_errno)
			snprintf(buffer, size, "%s", "watchdog: WATCHDOG=trigger");
		else
			snprintf(buffer, size, "watchdog: no WATCHDOG=1 within %lld ms",
				 (long long)service->config->watchdog_ms);
		break;
	}
	return buffer;
}

static void tell_group(struct service *service, enum child_event event)
{
	if (event == CHILD_FAILED)
		service->failure_pending = true;
	group_child_event(service->parent, service->index, event);
}

static void deliver_event(void *target, int what, size_t index)
{
	(void)index;
	service_step(target, (enum service_event)what);
}

/* Feed an event once the current transition is over (from the queue). */
static void post_event(struct service *service, enum service_event event)
{
	loop_post(deliver_event, service, (int)event, 0);
}

void service_signal(struct service *service, int signal_number, bool whole_group)
{
	/* The process group is signalled by its id, which the kernel gives to
	 * no new process while any member of the group is left; the leader by
	 * its pid only while it is not reaped (pid is cleared at the reap), so
	 * a reused pid is never hit. */
	if (whole_group && service->process_group > 0 &&
	    kill(-service->process_group, signal_number) == 0)
		return;
	if (service->pid <= 0)
		return;
	if (kill(service->pid, signal_number) < 0 && errno != ESRCH)
		log_event(LOG_LEVEL_WARN, service->config->name, "signal", "cannot send %s: %s",
			  signal_name(signal_number), strerror(errno));
}

/* Whether anything is left in the process group the leader made. */
static bool process_group_alive(const struct service *service)
{
	return service->process_group > 0 && kill(-service->process_group, 0) == 0;
}

static void close_watch(struct watch *watch)
{
	if (watch->fd < 0)
		return;
	loop_watch_remove(watch);
	close(watch->fd);
	watch->fd = -1;
}

/* Spawns in flight (forked, exec not yet confirmed) are limited. Each holds
 * its report pipe open, and every fork copies all of tend's fds into the
 * child, which closes them again: 1,000 services started at once would cost
 * O(n^2) in fd copies and closes, and come close to RLIMIT_NOFILE (1,024 by
 * default). The services over the limit wait in a FIFO queue, in state
 * starting with no pid yet; a zero-delay timer starts them as slots free. */
enum { SPAWNS_IN_FLIGHT = 64 };

static void start_queued(struct timer *timer);
static void start_queued_message(void *target, int what, size_t index);
static void stop_timeout(struct service *service);

/* Zero-initialised, so it takes no room in the binary's initialised data:
 * the timer's callback is set as the timer is armed. */
static struct {
	unsigned in_flight;
	struct service *head, *tail;
	struct timer timer;
} spawns;

static void enqueue(struct service *service)
{
	service->queued = true;
	service->queue_next = NULL;
	if (spawns.tail != NULL)
		spawns.tail->queue_next = service;
	else
		spawns.head = service;
	spawns.tail = service;
}

static void dequeue(struct service *service)
{
	struct service **link = &spawns.head;
	struct service *previous = NULL;
	while (*link != NULL && *link != service) {
		previous = *link;
		link = &(*link)->queue_next;
	}
	if (*link == NULL)
		return;
	*link = service->queue_next;
	if (spawns.tail == service)
		spawns.tail = previous;
	service->queued = false;
	service->queue_next = NULL;
}

/* The report pipe closed (exec done, failed, or the process is gone). */
static void close_report(struct service *service)
{
	if (service->report.fd < 0)
		return;
	close_watch(&service->report);
	spawns.in_flight--;
	/* No timer (no memory): the queue moves on from the message queue. */
	if (spawns.head == NULL || loop_timer_armed(&spawns.timer))
		return;
	spawns.timer.callback = start_queued;
	if (loop_timer_set(&spawns.timer, loop_now()) < 0)
		loop_post(start_queued_message, NULL, 0, 0);
}

/* The spawn report: 0 at EOF (exec succeeded), 1 when a stage failed (the
 * reason is kept and logged), -1 when nothing is there yet. */
static int read_report(struct service *service)
{
	enum spawn_stage stage;
	int error;
	int result = service->report.fd < 0 ? -1 : spawn_read_report(service->report.fd, &stage, &error);
	if (result < 0)
		return -1;
	close_report(service);
	if (result == 0)
		return 0;
	/* The log gets the whole message; the reason kept for status is
	 * shorter (a long path loses its tail there, never the errno text). */
	set_spawn_reason(service, REASON_SPAWN_FAILED, stage, error);
	log_event(LOG_LEVEL_ERROR, service->config->name, "exec", "cannot run %s: %s failed: %s",
		  service->config->argv[0], spawn_stage_name(stage), strerror(error));
	return 1;
}

static void on_report(struct watch *watch, uint32_t events)
{
	(void)events;
	if (read_report(watch->context) == 0)
		service_step(watch->context, EVENT_EXEC_DONE);
}

/* ready = fd:N: the first newline means ready; the bytes are thrown away,
 * so however much a service writes, nothing is buffered. */
static void on_readiness(struct watch *watch, uint32_t events)
{
	(void)events;
	struct service *service = watch->context;
	char chunk[512];
	ssize_t length;
	while ((length = read(watch->fd, chunk, sizeof chunk)) > 0) {
		if (memchr(chunk, '\n', (size_t)length) != NULL) {
			close_watch(watch);
			service_step(service, EVENT_READY);
			return;
		}
	}
	if (length == 0 || (errno != EAGAIN && errno != EINTR))
		close_watch(watch); /* closed without a newline: never ready */
}

/* From the reaper: keep the facts, forget the pid at once (it may be
 * reused from now on), and let the state machine act once the reaper is
 * done: a reaper callback never enters a state machine. */
static void on_exit_status(void *context, pid_t pid, struct exit_status status)
{
	struct service *service = context;
	(void)pid;
	service->last_exit = status;
	service->has_exited = true;
	service->pid = 0;
	post_event(service, EVENT_EXIT);
}

static void on_timer(struct timer *timer)
{
	service_step(timer->context, EVENT_TIMER);
}

void service_init(struct service *service, const struct config_service *config,
		  struct group *parent, size_t index)
{
	memset(service, 0, sizeof *service);
	service->config = config;
	service->parent = parent;
	service->index = index;
	service->state = SERVICE_STOPPED;
	service->wanted_up = config->autostart;
	service->report = (struct watch){ .fd = -1, .callback = on_report, .context = service };
	service->readiness = (struct watch){ .fd = -1, .callback = on_readiness, .context = service };
	service->timer = (struct timer){ .callback = on_timer, .context = service };
}

/* Every change of state is an event (doc/PROTOCOL.md), with the reason
 * for being there as its detail. */
static void set_state(struct service *service, enum service_state state)
{
	bool changed = service->state != state;
	service->state = state;
	if (changed && events_wanted()) {
		char reason[REASON_SIZE];
		events_service(service, "state", service_reason(service, reason, sizeof reason));
	}
}

/* Returns 0, or -1 when the timer cannot be armed (no memory; logged). */
static int arm(struct service *service, int64_t delay_ms)
{
	return loop_timer_set(&service->timer, loop_now() + delay_ms);
}

/* A child we cannot supervise (no room to register its pid): kill it
 * before anything learns its pid; the reaper collects it as an orphan. */
static void abandon_child(struct service *service, pid_t pid)
{
	if (kill(pid, SIGKILL) < 0)
		log_error("cannot kill unregistered pid %d: %s", (int)pid, strerror(errno));
	set_spawn_reason(service, REASON_CANNOT_START, SPAWN_STAGE_FORK, ENOMEM);
	set_state(service, SERVICE_STOPPED);
	tell_group(service, CHILD_FAILED);
}

static void spawn_process(struct service *service)
{
	struct launch launch;
	output_prepare(service->output, service->config, launch.prefix_fd);
	if (launch_service(service->config, service->config->main, &launch) < 0) {
		char reason[REASON_SIZE];
		set_spawn_reason(service, REASON_CANNOT_START, launch.result.failed_stage,
				 launch.result.error);
		log_event(LOG_LEVEL_ERROR, service->config->name, "exec", "%s",
			  service_reason(service, reason, sizeof reason));
		set_state(service, SERVICE_STOPPED);
		tell_group(service, CHILD_FAILED);
		return;
	}
	service->report.fd = launch.result.report_fd;
	if (service->report.fd >= 0)
		spawns.in_flight++;
	service->readiness.fd = launch.readiness_fd;
	if (reaper_watch(launch.result.pid, on_exit_status, service) < 0) {
		close_report(service);
		close_watch(&service->readiness);
		abandon_child(service, launch.result.pid);
		return;
	}
	service->pid = service->process_group = launch.result.pid;
	service->started_at = loop_now();
	health_process_started(service);
	set_state(service, SERVICE_STARTING);
	log_event(LOG_LEVEL_INFO, service->config->name, "start", "pid %d", (int)service->pid);
	if (service->report.fd >= 0 && loop_watch_add(&service->report, EPOLLIN) < 0) {
		/* Not knowing when exec is done must not leave it starting for
		 * ever: take it as done; an exec failure still shows in its
		 * exit, and the report is read then. */
		post_event(service, EVENT_EXEC_DONE);
	}
	if (service->readiness.fd >= 0 && loop_watch_add(&service->readiness, EPOLLIN) < 0)
		close_watch(&service->readiness); /* never ready: the start-timeout decides */
	if (service->config->start_timeout_ms > 0 && arm(service, service->config->start_timeout_ms) < 0)
		log_event(LOG_LEVEL_WARN, service->config->name, "timeout",
			  "start-timeout not armed: the service may stay starting");
}

static void start_process(struct service *service)
{
	set_reason(service, REASON_NONE);
	service->failing = service->killed = false;
	service->ready_at = 0; /* the backoff reset looks at this life only */
	if (spawns.in_flight < SPAWNS_IN_FLIGHT && spawns.head == NULL) {
		spawn_process(service);
		return;
	}
	enqueue(service);
	set_state(service, SERVICE_STARTING);
}

static void start_queued(struct timer *timer)
{
	(void)timer;
	while (spawns.head != NULL && spawns.in_flight < SPAWNS_IN_FLIGHT) {
		struct service *service = spawns.head;
		dequeue(service);
		spawn_process(service);
	}
}

static void start_queued_message(void *target, int what, size_t index)
{
	(void)target;
	(void)what;
	(void)index;
	start_queued(NULL);
}

static bool stream_prefixed(const struct output_setting *setting)
{
	return setting->mode == OUTPUT_PREFIX;
}

void service_apply_config(struct service *service, const struct config_service *config)
{
	service->config = config;
	/* The health state is per config: made again (or not at all). */
	health_detach(service);
	if (health_attach(service) < 0)
		log_event(LOG_LEVEL_ERROR, config->name, "reload",
			  "out of memory for its health state: it runs without one");
	/* A relay outlives restarts; one whose stream is no longer prefixed
	 * is closed (a newly prefixed stream gets one at the next start). */
	if ((service->output[0] != NULL && !stream_prefixed(&config->stdout_setting)) ||
	    (service->output[1] != NULL && !stream_prefixed(&config->stderr_setting)))
		output_free(service->output);
}

/* The process is gone: a reload's settings waiting for that apply now. */
static void apply_next_config(struct service *service)
{
	if (service->next_config == NULL)
		return;
	service_apply_config(service, service->next_config);
	service->next_config = NULL;
	loop_post(reload_collect, NULL, 0, 0);
}

/* Stopped before it got a spawn slot: it never ran. */
static void stop_queued(struct service *service)
{
	dequeue(service);
	apply_next_config(service);
	set_state(service, SERVICE_STOPPED);
	set_reason(service, REASON_STOPPED);
	tell_group(service, CHILD_DOWN);
}

static void become_ready(struct service *service)
{
	if (!health_protocol_ready(service))
		return; /* unhealthy: ready once a check passes again */
	loop_timer_cancel(&service->timer);
	service->ready = true; /* first: the state event shows it ready */
	set_state(service, SERVICE_RUNNING);
	service->ready_at = loop_now();
	log_event(LOG_LEVEL_INFO, service->config->name, "ready", "ready after %lld ms",
		  (long long)(service->ready_at - service->started_at));
	events_service(service, "ready", "ready");
	tell_group(service, CHILD_READY);
}

/* Running, but not ready any more: starting again until it is (no
 * start-timeout: the process did start). The group re-evaluates at once. */
static void become_unready(struct service *service)
{
	service->ready = false;
	set_state(service, SERVICE_STARTING);
	log_event(LOG_LEVEL_INFO, service->config->name, "unready", "not ready (%s)",
		  service_health(service) == HEALTH_UNHEALTHY ? "unhealthy" : "said so");
	events_service(service, "ready", "not ready");
	tell_group(service, CHILD_UNREADY);
}

/* Stop with signal_number (then SIGKILL at stop-timeout); whole_group as
 * kill-group says, or always for the watchdog's SIGABRT. */
static void begin_stop_with(struct service *service, int signal_number, bool whole_group)
{
	const struct config_service *config = service->config;
	set_state(service, SERVICE_STOPPING);
	service->ready = false;
	health_process_stopping(service);
	service_signal(service, signal_number, whole_group);
	service_signal(service, SIGCONT, whole_group); /* a stopped process cannot act on it */
	log_event(LOG_LEVEL_INFO, config->name, "stop", "sent %s to pid %d%s",
		  signal_name(signal_number), (int)service->process_group,
		  whole_group ? " and its process group" : "");
	if (arm(service, config->stop_timeout_ms) < 0)
		stop_timeout(service); /* no deadline to wait for: SIGKILL now */
}

static void begin_stop(struct service *service)
{
	begin_stop_with(service, service->config->stop_signal, service->config->kill_group);
}

/* Unhealthy (check-action = restart) or the watchdog: a failure, so the
 * group restarts it once it is down (SPEC §2.5). */
static void stop_failing(struct service *service, enum service_reason reason)
{
	set_reason(service, reason);
	service->failing = true;
	if (reason == REASON_WATCHDOG)
		begin_stop_with(service, SIGABRT, true);
	else
		begin_stop(service);
}

/* The process is gone: drop what belonged to it. Leftover members of its
 * process group get SIGTERM, so a restarted service does not meet them.
 * A report still unread is read for its failure facts only: a process
 * that is gone is never declared ready. */
static void forget_process(struct service *service)
{
	char description[64];
	read_report(service);
	close_report(service);
	close_watch(&service->readiness);
	health_process_ended(service);
	output_exited(service->output);
	loop_timer_cancel(&service->timer);
	if (service->config->kill_group && service->process_group > 0 &&
	    kill(-service->process_group, SIGTERM) < 0 && errno != ESRCH)
		log_event(LOG_LEVEL_WARN, service->config->name, "signal",
			  "cannot terminate its process group: %s", strerror(errno));
	bool expected = service->state == SERVICE_STOPPING ||
			service_exit_is_success(service->config, service->last_exit);
	log_event(expected ? LOG_LEVEL_INFO : LOG_LEVEL_WARN,
		  service->config->name, "exit", "pid %d %s after %lld ms", (int)service->process_group,
		  exit_status_describe(service->last_exit, description, sizeof description),
		  (long long)(loop_now() - service->started_at));
	if (events_wanted()) {
		char detail[128];
		snprintf(detail, sizeof detail, "pid %d %s after %lld ms", (int)service->process_group,
			 description, (long long)(loop_now() - service->started_at));
		events_service(service, "exit", detail);
	}
	service->pid = service->process_group = 0;
}

/* The process ended on its own (not stopped by tend). */
static void handle_exit(struct service *service)
{
	const struct config_service *config = service->config;
	char description[64];
	bool was_ready = service->ready;
	forget_process(service);
	service->ready = false;
	if (config->type == SERVICE_ONESHOT && service_exit_is_success(config, service->last_exit)) {
		service->ready = true;
		service->ready_at = loop_now();
		set_reason(service, REASON_COMPLETED);
		set_state(service, SERVICE_EXITED);
		tell_group(service, CHILD_EXITED);
		if (config->main)
			loop_post(tree_main_ended, service, 0, 0);
		return;
	}
	exit_status_describe(service->last_exit, description, sizeof description);
	if (service_exit_is_failure(config, service->last_exit)) {
		if (service->reason == REASON_NONE || was_ready)
			set_reason(service, REASON_EXIT);
		set_state(service, SERVICE_STOPPED);
		tell_group(service, CHILD_FAILED);
		return;
	}
	if (service->reason == REASON_NONE)
		set_reason(service, REASON_ENDED);
	set_state(service, SERVICE_EXITED);
	tell_group(service, CHILD_EXITED);
	if (config->main)
		loop_post(tree_main_ended, service, 0, 0);
}

static void finish_stop(struct service *service)
{
	service->lingering = false;
	forget_process(service);
	apply_next_config(service);
	set_state(service, SERVICE_STOPPED);
	if (service->failing) {
		tell_group(service, CHILD_FAILED);
		return;
	}
	if (service->reason == REASON_NONE)
		set_reason(service, REASON_STOPPED);
	tell_group(service, CHILD_DOWN);
}

/* The leader of a stopping service exited. What it leaves in its process
 * group (with kill-group = no, it alone got the stop signal) is killed at
 * the stop deadline, not abandoned: until then the stop goes on. */
static void leader_exited_while_stopping(struct service *service)
{
	if (service->killed || !process_group_alive(service)) {
		finish_stop(service);
		return;
	}
	service->lingering = true;
	log_event(LOG_LEVEL_INFO, service->config->name, "stop",
		  "pid %d exited; waiting for the rest of its process group",
		  (int)service->process_group);
}

void service_check_lingering(struct service *service)
{
	if (service->lingering && !process_group_alive(service))
		finish_stop(service);
}

static void start_timeout(struct service *service)
{
	set_reason(service, REASON_START_TIMEOUT);
	char reason[REASON_SIZE];
	log_event(LOG_LEVEL_WARN, service->config->name, "timeout", "%s",
		  service_reason(service, reason, sizeof reason));
	service->failing = true;
	begin_stop(service);
}

static void stop_timeout(struct service *service)
{
	if (service->killed)
		return;
	service->killed = true;
	log_event(LOG_LEVEL_WARN, service->config->name, "kill",
		  "still running %lld ms after %s: SIGKILL", (long long)service->config->stop_timeout_ms,
		  signal_name(service->config->stop_signal));
	/* The whole group, even without kill-group: nothing of it may outlive
	 * the stop deadline. */
	service_signal(service, SIGKILL, true);
	if (service->lingering)
		finish_stop(service); /* the leader is gone already */
}

static void enter_backoff(struct service *service)
{
	if (events_wanted()) {
		char reason[REASON_SIZE], detail[REASON_SIZE + 48];
		snprintf(detail, sizeof detail, "restart %u in %lld ms after %s", service->restarts,
			 (long long)service->backoff_delay_ms,
			 service_reason(service, reason, sizeof reason));
		events_service(service, "restart", detail);
	}
	set_state(service, SERVICE_BACKOFF);
	if (arm(service, service->backoff_delay_ms) < 0)
		post_event(service, EVENT_TIMER); /* no timer: restart without the delay */
}

static void impossible(struct service *service, enum service_event event)
{
	log_event(LOG_LEVEL_DEBUG, service->config->name, "state", "ignoring %s while %s",
		  event_names[event], state_names[service->state]);
}

/* Stopped, exited or failed: no process. */
static void step_down(struct service *service, enum service_event event)
{
	switch (event) {
	case EVENT_START: start_process(service); return;
	case EVENT_STOP: tell_group(service, CHILD_DOWN); return;
	case EVENT_BACKOFF: enter_backoff(service); return;
	case EVENT_GIVE_UP:
		service->ready = false;
		set_state(service, SERVICE_FAILED);
		return;
	case EVENT_RESET:
		if (service->state == SERVICE_FAILED ||
		    (service->state == SERVICE_EXITED && service->config->restart != RESTART_NEVER)) {
			service->ready = false;
			set_state(service, SERVICE_STOPPED);
		}
		return;
	case EVENT_EXEC_DONE:
	case EVENT_READY:
	case EVENT_EXIT:
	case EVENT_TIMER:
	case EVENT_UNREADY:
	case EVENT_UNHEALTHY:
	case EVENT_WATCHDOG:
		impossible(service, event);
		return;
	}
}

static void step_backoff(struct service *service, enum service_event event)
{
	switch (event) {
	case EVENT_TIMER: tell_group(service, CHILD_BACKOFF_ELAPSED); return;
	case EVENT_START:
		loop_timer_cancel(&service->timer);
		start_process(service);
		return;
	case EVENT_STOP:
	case EVENT_RESET:
		loop_timer_cancel(&service->timer);
		set_state(service, SERVICE_STOPPED);
		if (event == EVENT_STOP)
			tell_group(service, CHILD_DOWN);
		return;
	case EVENT_GIVE_UP:
		loop_timer_cancel(&service->timer);
		set_state(service, SERVICE_FAILED);
		return;
	case EVENT_BACKOFF: enter_backoff(service); return;
	case EVENT_EXEC_DONE:
	case EVENT_READY:
	case EVENT_EXIT:
	case EVENT_UNREADY:
	case EVENT_UNHEALTHY:
	case EVENT_WATCHDOG:
		impossible(service, event);
		return;
	}
}

/* Starting or running: a process exists. */
static void step_up(struct service *service, enum service_event event)
{
	bool starting = service->state == SERVICE_STARTING;
	switch (event) {
	case EVENT_EXEC_DONE:
		if (starting && service->config->type == SERVICE_SIMPLE &&
		    service->config->ready == READY_STARTED)
			become_ready(service);
		return;
	case EVENT_READY:
		if (starting && service->config->type == SERVICE_SIMPLE)
			become_ready(service);
		return;
	case EVENT_EXIT: handle_exit(service); return;
	case EVENT_TIMER:
		if (starting)
			start_timeout(service);
		return;
	case EVENT_UNREADY:
		if (!starting)
			become_unready(service);
		return;
	case EVENT_UNHEALTHY:
		stop_failing(service, REASON_UNHEALTHY);
		return;
	case EVENT_WATCHDOG:
		stop_failing(service, REASON_WATCHDOG);
		return;
	case EVENT_STOP:
		if (service->queued)
			stop_queued(service);
		else
			begin_stop(service);
		return;
	case EVENT_START:
	case EVENT_BACKOFF:
	case EVENT_GIVE_UP:
	case EVENT_RESET:
		impossible(service, event);
		return;
	}
}

static void step_stopping(struct service *service, enum service_event event)
{
	switch (event) {
	case EVENT_EXIT: leader_exited_while_stopping(service); return;
	case EVENT_TIMER: stop_timeout(service); return;
	case EVENT_STOP: return; /* already on its way */
	case EVENT_EXEC_DONE:
	case EVENT_READY:
	case EVENT_UNREADY:
	case EVENT_UNHEALTHY:
	case EVENT_WATCHDOG:
		return; /* too late to matter */
	case EVENT_START:
	case EVENT_BACKOFF:
	case EVENT_GIVE_UP:
	case EVENT_RESET:
		impossible(service, event);
		return;
	}
}

void service_step(struct service *service, enum service_event event)
{
	switch (service->state) {
	case SERVICE_STOPPED:
	case SERVICE_EXITED:
	case SERVICE_FAILED:
		step_down(service, event);
		return;
	case SERVICE_BACKOFF:
		step_backoff(service, event);
		return;
	case SERVICE_STARTING:
	case SERVICE_RUNNING:
		step_up(service, event);
		return;
	case SERVICE_STOPPING:
		step_stopping(service, event);
		return;
	}
}

void service_adopt_pid(struct service *service, pid_t pid)
{
	if (pid == service->pid || service->pid <= 0 ||
	    (service->state != SERVICE_STARTING && service->state != SERVICE_RUNNING))
		return;
	if (reaper_watch(pid, on_exit_status, service) < 0)
		return;
	/* The old main process, when it ends, is reaped as an orphan. */
	reaper_unwatch(service->pid);
	log_event(LOG_LEVEL_INFO, service->config->name, "notify", "main pid %d (was %d)",
		  (int)pid, (int)service->pid);
	service->pid = pid;
}

void service_extend_timeout(struct service *service, int64_t milliseconds)
{
	if ((service->state != SERVICE_STARTING && service->state != SERVICE_STOPPING) ||
	    !loop_timer_armed(&service->timer))
		return;
	int64_t due = loop_now() + milliseconds;
	if (due > service->timer.due_ms)
		loop_timer_set(&service->timer, due);
}

void service_free(struct service *service)
{
	health_detach(service);
	if (service->queued)
		dequeue(service);
	close_report(service);
	if (spawns.head == NULL)
		loop_timer_cancel(&spawns.timer);
	close_watch(&service->readiness);
	loop_timer_cancel(&service->timer);
	output_free(service->output);
	if (service->pid > 0)
		reaper_unwatch(service->pid);
}
