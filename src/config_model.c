/* config_model.c: what the rest of tend does with a loaded model: look
 * things up, compare two models for reload, add `-- CMD` as the main
 * service, make the default model, copy and free. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "util.h"

/* The origin of what came from the command line rather than a file. */
static const char command_line_origin[] = "(command line)";

char **string_vector_copy(char *const *vector)
{
	size_t count = 0;
	while (vector[count] != NULL)
		count++;
	char **copy = xcalloc(count + 1, sizeof *copy);
	if (copy == NULL)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		if ((copy[i] = xstrdup(vector[i])) == NULL) {
			string_vector_free(copy);
			return NULL;
		}
	}
	return copy;
}

void config_service_release(struct config_service *service)
{
	if (service->base_name != service->name)
		free(service->base_name);
	free(service->name);
	string_vector_free(service->argv);
	free(service->success_codes);
	string_vector_free(service->check_argv);
	free(service->groups);
	free(service->user_name);
	free(service->user_home);
	free(service->directory);
	string_vector_free(service->env);
	free(service->stdout_setting.path);
	free(service->stderr_setting.path);
	free(service->limits);
}

void config_group_release(struct config_group *group)
{
	free(group->name);
	free(group->children);
}

static void *copy_memory(const void *source, size_t size)
{
	if (source == NULL)
		return NULL;
	void *copy = malloc(size ? size : 1);
	if (copy != NULL)
		memcpy(copy, source, size);
	return copy;
}

static char **copy_vector(char **vector)
{
	return vector ? string_vector_copy(vector) : NULL;
}

int config_service_copy(struct config_service *dst, const struct config_service *src)
{
	*dst = *src;
	dst->name = xstrdup(src->name);
	/* Without instances the base name is the name: share the string. */
	dst->base_name = src->base_name == src->name ? dst->name : xstrdup(src->base_name);
	dst->argv = copy_vector(src->argv);
	dst->success_codes = copy_memory(src->success_codes, src->success_count * sizeof(int));
	dst->check_argv = copy_vector(src->check_argv);
	dst->groups = copy_memory(src->groups, src->group_count * sizeof(gid_t));
	dst->user_name = xstrdup(src->user_name);
	dst->user_home = xstrdup(src->user_home);
	dst->directory = xstrdup(src->directory);
	dst->env = copy_vector(src->env);
	dst->stdout_setting.path = xstrdup(src->stdout_setting.path);
	dst->stderr_setting.path = xstrdup(src->stderr_setting.path);
	dst->limits = copy_memory(src->limits, LIMIT_COUNT * sizeof *src->limits);
	/* Every pointer copied above: a copy is missing where the source has one. */
	static const unsigned short copied[] = {
		offsetof(struct config_service, name), offsetof(struct config_service, base_name),
		offsetof(struct config_service, argv), offsetof(struct config_service, success_codes),
		offsetof(struct config_service, check_argv), offsetof(struct config_service, groups),
		offsetof(struct config_service, user_name), offsetof(struct config_service, user_home),
		offsetof(struct config_service, directory), offsetof(struct config_service, env),
		offsetof(struct config_service, stdout_setting.path),
		offsetof(struct config_service, stderr_setting.path),
		offsetof(struct config_service, limits),
	};
	for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
		void *const *from = (void *const *)((const char *)src + copied[i]);
		void *const *to = (void *const *)((const char *)dst + copied[i]);
		if (*from != NULL && *to == NULL) {
			config_service_release(dst);
			return -1;
		}
	}
	return 0;
}

/* Packing the services' strings and arrays into one block: first measure,
 * then copy. Every piece starts pointer-aligned. */
struct packer {
	char *cursor;
	size_t used;
};

static void *pack_bytes(struct packer *packer, const void *source, size_t size)
{
	size_t offset = (packer->used + 7) & ~(size_t)7;
	packer->used = offset + size;
	if (packer->cursor == NULL)
		return NULL;
	void *place = packer->cursor + offset;
	memcpy(place, source, size);
	return place;
}

