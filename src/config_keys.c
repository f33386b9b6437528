/* config_keys.c: the keys of the INI file (SPEC §2.1-§2.3). Every key is a
 * row of one table: where it may appear, where its value goes and how it
 * is parsed; the few that need more than a parser have an apply function
 * here. Values are checked as they are read, so a problem cites the line
 * of its key; combinations of keys are checked in config_build.c. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "argv.h"
#include "config_internal.h"
#include "config_values.h"
#include "fsidentity.h"
#include "log.h"
#include "passwd.h"
#include "signals.h"
#include "util.h"

_Static_assert(sizeof(enum strategy) == sizeof(int), "enums are stored through int pointers");

static const struct choice strategies[] = {
	{"one-for-one", STRATEGY_ONE_FOR_ONE}, {"one-for-all", STRATEGY_ONE_FOR_ALL},
	{"rest-for-one", STRATEGY_REST_FOR_ONE}, {"", 0}};
static const struct choice orders[] = {
	{"sequential", ORDER_SEQUENTIAL}, {"parallel", ORDER_PARALLEL}, {"", 0}};
static const struct choice root_failures[] = {
	{"exit", ON_ROOT_FAILURE_EXIT}, {"stay", ON_ROOT_FAILURE_STAY}, {"", 0}};
static const struct choice log_formats[] = {
	{"text", LOG_FORMAT_TEXT}, {"json", LOG_FORMAT_JSON}, {"", 0}};
static const struct choice log_levels[] = {
	{"error", LOG_LEVEL_ERROR}, {"warn", LOG_LEVEL_WARN}, {"info", LOG_LEVEL_INFO},
	{"debug", LOG_LEVEL_DEBUG}, {"", 0}};
static const struct choice service_types[] = {
	{"simple", SERVICE_SIMPLE}, {"oneshot", SERVICE_ONESHOT}, {"", 0}};
static const struct choice restart_policies[] = {
	{"always", RESTART_ALWAYS}, {"on-failure", RESTART_ON_FAILURE},
	{"never", RESTART_NEVER}, {"", 0}};
static const struct choice check_actions[] = {
	{"restart", CHECK_ACTION_RESTART}, {"none", CHECK_ACTION_NONE}, {"", 0}};

/* ---- values that need more than a parser ---- */

static int set_string(char **field, const char *value, struct key_context *context)
{
	char *copy = xstrdup(value);
	if (copy == NULL) {
		loader_out_of_memory(context->loader);
		return 0;
	}
	free(*field);
	*field = copy;
	return 0;
}

static int apply_include(struct key_context *context, void *target, const char *value,
			 const char **error)
{
	(void)target;
	(void)error;
	struct loader *loader = context->loader;
	if (context->section->duplicate)
		return 0;
	if (loader_grow(loader, (void **)&loader->includes, &loader->include_capacity,
			loader->include_count + 1, sizeof *loader->includes) < 0)
		return 0;
	struct include_request request = {
		.pattern = xstrdup(value),
		.directory = xstrdup(loader->directory),
		.file_index = loader->file_index,
		.line = context->line,
	};
	if (request.pattern == NULL || (loader->directory != NULL && request.directory == NULL)) {
		free(request.pattern);
		free(request.directory);
		loader_out_of_memory(loader);
		return 0;
	}
	loader->includes[loader->include_count++] = request;
	return 0;
}

static int apply_socket(struct key_context *context, void *target, const char *value,
			const char **error)
{
	char **socket_path = target;
	if (strcmp(value, "none") == 0) {
		free(*socket_path);
		*socket_path = NULL;
		return 0;
	}
	if (strlen(value) >= sizeof ((struct sockaddr_un *)0)->sun_path) {
		*error = "socket path too long (at most 107 bytes)";
		return -1;
	}
	return set_string(socket_path, value, context);
}

static int apply_path(struct key_context *context, void *target, const char *value,
		      const char **error)
{
	(void)error;
	return set_string(target, value, context);
}

static int apply_directory(struct key_context *context, void *target, const char *value,
			   const char **error)
{
	if (value[0] != '/') {
		*error = "must be an absolute path";
		return -1;
	}
	return set_string(target, value, context);
}

