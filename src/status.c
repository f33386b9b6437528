/* status.c: status and tree (status.h), SPEC §6.
 *
 * The whole reply is built in the request's buffer in one pass over the
 * tree (two for the table: its column widths first); the only allocation
 * besides that buffer is the selection of a NAME filter. 1,000 services
 * take well under a millisecond. */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "group.h"
#include "health.h"
#include "loop.h"
#include "names.h"
#include "service.h"
#include "signals.h"
#include "tree.h"

const char *status_format_duration(long long seconds, char *buffer, size_t size)
{
	static const struct { const char *suffix; long long seconds; } units[] = {
		{ "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 },
	};
	if (seconds < 0)
		seconds = 0;
	for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
		if (seconds < units[i].seconds && i + 1 < sizeof units / sizeof *units)
			continue;
		long long big = seconds / units[i].seconds;
		long long rest = i + 1 < sizeof units / sizeof *units
			? (seconds % units[i].seconds) / units[i + 1].seconds : 0;
		if (rest > 0)
			snprintf(buffer, size, "%lld%s%lld%s", big, units[i].suffix, rest,
				 units[i + 1].suffix);
		else
			snprintf(buffer, size, "%lld%s", big, units[i].suffix);
		return buffer;
	}
	return buffer;
}

void json_append_string(struct strbuf *body, const char *text)
{
	const char *run = text; /* bytes copied as they are */
	size_t left = strlen(text);
	strbuf_append(body, "\"", 1);
	for (size_t used; left > 0; text += used, left -= used) {
		char escape[JSON_ESCAPE_MAX];
		size_t length = json_escape_char(escape, text, left, JSON_ESCAPE_DEL | JSON_ESCAPE_UTF8,
						 &used);
		if (length == 0)
			continue;
		strbuf_append(body, run, (size_t)(text - run));
		strbuf_append(body, escape, length);
		run = text + used;
	}
	strbuf_append(body, run, (size_t)(text - run));
	strbuf_append(body, "\"", 1);
}

static void json_string_or_null(struct strbuf *body, const char *text)
{
	if (text != NULL)
		json_append_string(body, text);
	else
		strbuf_append(body, "null", 4);
}

/* --- what a service shows --- */

static bool has_process(const struct service *service)
{
	return service->pid > 0;
}

static long long uptime_ms(const struct service *service, int64_t now)
{
	return (long long)(now - service->started_at);
}

static const char *last_exit_text(const struct service *service, char *buffer, size_t size)
{
	if (!service->has_exited)
		return "-";
	if (service->last_exit.signal > 0)
		return signal_name(service->last_exit.signal);
	snprintf(buffer, size, "%d", service->last_exit.code);
	return buffer;
}

/* By the group object, not service->config->group: a changed service
 * still stopping after a reload has the old model's config, whose group
 * indexes are not the running tree's. */
static const char *group_name_of(const struct service *service)
{
	return service->parent->config->name;
}

/* --- the selection a NAME filter makes --- */

struct selection {
	bool *services; /* NULL: everything */
	bool *groups;
};

/* Resolve every name; unknown ones are reported and make it fail. */
static int select_names(const char *const *names, size_t count, struct selection *selection,
			struct strbuf *body)
{
	*selection = (struct selection){ 0 };
	if (count == 0)
		return REPLY_OK;
	int code = REPLY_OK;
	size_t unknown = 0;
	for (size_t i = 0; i < count; i++) {
		struct target target;
		if (names_resolve(names[i], &target) < 0) {
			names_unknown(names[i], unknown++, body);
			code = REPLY_FAILED;
		}
	}
	if (code != REPLY_OK)
		return code;
	size_t services = tree_service_count(), groups = tree_group_count();
	selection->services = calloc(services + groups + 1, sizeof *selection->services);
	if (selection->services == NULL) {
		strbuf_printf(body, "out of memory\n");
		return REPLY_FAILED;
	}
	selection->groups = selection->services + services;
	for (size_t i = 0; i < count; i++) {
		struct target target;
		if (names_resolve(names[i], &target) == 0)
			names_mark(&target, selection->services, selection->groups);
	}
	return REPLY_OK;
}

static bool service_selected(const struct selection *selection, size_t index)
{
	return selection->services == NULL || selection->services[index];
}

static bool group_selected(const struct selection *selection, size_t index)
{
	return selection->services == NULL || selection->groups[index];
}

/* --- the table --- */

struct columns {
	size_t name, state, pid, health, restarts, uptime;
};

struct row {
	char pid[24], restarts[24], uptime[32], last_exit[24];
	const char *last_exit_text, *health;
};