static char *pack_string(struct packer *packer, const char *text)
{
	return text == NULL ? NULL : pack_bytes(packer, text, strlen(text) + 1);
}

static char **pack_vector(struct packer *packer, char **vector)
{
	if (vector == NULL || vector[0] == NULL)
		return NULL; /* an empty vector is stored as none */
	size_t count = 0;
	while (vector[count] != NULL)
		count++;
	char **copy = pack_bytes(packer, vector, (count + 1) * sizeof *vector);
	for (size_t i = 0; i < count; i++) {
		char *word = pack_string(packer, vector[i]);
		if (copy != NULL)
			copy[i] = word;
	}
	return copy;
}

static void pack_service(struct packer *packer, struct config_service *dst,
			 const struct config_service *src)
{
	*dst = *src;
	dst->name = pack_string(packer, src->name);
	dst->base_name = src->base_name == src->name || strcmp(src->base_name, src->name) == 0
		? dst->name : pack_string(packer, src->base_name);
	dst->argv = pack_vector(packer, src->argv);
	dst->success_codes = src->success_count ?
		pack_bytes(packer, src->success_codes, src->success_count * sizeof(int)) : NULL;
	dst->check_argv = pack_vector(packer, src->check_argv);
	dst->groups = src->group_count ?
		pack_bytes(packer, src->groups, src->group_count * sizeof(gid_t)) : NULL;
	dst->user_name = pack_string(packer, src->user_name);
	dst->user_home = pack_string(packer, src->user_home);
	dst->directory = pack_string(packer, src->directory);
	dst->env = pack_vector(packer, src->env);
	dst->stdout_setting.path = pack_string(packer, src->stdout_setting.path);
	dst->stderr_setting.path = pack_string(packer, src->stderr_setting.path);
	dst->limits = src->limits ?
		pack_bytes(packer, src->limits, LIMIT_COUNT * sizeof *src->limits) : NULL;
}

int config_compact(struct config *config)
{
	size_t count = config->service_count;
	if (config->packed != NULL || count == 0)
		return 0;
	struct packer packer = { 0 };
	struct config_service scratch;
	for (size_t i = 0; i < count; i++)
		pack_service(&packer, &scratch, &config->services[i]);
	struct config_service *fresh = malloc(count * sizeof *fresh);
	packer.cursor = malloc(packer.used ? packer.used : 1);
	if (fresh == NULL || packer.cursor == NULL) {
		free(fresh);
		free(packer.cursor);
		return -1;
	}
	config->packed = packer.cursor;
	packer.used = 0;
	for (size_t i = 0; i < count; i++) {
		pack_service(&packer, &fresh[i], &config->services[i]);
		config_service_release(&config->services[i]);
	}
	free(config->services);
	config->services = fresh;
	return 0;
}

void config_free(struct config *config)
{
	if (config == NULL)
		return;
	for (size_t i = 0; i < config->file_count; i++)
		free(config->files[i]);
	free(config->files);
	free(config->socket_path);
	free(config->health_dir);
	for (size_t i = 0; i < config->group_count; i++)
		config_group_release(&config->groups[i]);
	free(config->groups);
	for (size_t i = 0; config->packed == NULL && i < config->service_count; i++)
		config_service_release(&config->services[i]);
	free(config->services);
	free(config->packed);
	free(config);
}

/* ---- lookups ---- */

const struct config_service *config_find_service(const struct config *config, const char *name)
{
	for (size_t i = 0; i < config->service_count; i++)
		if (strcmp(config->services[i].name, name) == 0)
			return &config->services[i];
	return NULL;
}

const struct config_group *config_find_group(const struct config *config, const char *name)
{
	for (size_t i = 0; i < config->group_count; i++)
		if (strcmp(config->groups[i].name, name) == 0)
			return &config->groups[i];
	return NULL;
}

/* ---- equality for reload ---- */

static bool strings_equal(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool vectors_equal(char *const *a, char *const *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b) != 0)
			return false;
	return *a == *b;
}