/* A group name or gid into *gid, marking it given. */
static int set_group_id(const char *value, gid_t *gid, bool *given, const char **error)
{
	if (passwd_find_group(NULL, value, gid, error) < 0)
		return -1;
	*given = true;
	return 0;
}

static int apply_socket_group(struct key_context *context, void *target, const char *value,
			      const char **error)
{
	(void)context;
	struct config *config = target;
	return set_group_id(value, &config->socket_group, &config->set_socket_group, error);
}

static int apply_admin_group(struct key_context *context, void *target, const char *value,
			     const char **error)
{
	(void)context;
	struct config *config = target;
	return set_group_id(value, &config->admin_group, &config->set_admin_group, error);
}

static int apply_quorum(struct key_context *context, void *target, const char *value,
			const char **error)
{
	(void)context;
	struct config_group *group = target;
	if (strcmp(value, "all") == 0) {
		group->quorum_kind = QUORUM_ALL;
		return 0;
	}
	char number[16];
	size_t length = strlen(value);
	bool percent = length > 0 && value[length - 1] == '%';
	if (percent)
		length--;
	long parsed;
	if (length >= sizeof number) {
		*error = "expected all, N or N%";
		return -1;
	}
	memcpy(number, value, length);
	number[length] = '\0';
	if (parse_integer(number, 0, percent ? 100 : 1000000, &parsed, error) < 0)
		return -1;
	group->quorum_kind = percent ? QUORUM_PERCENT : QUORUM_COUNT;
	group->quorum_value = (int)parsed;
	return 0;
}

/* `command` and `check`: kept as text in the pending service (split again
 * per instance), but split once now so a quoting mistake is reported at its
 * line. */
static int apply_command(struct key_context *context, void *target, const char *value,
			 const char **error)
{
	char **words = argv_split(value, 0, error);
	if (words == NULL)
		return -1;
	string_vector_free(words);
	return set_string(target, value, context);
}

static int apply_instances(struct key_context *context, void *target, const char *value,
			   const char **error)
{
	(void)context;
	return parse_integer(value, 1, CONFIG_INSTANCES_MAX, target, error);
}

static int apply_success_exit(struct key_context *context, void *target, const char *value,
			      const char **error)
{
	(void)context;
	struct config_service *service = target;
	return parse_exit_codes(value, &service->success_codes, &service->success_count, error);
}

static int apply_ready(struct key_context *context, void *target, const char *value,
		       const char **error)
{
	(void)context;
	struct config_service *service = target;
	static const struct choice modes[] = {
		{"started", READY_STARTED}, {"notify", READY_NOTIFY}, {"check", READY_CHECK}};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		if (strcmp(value, modes[i].name) == 0) {
			service->ready = (enum ready_mode)modes[i].value;
			return 0;
		}
	}
	long fd;
	if (strncmp(value, "fd:", 3) != 0) {
		*error = "expected started, notify, fd:N or check";
		return -1;
	}
	if (parse_integer(value + 3, 3, 65535, &fd, error) < 0) {
		*error = "expected fd:N with N >= 3 (0, 1 and 2 are the standard streams)";
		return -1;
	}
	service->ready = READY_FD;
	service->ready_fd = (int)fd;
	return 0;
}

static int apply_signal(struct key_context *context, void *target, const char *value,
			const char **error)
{
	(void)context;
	int number = signal_from_name(value);
	if (number <= 0) {
		*error = "unknown signal";
		return -1;
	}
	*(int *)target = number;
	return 0;
}

static int apply_user(struct key_context *context, void *target, const char *value,
		      const char **error)
{
	struct config_service *service = target;
	struct user_entry user;
	if (passwd_find_user(NULL, value, &user, error) < 0) {
		if (strcmp(*error, "out of memory") == 0)
			loader_out_of_memory(context->loader);
		return -1;
	}
	service->set_user = true;
	service->uid = user.uid;
	/* `group`, given before or after, wins over the primary group */
	if (!service->set_group)
		service->gid = user.gid;
	service->user_name = user.name;
	service->user_home = user.home;
	free(user.shell); /* not used: services get no SHELL from tend */
	return 0;
}