static void fill_row(const struct service *service, int64_t now, struct row *row)
{
	if (has_process(service)) {
		snprintf(row->pid, sizeof row->pid, "%d", (int)service->pid);
		status_format_duration(uptime_ms(service, now) / 1000, row->uptime, sizeof row->uptime);
	} else {
		strcpy(row->pid, "-");
		strcpy(row->uptime, "-");
	}
	snprintf(row->restarts, sizeof row->restarts, "%u", service->restarts);
	row->last_exit_text = last_exit_text(service, row->last_exit, sizeof row->last_exit);
	enum health health = service_health(service);
	row->health = health == HEALTH_NONE ? "-" : health_name(health);
}

static size_t wider(size_t width, size_t length)
{
	return length > width ? length : width;
}

static void render_table(const struct selection *selection, struct strbuf *body)
{
	struct columns widths = { strlen("NAME"), strlen("stopping"), strlen("PID"),
				  strlen("unhealthy"), strlen("RESTARTS"), strlen("UPTIME") };
	int64_t now = loop_now();
	size_t count = tree_service_count();
	for (size_t i = 0; i < count; i++) {
		if (!service_selected(selection, i))
			continue;
		const struct service *service = tree_service(i);
		struct row row;
		fill_row(service, now, &row);
		widths.name = wider(widths.name, strlen(service->config->name));
		widths.pid = wider(widths.pid, strlen(row.pid));
		widths.restarts = wider(widths.restarts, strlen(row.restarts));
		widths.uptime = wider(widths.uptime, strlen(row.uptime));
	}
	strbuf_printf(body, "%-*s  %-*s  %-*s  %-5s  %-*s  %-*s  %-*s  %s\n",
		      (int)widths.name, "NAME", (int)widths.state, "STATE", (int)widths.pid, "PID",
		      "READY", (int)widths.health, "HEALTH", (int)widths.restarts, "RESTARTS",
		      (int)widths.uptime, "UPTIME", "LAST EXIT");
	for (size_t i = 0; i < count; i++) {
		if (!service_selected(selection, i))
			continue;
		const struct service *service = tree_service(i);
		struct row row;
		fill_row(service, now, &row);
		strbuf_printf(body, "%-*s  %-*s  %-*s  %-5s  %-*s  %-*s  %-*s  %s\n",
			      (int)widths.name, service->config->name, (int)widths.state,
			      service_state_name(service->state), (int)widths.pid, row.pid,
			      service->ready ? "yes" : "no", (int)widths.health, row.health,
			      (int)widths.restarts, row.restarts, (int)widths.uptime, row.uptime,
			      row.last_exit_text);
	}
}

/* --- the JSON object --- */

static void json_service(const struct service *service, int64_t now, struct strbuf *body)
{
	char reason[REASON_SIZE];
	strbuf_append(body, "{\"name\":", 8);
	json_append_string(body, service->config->name);
	strbuf_append(body, ",\"group\":", 9);
	json_append_string(body, group_name_of(service));
	strbuf_printf(body, ",\"state\":\"%s\",\"pid\":", service_state_name(service->state));
	if (has_process(service))
		strbuf_printf(body, "%d", (int)service->pid);
	else
		strbuf_append(body, "null", 4);
	strbuf_printf(body, ",\"ready\":%s,\"health\":\"%s\",\"restarts\":%u,\"uptime_s\":",
		      service->ready ? "true" : "false", health_name(service_health(service)),
		      service->restarts);
	if (has_process(service)) {
		long long ms = uptime_ms(service, now);
		strbuf_printf(body, "%lld.%03lld", ms / 1000, ms % 1000);
	} else {
		strbuf_append(body, "null", 4);
	}
	strbuf_append(body, ",\"last_exit\":", 13);
	if (!service->has_exited)
		strbuf_append(body, "null", 4);
	else if (service->last_exit.signal > 0)
		strbuf_printf(body, "{\"code\":null,\"signal\":\"%s\"}",
			      signal_name(service->last_exit.signal));
	else
		strbuf_printf(body, "{\"code\":%d,\"signal\":null}", service->last_exit.code);
	strbuf_append(body, ",\"reason\":", 10);
	service_reason(service, reason, sizeof reason);
	json_string_or_null(body, reason[0] != '\0' ? reason : NULL);
	strbuf_append(body, ",\"status_text\":", 15);
	json_string_or_null(body, service_status_text(service));
	strbuf_append(body, "}", 1);
}

