/* control.c: the commands (control.h), SPEC §6.
 *
 * The protocol is public, so every argument is checked here again
 * whatever tendctl checked: a bad request is REPLY_USAGE with a usage
 * line, an unknown name REPLY_FAILED with a suggestion. Commands with
 * several names resolve all of them first and do nothing if any is
 * unknown. Commands act and reply at once: they never wait for a
 * service to come up or down (`events` and `status` show that). */
#include "control.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "group.h"
#include "log.h"
#include "metrics.h"
#include "names.h"
#include "reload.h"
#include "service.h"
#include "signals.h"
#include "status.h"
#include "tree.h"

enum access control_access_needed(const char *command)
{
	static const char *const readers[] = { "status", "tree", "events", "metrics" };
	for (size_t i = 0; i < sizeof readers / sizeof *readers; i++)
		if (strcmp(command, readers[i]) == 0)
			return ACCESS_READ;
	return ACCESS_ADMIN;
}

static int usage(struct strbuf *body, const char *line)
{
	strbuf_printf(body, "usage: %s\n", line);
	return REPLY_USAGE;
}

/* Resolve every name of args into targets (at most count). Returns
 * REPLY_OK, or REPLY_FAILED with a line per unknown name in body. */
static int resolve_all(const char *const *args, size_t count, struct target *targets,
		       struct strbuf *body)
{
	int code = REPLY_OK;
	size_t unknown = 0;
	for (size_t i = 0; i < count; i++) {
		if (args[i][0] == '-') {
			strbuf_printf(body, "unknown option '%s'\n", args[i]);
			return REPLY_USAGE;
		}
		if (names_resolve(args[i], &targets[i]) < 0) {
			names_unknown(args[i], unknown++, body);
			code = REPLY_FAILED;
		}
	}
	return code;
}

/* --- start, stop, restart --- */

typedef void group_command(struct group *group, size_t index);

static void apply_to_service(group_command *command, struct service *service)
{
	command(service->parent, service->index);
}

static void apply(group_command *command, const struct target *target)
{
	switch (target->kind) {
	case TARGET_SERVICE:
		apply_to_service(command, tree_service(target->index));
		return;
	case TARGET_INSTANCES: {
		const struct config *config = tree_config();
		const char *base = config->services[target->index].base_name;
		for (size_t i = target->index; i < config->service_count; i++)
			if (config->services[i].instance >= 0 &&
			    strcmp(config->services[i].base_name, base) == 0)
				apply_to_service(command, tree_service(i));
		return;
	}
	case TARGET_GROUP: {
		struct group *group = tree_group(target->index);
		command(group->parent, group->index);
		return;
	}
	}
}

static int lifecycle(const struct request *request, group_command *command, struct strbuf *body)
{
	if (request->arg_count == 0) {
		strbuf_printf(body, "usage: %s NAME...\n", request->command);
		return REPLY_USAGE;
	}
	struct target *targets = calloc(request->arg_count, sizeof *targets);
	if (targets == NULL) {
		strbuf_printf(body, "out of memory\n");
		return REPLY_FAILED;
	}
	int code = resolve_all(request->args, request->arg_count, targets, body);
	if (code == REPLY_USAGE)
		strbuf_printf(body, "usage: %s NAME...\n", request->command);
	if (code == REPLY_OK && tree_shutting_down()) {
		strbuf_printf(body, "tend is shutting down\n");
		code = REPLY_FAILED;
	}
	if (code == REPLY_OK) {
		for (size_t i = 0; i < request->arg_count; i++) {
			log_event(LOG_LEVEL_INFO, request->args[i], request->command, "tendctl %s",
				  request->command);
			apply(command, &targets[i]);
		}
	}
	free(targets);
	return code;
}

/* --- signal --- */

/* Send to one service; a line in body when it has no process. */
static bool signal_service(struct service *service, int number, bool named, struct strbuf *body)
{
	if (service->pid <= 0) {
		if (named) {
			char reason[REASON_SIZE];
			service_reason(service, reason, sizeof reason);
			strbuf_printf(body, "'%s' is not running (%s%s%s)\n", service->config->name,
				      service_state_name(service->state), reason[0] ? ": " : "", reason);
		}
		return false;
	}
	service_signal(service, number, service->config->kill_group);
	log_event(LOG_LEVEL_INFO, service->config->name, "signal", "tendctl signal: %s to pid %d%s",
		  signal_name(number), (int)service->pid,
		  service->config->kill_group ? " and its process group" : "");
	return true;
}