static int apply_group(struct key_context *context, void *target, const char *value,
		       const char **error)
{
	(void)context;
	struct config_service *service = target;
	/* set_group means "without user" only once config_build.c has
	 * combined the two; until then it records that `group` was given. */
	if (passwd_find_group(NULL, value, &service->gid, error) < 0)
		return -1;
	service->set_group = true;
	return 0;
}

static int apply_umask(struct key_context *context, void *target, const char *value,
		       const char **error)
{
	(void)context;
	int mode;
	if (parse_mode(value, &mode, error) < 0)
		return -1;
	if (mode > 0777) {
		*error = "expected an octal umask like 022";
		return -1;
	}
	*(int *)target = mode;
	return 0;
}

/* KEY of KEY=VALUE: a shell-compatible variable name. */
static bool valid_environment_name(const char *text, size_t length)
{
	if (length == 0 || isdigit((unsigned char)text[0]))
		return false;
	for (size_t i = 0; i < length; i++)
		if (!isalnum((unsigned char)text[i]) && text[i] != '_')
			return false;
	return true;
}

static int append_string(struct loader *loader, char ***vector, size_t *count, const char *text)
{
	size_t capacity = *count + 1;
	char **grown = realloc(*vector, (capacity + 1) * sizeof *grown);
	char *copy = xstrdup(text);
	if (grown == NULL || copy == NULL) {
		if (grown != NULL)
			*vector = grown;
		free(copy);
		loader_out_of_memory(loader);
		return -1;
	}
	*vector = grown;
	grown[(*count)++] = copy;
	grown[*count] = NULL;
	return 0;
}

static int check_environment_entry(const char *text, const char **error)
{
	const char *equals = strchr(text, '=');
	if (equals == NULL) {
		*error = "expected KEY=VALUE";
		return -1;
	}
	if (!valid_environment_name(text, (size_t)(equals - text))) {
		*error = "KEY must be letters, digits and '_', not starting with a digit";
		return -1;
	}
	return 0;
}

static int apply_env(struct key_context *context, void *target, const char *value,
		     const char **error)
{
	(void)target;
	if (check_environment_entry(value, error) < 0)
		return -1;
	struct pending_service *pending = &context->section->u.service;
	append_string(context->loader, &pending->env, &pending->env_count, value);
	return 0;
}

/* One line of an env-file; comments and blank lines give nothing. */
static void read_env_file_line(struct loader *loader, struct section *section,
			       const struct env_file_key *key, int number, char *line)
{
	line[strcspn(line, "\r")] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '#')
		return;
	const char *error;
	if (check_environment_entry(line, &error) < 0) {
		loader_error_elsewhere(loader, section->file_index, key->line, key->path, number,
				       "%s", error);
		return;
	}
	struct pending_service *pending = &section->u.service;
	append_string(loader, &pending->env_file, &pending->env_file_count, line);
}

/* Read path with the service's permissions: tend is root, and the service
 * may own the path (a link or hard link to a root-only file planted for the
 * next start). read_whole_file() never follows into a FIFO or device. */
static int read_as_service(const struct config_service *service, const char *path, char **text,
			   size_t *length)
{
	struct fsidentity identity;
	bool other_user = service->set_user && service->uid != 0;
	if (other_user && fsidentity_enter(&identity, service->uid, service->gid, service->groups,
					   service->group_count) < 0)
		return -1;
	int result = read_whole_file(path, text, length, NULL);
	int saved = errno;
	if (other_user && fsidentity_leave(&identity) < 0) {
		result = -1;
		saved = EPERM;
	}
	errno = saved;
	return result;
}

void read_env_files(struct loader *loader, struct section *section)
{
	struct pending_service *pending = &section->u.service;
	for (size_t i = 0; i < pending->env_file_key_count; i++) {
		const struct env_file_key *key = &pending->env_files[i];
		char *text = NULL;
		size_t length;
		if (read_as_service(&pending->settings, key->path, &text, &length) < 0) {
			loader_error_in(loader, section->file_index, key->line,
					"cannot read env-file '%s': %s", key->path, read_failure(errno));
		} else if (memchr(text, '\0', length) != NULL) {
			loader_error_in(loader, section->file_index, key->line,
					"env-file '%s' contains a NUL byte", key->path);
		} else {
			int number = 1;
			for (char *line = text, *next; line != NULL; line = next, number++) {
				next = strchr(line, '\n');
				if (next != NULL)
					*next++ = '\0';
				read_env_file_line(loader, section, key, number, line);
			}
		}
		free(text);
	}
}