static void json_group(const struct group *group, struct strbuf *body)
{
	strbuf_append(body, "{\"name\":", 8);
	json_append_string(body, group->config->name);
	strbuf_append(body, ",\"group\":", 9);
	json_string_or_null(body, group->parent != NULL ? group->parent->config->name : NULL);
	strbuf_printf(body, ",\"state\":\"%s\",\"ready\":%s,\"restarts\":%u}",
		      group_state_name(group->state), group->ready ? "true" : "false",
		      group->restarts);
}

static void render_json(const struct selection *selection, struct strbuf *body)
{
	int64_t now = loop_now();
	strbuf_printf(body, "{\"live\":%s,\"ready\":%s,\"services\":[",
		      tree_is_live() ? "true" : "false", tree_is_ready() ? "true" : "false");
	const char *separator = "";
	for (size_t i = 0; i < tree_service_count(); i++) {
		if (!service_selected(selection, i))
			continue;
		strbuf_append(body, separator, strlen(separator));
		json_service(tree_service(i), now, body);
		separator = ",";
	}
	strbuf_append(body, "],\"groups\":[", 12);
	separator = "";
	for (size_t i = 0; i < tree_group_count(); i++) {
		if (!group_selected(selection, i))
			continue;
		strbuf_append(body, separator, strlen(separator));
		json_group(tree_group(i), body);
		separator = ",";
	}
	strbuf_append(body, "]}\n", 3);
}

int status_command(const struct request *request, struct strbuf *body)
{
	const char *names[PROTOCOL_ARGS_MAX];
	size_t count = 0;
	bool json = false;
	for (size_t i = 0; i < request->arg_count; i++) {
		const char *argument = request->args[i];
		if (strcmp(argument, "--json") == 0) {
			json = true;
		} else if (argument[0] == '-') {
			strbuf_printf(body, "status: unknown option '%s'\n"
				      "usage: status [NAME...] [--json]\n", argument);
			return REPLY_USAGE;
		} else {
			names[count++] = argument;
		}
	}
	struct selection selection;
	int code = select_names(names, count, &selection, body);
	if (code != REPLY_OK)
		return code;
	if (json)
		render_json(&selection, body);
	else
		render_table(&selection, body);
	free(selection.services);
	return REPLY_OK;
}

/* --- tree --- */

static const char *strategy_name(enum strategy strategy)
{
	switch (strategy) {
	case STRATEGY_ONE_FOR_ONE: return "one-for-one";
	case STRATEGY_ONE_FOR_ALL: return "one-for-all";
	case STRATEGY_REST_FOR_ONE: return "rest-for-one";
	}
	return "?";
}

static void indent(struct strbuf *body, unsigned depth)
{
	static const char spaces[] = "                                ";
	size_t width = (size_t)depth * 2;
	while (width > 0) {
		size_t piece = width < sizeof spaces - 1 ? width : sizeof spaces - 1;
		strbuf_append(body, spaces, piece);
		width -= piece;
	}
}

static void tree_service_line(const struct service *service, unsigned depth, struct strbuf *body)
{
	char reason[REASON_SIZE];
	indent(body, depth);
	strbuf_printf(body, "%s  %s", service->config->name, service_state_name(service->state));
	if (has_process(service))
		strbuf_printf(body, "  pid %d", (int)service->pid);
	strbuf_printf(body, "  %s", service->ready ? "ready" : "not ready");
	enum health health = service_health(service);
	if (health != HEALTH_NONE)
		strbuf_printf(body, "  %s", health_name(health));
	service_reason(service, reason, sizeof reason);
	if (reason[0] != '\0' && service->state != SERVICE_RUNNING)
		strbuf_printf(body, "  (%s)", reason);
	strbuf_append(body, "\n", 1);
}

static void tree_group_lines(const struct group *group, unsigned depth, struct strbuf *body)
{
	indent(body, depth);
	strbuf_printf(body, "%s/  %s  %s  %s", group->config->name,
		      strategy_name(group->config->strategy), group_state_name(group->state),
		      group->ready ? "ready" : "not ready");
	if (group->state == GROUP_FAILED && group->reason[0] != '\0')
		strbuf_printf(body, "  (%s)", group->reason);
	strbuf_append(body, "\n", 1);
	for (size_t i = 0; i < group->child_count; i++) {
		struct node child = group->children[i];
		if (child.kind == CHILD_SERVICE)
			tree_service_line(child.service, depth + 1, body);
		else
			tree_group_lines(child.group, depth + 1, body);
	}
}

int status_tree_command(const struct request *request, struct strbuf *body)
{
	if (request->arg_count > 0) {
		strbuf_printf(body, "usage: tree\n");
		return REPLY_USAGE;
	}
	if (tree_group_count() > 0)
		tree_group_lines(tree_group(0), 0, body);
	return REPLY_OK;
}