static bool backoffs_equal(const struct backoff_policy *a, const struct backoff_policy *b)
{
	return a->min_ms == b->min_ms && a->max_ms == b->max_ms && a->factor == b->factor &&
	       a->jitter == b->jitter && a->reset_ms == b->reset_ms;
}

static bool outputs_equal(const struct output_setting *a, const struct output_setting *b)
{
	return a->mode == b->mode && strings_equal(a->path, b->path);
}

/* NULL is the same as no limit set. */
static bool limits_equal(const struct config_limit *a, const struct config_limit *b)
{
	for (size_t i = 0; i < LIMIT_COUNT; i++) {
		bool a_set = a != NULL && a[i].set, b_set = b != NULL && b[i].set;
		if (a_set != b_set || (a_set && (a[i].value.rlim_cur != b[i].value.rlim_cur ||
						 a[i].value.rlim_max != b[i].value.rlim_max)))
			return false;
	}
	return true;
}

/* The bytes of [first, end) of a and b are equal. */
static bool span_equal(const void *a, const void *b, size_t first, size_t end)
{
	return memcmp((const char *)a + first, (const char *)b + first, end - first) == 0;
}

/* The int and bool settings of a service, from instance to autostart: one
 * run without holes (config.h orders the fields by size), compared at once.
 * A field added there is a setting too, or this assertion stops the build. */
#define SERVICE_SCALARS_FIRST offsetof(struct config_service, instance)
#define SERVICE_SCALARS_END (offsetof(struct config_service, autostart) + sizeof(bool))
_Static_assert(SERVICE_SCALARS_END - SERVICE_SCALARS_FIRST == 12 * sizeof(int) + 10 * sizeof(bool),
	       "config_service's int and bool settings are no longer one run");

/* The durations from check-interval to stop-timeout: one run too. */
#define SERVICE_TIMES_FIRST offsetof(struct config_service, check_interval_ms)
#define SERVICE_TIMES_END (offsetof(struct config_service, stop_timeout_ms) + sizeof(int64_t))
_Static_assert(SERVICE_TIMES_END - SERVICE_TIMES_FIRST == 5 * sizeof(int64_t),
	       "config_service's durations are no longer one run");

static bool identities_equal(const struct config_service *a, const struct config_service *b)
{
	return a->group_count == b->group_count &&
	       (a->group_count == 0 || memcmp(a->groups, b->groups, a->group_count * sizeof(gid_t)) == 0) &&
	       strings_equal(a->user_name, b->user_name) && strings_equal(a->user_home, b->user_home);
}

static bool processes_equal(const struct config_service *a, const struct config_service *b)
{
	return vectors_equal(a->argv, b->argv) && strings_equal(a->directory, b->directory) &&
	       vectors_equal(a->env, b->env) && a->capabilities == b->capabilities &&
	       limits_equal(a->limits, b->limits) &&
	       outputs_equal(&a->stdout_setting, &b->stdout_setting) &&
	       outputs_equal(&a->stderr_setting, &b->stderr_setting) && identities_equal(a, b);
}

static bool supervision_equal(const struct config_service *a, const struct config_service *b)
{
	return a->success_count == b->success_count &&
	       (a->success_count == 0 ||
		memcmp(a->success_codes, b->success_codes, a->success_count * sizeof(int)) == 0) &&
	       backoffs_equal(&a->backoff, &b->backoff) && a->start_timeout_ms == b->start_timeout_ms &&
	       vectors_equal(a->check_argv, b->check_argv) &&
	       span_equal(a, b, SERVICE_TIMES_FIRST, SERVICE_TIMES_END);
}

/* Names, origins and indices are not settings: the same service may move
 * in the file or in the arrays without being restarted. (instance is in
 * the scalars: a service's instance number is part of what it runs.) */
bool config_service_equal(const struct config_service *a, const struct config_service *b)
{
	return strings_equal(a->name, b->name) &&
	       span_equal(a, b, SERVICE_SCALARS_FIRST, SERVICE_SCALARS_END) &&
	       supervision_equal(a, b) && processes_equal(a, b);
}