/* Only noted here: the file is read as the service's user, which a later
 * `user` key in the section may still set. */
static int apply_env_file(struct key_context *context, void *target, const char *value,
			  const char **error)
{
	(void)target;
	(void)error;
	struct pending_service *pending = &context->section->u.service;
	char *path = resolve_path(context->loader->directory, value);
	if (path == NULL || loader_grow(context->loader, (void **)&pending->env_files,
					&pending->env_file_key_capacity,
					pending->env_file_key_count + 1, sizeof *pending->env_files) < 0) {
		free(path);
		loader_out_of_memory(context->loader);
		return 0;
	}
	pending->env_files[pending->env_file_key_count++] =
		(struct env_file_key){ .path = path, .line = context->line };
	return 0;
}

static int apply_capabilities(struct key_context *context, void *target, const char *value,
			      const char **error)
{
	(void)context;
	struct config_service *service = target;
	if (parse_capabilities(value, &service->capabilities, error) < 0)
		return -1;
	service->set_capabilities = true;
	return 0;
}

static int apply_oom_score(struct key_context *context, void *target, const char *value,
			   const char **error)
{
	(void)context;
	struct config_service *service = target;
	long score;
	if (parse_integer(value, -1000, 1000, &score, error) < 0)
		return -1;
	service->oom_score_adj = (int)score;
	service->set_oom_score = true;
	return 0;
}

static int apply_output(struct key_context *context, void *target, const char *value,
			const char **error)
{
	struct output_setting *output = target;
	static const struct choice modes[] = {
		{"inherit", OUTPUT_INHERIT}, {"prefix", OUTPUT_PREFIX}, {"null", OUTPUT_NULL}};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		if (strcmp(value, modes[i].name) == 0) {
			output->mode = (enum output_mode)modes[i].value;
			return 0;
		}
	}
	if (strncmp(value, "file:", 5) != 0 || value[5] == '\0') {
		*error = "expected inherit, prefix, null or file:PATH";
		return -1;
	}
	output->mode = OUTPUT_FILE;
	return set_string(&output->path, value + 5, context);
}

/* ---- the table ---- */

#define GLOBAL(field) .target = TARGET_GLOBAL, .offset = offsetof(struct config, field)
#define GROUP(field) .target = TARGET_GROUP, .offset = offsetof(struct config_group, field)
#define SERVICE(field) .target = TARGET_SERVICE, .offset = offsetof(struct config_service, field)
/* a field of the pending service, which starts with its settings */
#define PENDING(field) .target = TARGET_SERVICE, .offset = offsetof(struct pending_service, field)
_Static_assert(offsetof(struct pending_service, settings) == 0,
	       "PENDING() offsets are taken from the service's settings");
#define BACKOFF(field) .target = TARGET_BACKOFF, .offset = offsetof(struct backoff_policy, field)
/* the apply function receives the whole struct config, config_group or
 * config_service */
#define WHOLE(target_kind) .target = TARGET_##target_kind, .offset = 0
#define ANY_SECTION (IN_TEND | IN_GROUP | IN_SERVICE)
#define SUPERVISOR (IN_TEND | IN_GROUP)

/* A row without .kind is a duration (KIND_DURATION is 0). The target of a
 * KIND_CUSTOM row is what its apply function receives; some (include,
 * command, env...) ignore it and write to the loader or the pending
 * service instead. */
