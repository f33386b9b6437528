/* healthcheck.c: running health checks (healthcheck.h).
 *
 * One timer per checked service does both jobs: while no check runs it is
 * the time of the next one; while one runs it is that check's timeout. The
 * verdict is taken when the check is reaped (the reaper is the only one
 * who waits); its output is read as it comes and once more at the reap. */
#include "healthcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "health.h"
#include "launch.h"
#include "log.h"
#include "reaper.h"
#include "service.h"

static void on_check_timer(struct timer *timer);
static void on_output(struct watch *watch, uint32_t events);

void check_init(struct health_state *state)
{
	state->check_timer = (struct timer){ .callback = on_check_timer, .context = state };
	state->check_output = (struct watch){ .fd = -1, .callback = on_output, .context = state };
}

void check_schedule(struct health_state *state, int64_t delay_ms)
{
	if (state->check_pid == 0)
		loop_timer_set(&state->check_timer, loop_now() + delay_ms);
}

/* Keep what fits of the output, drop the rest; true at end of file. */
static bool read_output(struct health_state *state)
{
	char discard[512];
	for (;;) {
		size_t room = CHECK_OUTPUT_MAX - 1 - state->output_length;
		char *into = room > 0 ? state->output + state->output_length : discard;
		ssize_t length = read(state->check_output.fd, into, room > 0 ? room : sizeof discard);
		if (length > 0) {
			if (room > 0)
				state->output_length += (size_t)length;
			continue;
		}
		state->output[state->output_length] = '\0';
		return length == 0 || (errno != EAGAIN && errno != EINTR);
	}
}

static void close_output(struct health_state *state)
{
	if (state->check_output.fd < 0)
		return;
	loop_watch_remove(&state->check_output);
	close(state->check_output.fd);
	state->check_output.fd = -1;
}

static void on_output(struct watch *watch, uint32_t events)
{
	(void)events;
	struct health_state *state = watch->context;
	if (read_output(state))
		close_output(state);
}

/* Trailing newlines say nothing in `status`. */
static void trim_output(struct health_state *state)
{
	while (state->output_length > 0 &&
	       (state->output[state->output_length - 1] == '\n' || state->output[state->output_length - 1] == '\r'))
		state->output_length--;
	state->output[state->output_length] = '\0';
	state->has_output = true;
}

/* The verdict, delivered from the loop's queue: it may step the service,
 * which a reaper callback must never do itself. */
static void deliver_result(void *target, int passed, size_t index)
{
	(void)index;
	health_check_result(target, passed != 0);
}

static void on_check_exit(void *context, pid_t pid, struct exit_status status)
{
	struct health_state *state = context;
	(void)pid;
	if (state->check_output.fd >= 0) {
		read_output(state);
		close_output(state);
	}
	loop_timer_cancel(&state->check_timer);
	state->check_pid = 0;
	const struct config_service *config = state->service->config;
	char description[64];
	if (state->check_timed_out)
		snprintf(state->output + state->output_length, CHECK_OUTPUT_MAX - state->output_length,
			 "%s(timed out after %lld ms)", state->output_length ? "\n" : "",
			 (long long)config->check_timeout_ms);
	else if (status.code != 0)
		snprintf(state->output + state->output_length, CHECK_OUTPUT_MAX - state->output_length,
			 "%s(%s)", state->output_length ? "\n" : "",
			 exit_status_describe(status, description, sizeof description));
	state->output_length = strlen(state->output);
	trim_output(state);
	bool passed = !state->check_timed_out && status.code == 0;
	/* The next check is due one interval after this one ended; scheduled
	 * before the verdict, which may stop the service (and cancel it). */
	check_schedule(state, config->check_interval_ms);
	loop_post(deliver_result, state, passed, 0);
}

static void start_check(struct health_state *state)
{
	const struct config_service *config = state->service->config;
	int output[2];
	struct spawn_result result;
	state->output_length = 0;
	state->output[0] = '\0';
	state->check_timed_out = false;
	if (pipe2(output, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(state->output, CHECK_OUTPUT_MAX, "cannot run the check: pipe: %s", strerror(errno));
		goto failed;
	}
	int started = launch_check(config, output[1], &result);
	close(output[1]);
	if (started < 0) {
		close(output[0]);
		snprintf(state->output, CHECK_OUTPUT_MAX, "cannot run the check: %s failed: %s",
			 spawn_stage_name(result.failed_stage), strerror(result.error));
		goto failed;
	}
	/* An exec failure shows in the exit status (127 or 126) and in the
	 * output: the report pipe is not needed. */
	if (result.report_fd >= 0)
		close(result.report_fd);
	if (reaper_watch(result.pid, on_check_exit, state) < 0) {
		/* Its exit could not be told apart from an orphan's: no verdict
		 * would ever come. End it now and count a failure. */
		kill(-result.pid, SIGKILL);
		close(output[0]);
		snprintf(state->output, CHECK_OUTPUT_MAX, "cannot run the check: out of memory");
		goto failed;
	}
	state->check_pid = result.pid;
	state->check_started_at = loop_now();
	state->check_output.fd = output[0];
	if (loop_watch_add(&state->check_output, EPOLLIN) < 0)
		close_output(state);
	loop_timer_set(&state->check_timer, loop_now() + config->check_timeout_ms);
	return;
failed:
	log_event(LOG_LEVEL_WARN, config->name, "check", "%s", state->output);
	state->output_length = strlen(state->output);
	trim_output(state);
	check_schedule(state, config->check_interval_ms);
	health_check_result(state, false);
}

static void on_check_timer(struct timer *timer)
{
	struct health_state *state = timer->context;
	if (state->check_pid == 0) {
		start_check(state);
		return;
	}
	/* Timed out: the whole group of the check (it has its own session),
	 * and the verdict when it is reaped. */
	state->check_timed_out = true;
	log_event(LOG_LEVEL_WARN, state->service->config->name, "check",
		  "check still running after %lld ms: SIGKILL to its process group",
		  (long long)state->service->config->check_timeout_ms);
	if (kill(-state->check_pid, SIGKILL) < 0)
		kill(state->check_pid, SIGKILL);
}

void check_cancel(struct health_state *state)
{
	loop_timer_cancel(&state->check_timer);
	close_output(state);
	if (state->check_pid == 0)
		return;
	/* It is reaped as an orphan: its verdict no longer matters. */
	reaper_unwatch(state->check_pid);
	if (kill(-state->check_pid, SIGKILL) < 0)
		kill(state->check_pid, SIGKILL);
	state->check_pid = 0;
}
