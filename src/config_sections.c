/* config_sections.c: sections as they are read: a [header] starts one
 * (with its defaults), and each key = value goes through its row of the
 * key table (config_keys.c) into it. Also the names groups and services
 * may have. */
#include <ctype.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "config_values.h"
#include "util.h"

/* ---- applying a value ---- */

static void *key_target(const struct key_spec *spec, struct section *section)
{
	char *base = NULL;
	switch (spec->target) {
	case TARGET_GLOBAL:
		base = (char *)section->globals;
		break;
	case TARGET_GROUP:
		base = (char *)&section->u.group;
		break;
	case TARGET_SERVICE:
		base = (char *)&section->u.service.settings;
		break;
	case TARGET_BACKOFF:
		base = section->kind == SECTION_SERVICE ? (char *)&section->u.service.settings.backoff
							: (char *)&section->u.group.backoff;
		break;
	}
	return base + spec->offset;
}

static int parse_choice(const struct key_spec *spec, struct key_context *context, int *target,
			const char *value, const char **error)
{
	for (const struct choice *choice = spec->choices; choice->name[0] != '\0'; choice++) {
		if (strcmp(value, choice->name) == 0) {
			*target = choice->value;
			return 0;
		}
	}
	/* "expected a, b or c", from the table */
	size_t used = (size_t)snprintf(context->message, sizeof context->message, "expected");
	for (const struct choice *choice = spec->choices; choice->name[0] != '\0'; choice++) {
		const char *separator = choice == spec->choices ? " " : choice[1].name[0] != '\0' ? ", " : " or ";
		if (used < sizeof context->message)
			used += (size_t)snprintf(context->message + used, sizeof context->message - used,
						 "%s%s", separator, choice->name);
	}
	*error = context->message;
	return -1;
}

/* Out of range: what the key's range is, from its row. */
static int out_of_range(const struct key_spec *spec, struct key_context *context,
			const char **error)
{
	*error = context->message;
	if (spec->kind == KIND_NUMBER)
		snprintf(context->message, sizeof context->message, "must be between %d and %d",
			 (int)spec->minimum, (int)spec->maximum);
	else if (spec->kind == KIND_INTEGER)
		snprintf(context->message, sizeof context->message, "must be %d or more",
			 (int)spec->minimum);
	else
		*error = "must be more than 0"; /* a duration's minimum is 1 ms */
	return -1;
}

static int parse_ranged(const struct key_spec *spec, struct key_context *context, void *target,
			const char *value, const char **error)
{
	if (spec->kind == KIND_INTEGER) {
		long number;
		if (parse_integer(value, spec->minimum, spec->maximum, &number, error) < 0) {
			if (strcmp(*error, "number out of range") == 0)
				return out_of_range(spec, context, error);
			return -1;
		}
		*(int *)target = (int)number;
		return 0;
	}
	if (spec->kind == KIND_NUMBER) {
		double number;
		if (parse_number(value, &number, error) < 0)
			return -1;
		if (number < spec->minimum || number > spec->maximum)
			return out_of_range(spec, context, error);
		*(double *)target = number;
		return 0;
	}
	int64_t milliseconds;
	if (parse_duration_ms(value, &milliseconds, error) < 0)
		return -1;
	if (milliseconds < spec->minimum)
		return out_of_range(spec, context, error);
	*(int64_t *)target = milliseconds;
	return 0;
}

static int parse_value(const struct key_spec *spec, struct key_context *context, const char *value,
		       const char **error)
{
	void *target = key_target(spec, context->section);
	switch (spec->kind) {
	case KIND_DURATION:
	case KIND_INTEGER:
	case KIND_NUMBER:
		return parse_ranged(spec, context, target, value, error);
	case KIND_BOOLEAN:
		return parse_boolean(value, target, error);
	case KIND_CHOICE:
		return parse_choice(spec, context, target, value, error);
	case KIND_MODE:
		if (parse_mode(value, target, error) < 0)
			return -1;
		if (*(int *)target > spec->maximum) {
			*error = "expected permission bits like 0600 (at most 0777)";
			return -1;
		}
		return 0;
	case KIND_LIMIT: {
		struct config_limit **limits = target;
		struct rlimit parsed;
		if (parse_rlimit(value, &parsed, error) < 0)
			return -1;
		if (*limits == NULL && (*limits = xcalloc(LIMIT_COUNT, sizeof **limits)) == NULL) {
			*error = "out of memory";
			return -1;
		}
		(*limits)[spec->minimum] = (struct config_limit){ .set = true, .value = parsed };
		return 0;
	}
	case KIND_CUSTOM:
		return spec->apply(context, target, value, error);
	}
	return 0;
}

/* The row for key in a section of this kind; *elsewhere tells whether the
 * key exists for other sections. */