const struct key_spec config_keys[] = {
	/* [tend] only */
	{"include", .sections = IN_TEND, WHOLE(GLOBAL), .kind = KIND_CUSTOM, .apply = apply_include, .repeatable = true},
	{"socket", .sections = IN_TEND, GLOBAL(socket_path), .kind = KIND_CUSTOM, .apply = apply_socket},
	{"socket-mode", .sections = IN_TEND, GLOBAL(socket_mode), .kind = KIND_MODE, .maximum = 0777},
	{"socket-group", .sections = IN_TEND, WHOLE(GLOBAL), .kind = KIND_CUSTOM, .apply = apply_socket_group},
	{"admin-group", .sections = IN_TEND, WHOLE(GLOBAL), .kind = KIND_CUSTOM, .apply = apply_admin_group},
	{"health-dir", .sections = IN_TEND, GLOBAL(health_dir), .kind = KIND_CUSTOM, .apply = apply_path},
	{"heartbeat", .sections = IN_TEND, GLOBAL(heartbeat_ms)},
	{"shutdown-drain", .sections = IN_TEND, GLOBAL(shutdown_drain_ms)},
	{"shutdown-timeout", .sections = IN_TEND, GLOBAL(shutdown_timeout_ms)},
	{"on-root-failure", .sections = IN_TEND, GLOBAL(on_root_failure), .kind = KIND_CHOICE, .choices = root_failures},
	{"log-format", .sections = IN_TEND, GLOBAL(log_format), .kind = KIND_CHOICE, .choices = log_formats},
	{"log-level", .sections = IN_TEND, GLOBAL(log_level), .kind = KIND_CHOICE, .choices = log_levels},
	/* supervisors: [tend] (the root) and [group:...] */
	{"strategy", .sections = SUPERVISOR, GROUP(strategy), .kind = KIND_CHOICE, .choices = strategies},
	{"max-restarts", .sections = SUPERVISOR, GROUP(max_restarts), .kind = KIND_INTEGER, .maximum = 1000000},
	{"restart-period", .sections = SUPERVISOR, GROUP(restart_period_ms), .minimum = 1},
	{"start", .sections = SUPERVISOR, GROUP(start), .kind = KIND_CHOICE, .choices = orders},
	{"stop", .sections = SUPERVISOR, GROUP(stop), .kind = KIND_CHOICE, .choices = orders},
	{"ready-quorum", .sections = SUPERVISOR, WHOLE(GROUP), .kind = KIND_CUSTOM, .apply = apply_quorum},
	{"autostart", .sections = SUPERVISOR, GROUP(autostart), .kind = KIND_BOOLEAN},
	/* supervisors and services */
	{"backoff-min", .sections = ANY_SECTION, BACKOFF(min_ms)},
	{"backoff-max", .sections = ANY_SECTION, BACKOFF(max_ms)},
	{"backoff-factor", .sections = ANY_SECTION, BACKOFF(factor), .kind = KIND_NUMBER, .minimum = 1, .maximum = 1000},
	{"backoff-jitter", .sections = ANY_SECTION, BACKOFF(jitter), .kind = KIND_NUMBER, .minimum = 0, .maximum = 1},
	{"backoff-reset", .sections = ANY_SECTION, BACKOFF(reset_ms)},
	/* services */
	{"command", .sections = IN_SERVICE, PENDING(command), .kind = KIND_CUSTOM, .apply = apply_command},
	{"type", .sections = IN_SERVICE, SERVICE(type), .kind = KIND_CHOICE, .choices = service_types},
	{"main", .sections = IN_SERVICE, SERVICE(main), .kind = KIND_BOOLEAN},
	{"instances", .sections = IN_SERVICE, PENDING(instances), .kind = KIND_CUSTOM, .apply = apply_instances},
	{"restart", .sections = IN_SERVICE, SERVICE(restart), .kind = KIND_CHOICE, .choices = restart_policies},
	{"success-exit", .sections = IN_SERVICE, WHOLE(SERVICE), .kind = KIND_CUSTOM, .apply = apply_success_exit},
	{"start-timeout", .sections = IN_SERVICE, SERVICE(start_timeout_ms)},
	{"ready", .sections = IN_SERVICE, WHOLE(SERVICE), .kind = KIND_CUSTOM, .apply = apply_ready},
	{"ready-required", .sections = IN_SERVICE, SERVICE(ready_required), .kind = KIND_BOOLEAN},
	{"check", .sections = IN_SERVICE, PENDING(check), .kind = KIND_CUSTOM, .apply = apply_command},
	{"check-interval", .sections = IN_SERVICE, SERVICE(check_interval_ms), .minimum = 1},
	{"check-timeout", .sections = IN_SERVICE, SERVICE(check_timeout_ms), .minimum = 1},
	{"check-retries", .sections = IN_SERVICE, SERVICE(check_retries), .kind = KIND_INTEGER, .minimum = 1, .maximum = 1000000},
	{"check-start-period", .sections = IN_SERVICE, SERVICE(check_start_period_ms)},
	{"check-action", .sections = IN_SERVICE, SERVICE(check_action), .kind = KIND_CHOICE, .choices = check_actions},
	{"watchdog", .sections = IN_SERVICE, SERVICE(watchdog_ms)},
	{"stop-signal", .sections = IN_SERVICE, SERVICE(stop_signal), .kind = KIND_CUSTOM, .apply = apply_signal},
	{"stop-timeout", .sections = IN_SERVICE, SERVICE(stop_timeout_ms)},
	{"kill-group", .sections = IN_SERVICE, SERVICE(kill_group), .kind = KIND_BOOLEAN},
	{"user", .sections = IN_SERVICE, WHOLE(SERVICE), .kind = KIND_CUSTOM, .apply = apply_user},
	{"group", .sections = IN_SERVICE, WHOLE(SERVICE), .kind = KIND_CUSTOM, .apply = apply_group},
	{"directory", .sections = IN_SERVICE, SERVICE(directory), .kind = KIND_CUSTOM, .apply = apply_directory},
	{"umask", .sections = IN_SERVICE, SERVICE(umask_value), .kind = KIND_CUSTOM, .apply = apply_umask},
	{"env", .sections = IN_SERVICE, WHOLE(SERVICE), .kind = KIND_CUSTOM, .apply = apply_env, .repeatable = true},
	{"env-file", .sections = IN_SERVICE, WHOLE(SERVICE), .kind = KIND_CUSTOM, .apply = apply_env_file, .repeatable = true},
	{"env-clear", .sections = IN_SERVICE, SERVICE(env_clear), .kind = KIND_BOOLEAN},
	{"capabilities", .sections = IN_SERVICE, WHOLE(SERVICE), .kind = KIND_CUSTOM, .apply = apply_capabilities, .allow_empty = true},
	{"no-new-privileges", .sections = IN_SERVICE, SERVICE(no_new_privileges), .kind = KIND_BOOLEAN},
	{"limit-nofile", .sections = IN_SERVICE, SERVICE(limits), .kind = KIND_LIMIT, .minimum = LIMIT_NOFILE},
	{"limit-nproc", .sections = IN_SERVICE, SERVICE(limits), .kind = KIND_LIMIT, .minimum = LIMIT_NPROC},
	{"limit-core", .sections = IN_SERVICE, SERVICE(limits), .kind = KIND_LIMIT, .minimum = LIMIT_CORE},
	{"limit-memlock", .sections = IN_SERVICE, SERVICE(limits), .kind = KIND_LIMIT, .minimum = LIMIT_MEMLOCK},
	{"limit-as", .sections = IN_SERVICE, SERVICE(limits), .kind = KIND_LIMIT, .minimum = LIMIT_AS},
	{"limit-stack", .sections = IN_SERVICE, SERVICE(limits), .kind = KIND_LIMIT, .minimum = LIMIT_STACK},
	{"oom-score-adj", .sections = IN_SERVICE, WHOLE(SERVICE), .kind = KIND_CUSTOM, .apply = apply_oom_score},
	{"stdout", .sections = IN_SERVICE, SERVICE(stdout_setting), .kind = KIND_CUSTOM, .apply = apply_output},
	{"stderr", .sections = IN_SERVICE, SERVICE(stderr_setting), .kind = KIND_CUSTOM, .apply = apply_output},
	{"autostart", .sections = IN_SERVICE, SERVICE(autostart), .kind = KIND_BOOLEAN},
};
const size_t config_key_count = sizeof config_keys / sizeof config_keys[0];
_Static_assert(sizeof config_keys / sizeof config_keys[0] <= CONFIG_KEY_SLOTS,
	       "CONFIG_KEY_SLOTS is too small for the key table");