/* A group's int and bool settings, from strategy to autostart: one run
 * without holes, compared at once. */
#define GROUP_SCALARS_FIRST offsetof(struct config_group, strategy)
#define GROUP_SCALARS_END (offsetof(struct config_group, autostart) + sizeof(bool))
_Static_assert(GROUP_SCALARS_END - GROUP_SCALARS_FIRST ==
	       6 * sizeof(int) + sizeof(int64_t) + sizeof(bool),
	       "config_group's int and bool settings are no longer one run");

/* A group's settings only: its children are compared one by one by the
 * caller, so adding a service to a group does not restart the group. */
bool config_group_equal(const struct config *config_a, const struct config_group *a,
			const struct config *config_b, const struct config_group *b)
{
	(void)config_a;
	(void)config_b;
	return strings_equal(a->name, b->name) &&
	       span_equal(a, b, GROUP_SCALARS_FIRST, GROUP_SCALARS_END) &&
	       backoffs_equal(&a->backoff, &b->backoff);
}

/* ---- -- CMD and the default model ---- */

/* True (after reporting why) when `-- CMD` cannot be added. */
static bool main_command_conflicts(struct config *config, struct diagnostics *diagnostics)
{
	bool conflict = false;
	const struct config_group *root = &config->groups[0];
	for (size_t i = 0; i < root->child_count; i++) {
		const struct config_child *child = &root->children[i];
		const char *name = child->kind == CHILD_SERVICE ? config->services[child->index].name
								: config->groups[child->index].name;
		const struct config_origin *origin = child->kind == CHILD_SERVICE
			? &config->services[child->index].origin : &config->groups[child->index].origin;
		if (strcmp(name, "main") == 0) {
			diagnostics_add(diagnostics, origin->file, origin->line,
					"[%s:main] conflicts with the command given after -- "
					"(it becomes the service 'main')",
					child->kind == CHILD_SERVICE ? "service" : "group");
			conflict = true;
		}
	}
	if (config->main_service >= 0) {
		const struct config_service *service = &config->services[config->main_service];
		diagnostics_add(diagnostics, service->origin.file, service->origin.line,
				"[service:%s] has 'main = yes', which conflicts with the command "
				"given after --", service->name);
		conflict = true;
	}
	return conflict;
}

static int new_main_service(struct config_service *service, char *const *argv)
{
	config_service_defaults(service);
	service->name = xstrdup("main");
	service->base_name = xstrdup("main");
	service->origin = (struct config_origin){command_line_origin, 0};
	service->group = 0;
	service->main = true;
	service->restart = RESTART_NEVER;
	service->argv = string_vector_copy(argv);
	service->directory = xstrdup("/");
	service->env = xcalloc(1, sizeof *service->env);
	if (service->name && service->base_name && service->argv && service->directory &&
	    service->env)
		return 0;
	config_service_release(service);
	return -1;
}

int config_add_main_command(struct config *config, char *const *argv,
			    struct diagnostics *diagnostics)
{
	if (argv == NULL || argv[0] == NULL) {
		diagnostics_add(diagnostics, command_line_origin, 0, "no command after --");
		return -1;
	}
	if (main_command_conflicts(config, diagnostics))
		return -1;
	struct config_group *root = &config->groups[0];
	struct config_service *services =
		realloc(config->services, (config->service_count + 1) * sizeof *services);
	if (services != NULL)
		config->services = services;
	struct config_child *children =
		realloc(root->children, (root->child_count + 1) * sizeof *children);
	if (children != NULL)
		root->children = children;
	size_t index = config->service_count;
	if (services == NULL || children == NULL || new_main_service(&services[index], argv) < 0) {
		diagnostics_add(diagnostics, command_line_origin, 0, "out of memory");
		return -1;
	}
	config->service_count++;
	root->children[root->child_count++] = (struct config_child){CHILD_SERVICE, index};
	config->main_service = (ssize_t)index;
	return 0;
}