static const struct key_spec *find_key(const char *key, enum section_kind kind, bool *elsewhere)
{
	*elsewhere = false;
	for (size_t i = 0; i < config_key_count; i++) {
		if (strcmp(config_keys[i].name, key) != 0)
			continue;
		if (config_keys[i].sections & (1u << kind))
			return &config_keys[i];
		*elsewhere = true;
	}
	return NULL;
}

const char *section_kind_name(enum section_kind kind)
{
	switch (kind) {
	case SECTION_TEND:
		return "tend";
	case SECTION_GROUP:
		return "group";
	case SECTION_SERVICE:
		return "service";
	}
	return "?";
}

void section_label(const struct section *section, char *out, size_t size)
{
	char name[EXCERPT_SIZE];
	text_excerpt(name, sizeof name, section->name);
	if (section->kind == SECTION_TEND)
		snprintf(out, size, "[tend]");
	else
		snprintf(out, size, "[%s:%s]", section_kind_name(section->kind), name);
}

void loader_apply_key(struct loader *loader, const char *key, const char *value, int line)
{
	struct section *section = loader->current;
	char key_text[EXCERPT_SIZE], value_text[EXCERPT_SIZE], label[EXCERPT_SIZE + 16];
	text_excerpt(key_text, sizeof key_text, key);
	if (section == NULL) {
		/* after a bad header, its keys are ignored: it was reported */
		if (!loader->have_section)
			loader_error(loader, line, "key '%s' before any [section]", key_text);
		return;
	}
	section_label(section, label, sizeof label);
	bool elsewhere;
	const struct key_spec *spec = find_key(key, section->kind, &elsewhere);
	if (spec == NULL) {
		loader_error(loader, line, elsewhere ? "key '%s' is not allowed in %s"
						     : "unknown key '%s' in %s", key_text, label);
		return;
	}
	size_t index = (size_t)(spec - config_keys);
	if (section->key_lines[index] != 0 && !spec->repeatable) {
		loader_error(loader, line, "duplicate key '%s' in %s (first at line %d)", key_text,
			     label, section->key_lines[index]);
		return;
	}
	section->key_lines[index] = line;
	if (*value == '\0' && !spec->allow_empty) {
		loader_error(loader, line, "missing value for '%s'", key_text);
		return;
	}
	struct key_context context = {.loader = loader, .section = section, .line = line};
	const char *error = NULL;
	if (parse_value(spec, &context, value, &error) < 0 && error != NULL) {
		text_excerpt(value_text, sizeof value_text, value);
		loader_error(loader, line, "invalid %s '%s': %s", spec->name, value_text, error);
	}
}

int section_key_line(const struct section *section, const char *key)
{
	bool elsewhere;
	const struct key_spec *spec = find_key(key, section->kind, &elsewhere);
	return spec ? section->key_lines[spec - config_keys] : 0;
}

/* ---- sections ---- */

const char *config_name_problem(const char *name)
{
	size_t length = strlen(name);
	if (length == 0)
		return "empty name";
	if (length > CONFIG_NAME_MAX)
		return "name too long (at most 255 characters)";
	const char *component = name;
	for (const char *c = name;; c++) {
		if (*c == '/' || *c == '\0') {
			size_t size = (size_t)(c - component);
			if (size == 0)
				return "empty component ('/' at the start or end, or '//')";
			if ((size == 1 && component[0] == '.') ||
			    (size == 2 && component[0] == '.' && component[1] == '.'))
				return "'.' and '..' are not names";
			if (*c == '\0')
				return NULL;
			component = c + 1;
		} else if (!isalnum((unsigned char)*c) && !strchr("._-", *c)) {
			return "only letters, digits, '.', '_', '-' and '/' are allowed";
		}
	}
}

void config_group_defaults(struct config_group *group)
{
	*group = (struct config_group){
		.parent = -1,
		.strategy = STRATEGY_ONE_FOR_ONE,
		.max_restarts = 10,
		.restart_period_ms = 60000,
		.start = ORDER_SEQUENTIAL,
		.stop = ORDER_SEQUENTIAL,
		.quorum_kind = QUORUM_ALL,
		.autostart = true,
		.backoff = {.min_ms = 100, .max_ms = 30000, .factor = 2, .jitter = 0.2,
			    .reset_ms = 60000},
	};
}

void config_service_defaults(struct config_service *service)
{
	*service = (struct config_service){
		.instance = -1,
		.type = SERVICE_SIMPLE,
		.restart = RESTART_ALWAYS,
		.backoff = {.min_ms = 100, .max_ms = 30000, .factor = 2, .jitter = 0.2,
			    .reset_ms = 60000},
		.start_timeout_ms = 60000,
		.ready = READY_STARTED,
		.ready_required = true,
		.check_interval_ms = 10000,
		.check_timeout_ms = 5000,
		.check_retries = 3,
		.check_action = CHECK_ACTION_RESTART,
		.stop_signal = SIGTERM,
		.stop_timeout_ms = 10000,
		.kill_group = true,
		.umask_value = -1,
		.no_new_privileges = true,
		.stdout_setting = {.mode = OUTPUT_INHERIT},
		.stderr_setting = {.mode = OUTPUT_INHERIT},
		.autostart = true,
	};
}

