/* metrics.c: Prometheus metrics (metrics.h), the text exposition format
 * 0.0.4, lint-clean for `promtool check metrics`: every family has HELP and
 * TYPE, counters end in _total, label values are escaped.
 *
 * Encodings: tend_service_health is a state set (one series per health
 * value, the current one 1); tend_service_last_exit_code is the shell's
 * number (128 + signal for a kill) and appears only once the service has
 * exited; tend_service_start_time_seconds only while it has a process.
 * The root group has the label group="". */
#include "metrics.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "autoconfig.h"

#include "config.h"
#include "group.h"
#include "health.h"
#include "loop.h"
#include "reaper.h"
#include "service.h"
#include "tree.h"

static void family(struct strbuf *body, const char *name, const char *type, const char *help)
{
	strbuf_printf(body, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(struct strbuf *body, const char *text)
{
	const char *run = text;
	for (; *text != '\0'; text++) {
		const char *escaped = *text == '\\' ? "\\\\" : *text == '"' ? "\\\""
				      : *text == '\n' ? "\\n" : NULL;
		if (escaped == NULL)
			continue;
		strbuf_append(body, run, (size_t)(text - run));
		strbuf_append(body, escaped, 2);
		run = text + 1;
	}
	strbuf_append(body, run, (size_t)(text - run));
}

static void sample_start(struct strbuf *body, const char *metric, const char *label,
			 const char *value)
{
	strbuf_printf(body, "%s{%s=\"", metric, label);
	label_value(body, value);
	strbuf_append(body, "\"", 1);
}

static void sample(struct strbuf *body, const char *metric, const char *label,
		   const char *value, long long number)
{
	sample_start(body, metric, label, value);
	strbuf_printf(body, "} %lld\n", number);
}

/* A per-service family: one sample per service, value(service) or, when
 * present() says no, none. */
typedef long long service_value(const struct service *service);
typedef bool service_present(const struct service *service);

static void service_family(struct strbuf *body, const char *name, const char *type,
			   const char *help, service_value *value, service_present *present)
{
	family(body, name, type, help);
	for (size_t i = 0; i < tree_service_count(); i++) {
		const struct service *service = tree_service(i);
		if (present == NULL || present(service))
			sample(body, name, "service", service->config->name, value(service));
	}
}

static long long service_up(const struct service *service) { return service->pid > 0; }
static long long service_ready(const struct service *service) { return service->ready; }
static long long service_restarts(const struct service *service) { return service->restarts; }
static bool service_has_exited(const struct service *service) { return service->has_exited; }
static bool service_running(const struct service *service) { return service->pid > 0; }

static long long service_last_exit(const struct service *service)
{
	return exit_status_shell_code(service->last_exit);
}

/* The process's start in wall-clock seconds, from its monotonic start. */
static long long service_start_time(const struct service *service)
{
	return (long long)time(NULL) - (long long)(loop_now() - service->started_at) / 1000;
}

static void health_family(struct strbuf *body)
{
	static const enum health values[] = {
		HEALTH_NONE, HEALTH_UNKNOWN, HEALTH_HEALTHY, HEALTH_UNHEALTHY,
	};
	family(body, "tend_service_health", "gauge",
	       "Health of the service: 1 for its current health, 0 for the others.");
	for (size_t i = 0; i < tree_service_count(); i++) {
		const struct service *service = tree_service(i);
		enum health health = service_health(service);
		for (size_t j = 0; j < sizeof values / sizeof *values; j++) {
			sample_start(body, "tend_service_health", "service", service->config->name);
			strbuf_printf(body, ",health=\"%s\"} %d\n", health_name(values[j]),
				      values[j] == health);
		}
	}
}

static void group_family(struct strbuf *body, const char *name, const char *type,
			 const char *help, bool restarts)
{
	family(body, name, type, help);
	for (size_t i = 0; i < tree_group_count(); i++) {
		const struct group *group = tree_group(i);
		sample(body, name, "group", group->config->name,
		       restarts ? (long long)group->restarts : (long long)group->ready);
	}
}

void metrics_render(struct strbuf *body)
{
	service_family(body, "tend_service_up", "gauge",
		       "Whether the service has a running process (1) or not (0).", service_up, NULL);
	service_family(body, "tend_service_ready", "gauge", "Whether the service is ready.",
		       service_ready, NULL);
	health_family(body);
	service_family(body, "tend_service_restarts_total", "counter",
		       "Restarts tend scheduled for the service after failures, since tend started.",
		       service_restarts, NULL);
	service_family(body, "tend_service_last_exit_code", "gauge",
		       "Exit status of the service's last process (128 + signal when killed).",
		       service_last_exit, service_has_exited);
	service_family(body, "tend_service_start_time_seconds", "gauge",
		       "Start time of the service's running process, in seconds since the epoch.",
		       service_start_time, service_running);
	group_family(body, "tend_group_ready", "gauge", "Whether the group is ready by its quorum.",
		     false);
	group_family(body, "tend_group_restarts_total", "counter",
		     "Times the group itself was restarted by its parent.", true);
	family(body, "tend_live", "gauge", "Whether tend is live (the live file's truth).");
	strbuf_printf(body, "tend_live %d\n", tree_is_live());
	family(body, "tend_ready", "gauge", "Whether the root supervisor is ready (the ready file's truth).");
	strbuf_printf(body, "tend_ready %d\n", tree_is_ready());
	family(body, "tend_orphans_reaped_total", "counter",
	       "Processes tend reaped that were none of its services.");
	strbuf_printf(body, "tend_orphans_reaped_total %lu\n", reaper_orphans_reaped());
	family(body, "tend_uptime_seconds", "gauge", "Seconds since tend started.");
	strbuf_printf(body, "tend_uptime_seconds %lld\n",
		      (long long)(loop_now() - tree_started_at_ms()) / 1000);
	family(body, "tend_build_info", "gauge", "tend's version; the value is always 1.");
	strbuf_printf(body, "tend_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
}