static int signal_target(const struct target *target, const char *name, int number,
			 struct strbuf *body)
{
	if (target->kind == TARGET_SERVICE)
		return signal_service(tree_service(target->index), number, true, body) ? REPLY_OK
										       : REPLY_FAILED;
	/* instances or a group: every one running; fails only if none runs */
	bool *marked = calloc(tree_service_count() + 1, sizeof *marked);
	if (marked == NULL) {
		strbuf_printf(body, "out of memory\n");
		return REPLY_FAILED;
	}
	names_mark(target, marked, NULL);
	size_t sent = 0;
	for (size_t i = 0; i < tree_service_count(); i++)
		if (marked[i] && signal_service(tree_service(i), number, false, body))
			sent++;
	free(marked);
	if (sent > 0)
		return REPLY_OK;
	strbuf_printf(body, "'%s': no process of it is running\n", name);
	return REPLY_FAILED;
}

static int signal_command(const struct request *request, struct strbuf *body)
{
	static const char line[] = "signal SIG NAME...";
	if (request->arg_count < 2)
		return usage(body, line);
	int number = signal_from_name(request->args[0]);
	if (number <= 0) {
		strbuf_printf(body, "unknown signal '%s'\n", request->args[0]);
		return usage(body, line);
	}
	size_t count = request->arg_count - 1;
	struct target *targets = calloc(count, sizeof *targets);
	if (targets == NULL) {
		strbuf_printf(body, "out of memory\n");
		return REPLY_FAILED;
	}
	int code = resolve_all(request->args + 1, count, targets, body);
	if (code == REPLY_USAGE)
		usage(body, line);
	for (size_t i = 0; code == REPLY_OK && i < count; i++)
		if (signal_target(&targets[i], request->args[i + 1], number, body) != REPLY_OK)
			code = REPLY_FAILED; /* the others still get it */
	free(targets);
	return code;
}

/* --- the rest --- */

static int no_arguments(const struct request *request, struct strbuf *body)
{
	if (request->arg_count == 0)
		return REPLY_OK;
	return usage(body, request->command);
}

static int reload_command(const struct request *request, struct strbuf *body)
{
	int code = no_arguments(request, body);
	if (code != REPLY_OK)
		return code;
	return reload_run(body) == 0 ? REPLY_OK : REPLY_FAILED;
}

static int shutdown_command(const struct request *request, struct strbuf *body)
{
	int code = no_arguments(request, body);
	if (code != REPLY_OK)
		return code;
	strbuf_printf(body, tree_shutting_down() ? "already shutting down\n" : "shutting down\n");
	tree_shutdown("tendctl shutdown");
	return REPLY_OK;
}

static int metrics_command(const struct request *request, struct strbuf *body)
{
	int code = no_arguments(request, body);
	if (code == REPLY_OK)
		metrics_render(body);
	return code;
}

int control_execute(const struct request *request, struct strbuf *body)
{
	const char *command = request->command;
	if (strcmp(command, "status") == 0)
		return status_command(request, body);
	if (strcmp(command, "tree") == 0)
		return status_tree_command(request, body);
	if (strcmp(command, "start") == 0)
		return lifecycle(request, group_command_start, body);
	if (strcmp(command, "stop") == 0)
		return lifecycle(request, group_command_stop, body);
	if (strcmp(command, "restart") == 0)
		return lifecycle(request, group_command_restart, body);
	if (strcmp(command, "signal") == 0)
		return signal_command(request, body);
	if (strcmp(command, "reload") == 0)
		return reload_command(request, body);
	if (strcmp(command, "shutdown") == 0)
		return shutdown_command(request, body);
	if (strcmp(command, "metrics") == 0)
		return metrics_command(request, body);
	strbuf_printf(body, "unknown command '%s'\n", command);
	return REPLY_USAGE;
}