int config_global_defaults(struct config *config)
{
	config->socket_path = xstrdup("/run/tend/tend.sock");
	config->socket_mode = 0600;
	config->health_dir = xstrdup("/run/tend");
	config->heartbeat_ms = 10000;
	config->shutdown_drain_ms = 0;
	config->shutdown_timeout_ms = 25000;
	config->on_root_failure = ON_ROOT_FAILURE_EXIT;
	config->log_format = -1;
	config->log_level = -1;
	config->main_service = -1;
	return config->socket_path && config->health_dir ? 0 : -1;
}

/* The kind and name in "tend", "group:NAME", "service:NAME"; -1 if none. */
static int parse_header(const char *header, enum section_kind *kind, const char **name)
{
	static const struct {
		const char *prefix;
		enum section_kind kind;
	} kinds[] = {{"group:", SECTION_GROUP}, {"service:", SECTION_SERVICE}};
	if (strcmp(header, "tend") == 0) {
		*kind = SECTION_TEND;
		*name = "";
		return 0;
	}
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		size_t length = strlen(kinds[i].prefix);
		if (strncmp(header, kinds[i].prefix, length) == 0) {
			*kind = kinds[i].kind;
			*name = header + length;
			return 0;
		}
	}
	return -1;
}

/* Where the keys of a [tend] go: the config, or for a second [tend] (an
 * error already) a scratch copy so its values are still checked. */
static int attach_globals(struct loader *loader, struct section *section, int line)
{
	if (loader->tend == NULL) {
		loader->tend = section;
		section->globals = loader->config;
		return 0;
	}
	loader_error(loader, line, "duplicate section [tend] (first at line %d)",
		     loader->tend->origin.line);
	section->duplicate = true;
	section->globals = xcalloc(1, sizeof *section->globals);
	if (section->globals == NULL || config_global_defaults(section->globals) < 0)
		return -1;
	return 0;
}

static struct section *new_section(struct loader *loader, enum section_kind kind,
				   const char *name, int line)
{
	struct section *section = xcalloc(1, sizeof *section);
	if (section == NULL)
		return NULL;
	section->kind = kind;
	section->name = xstrdup(name);
	section->origin = (struct config_origin){loader->config->files[loader->file_index], line};
	section->file_index = loader->file_index;
	if (kind == SECTION_SERVICE)
		config_service_defaults(&section->u.service.settings);
	else
		config_group_defaults(&section->u.group);
	if (section->name == NULL ||
	    loader_grow(loader, (void **)&loader->sections, &loader->section_capacity,
			loader->section_count + 1, sizeof *loader->sections) < 0) {
		section_free(section);
		return NULL;
	}
	loader->sections[loader->section_count++] = section;
	return section;
}

void loader_begin_section(struct loader *loader, const char *header, int line)
{
	loader->have_section = true;
	loader->current = NULL;
	if (header == NULL)
		return;
	char header_text[EXCERPT_SIZE];
	text_excerpt(header_text, sizeof header_text, header);
	enum section_kind kind;
	const char *name;
	if (parse_header(header, &kind, &name) < 0) {
		loader_error(loader, line, "unknown section [%s]", header_text);
		return;
	}
	if (kind == SECTION_TEND && !loader->main_file) {
		loader_error(loader, line, "[tend] is allowed only in the main file");
		return;
	}
	struct section *section = new_section(loader, kind, name, line);
	if (section == NULL || (kind == SECTION_TEND && attach_globals(loader, section, line) < 0)) {
		loader_out_of_memory(loader);
		return;
	}
	const char *problem = kind == SECTION_TEND ? NULL : config_name_problem(name);
	if (problem != NULL)
		loader_error(loader, line, "invalid name in [%s]: %s", header_text, problem);
	section->valid = problem == NULL && !section->duplicate;
	loader->current = section;
}

void section_free(struct section *section)
{
	if (section == NULL)
		return;
	free(section->name);
	if (section->kind == SECTION_SERVICE) {
		struct pending_service *pending = &section->u.service;
		config_service_release(&pending->settings);
		free(pending->command);
		free(pending->check);
		string_vector_free(pending->env);
		string_vector_free(pending->env_file);
		for (size_t i = 0; i < pending->env_file_key_count; i++)
			free(pending->env_files[i].path);
		free(pending->env_files);
	} else {
		config_group_release(&section->u.group);
	}
	if (section->duplicate)
		config_free(section->globals);
	free(section);
}
