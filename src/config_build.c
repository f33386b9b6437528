/* config_build.c: the checks that need a whole section or the whole tree
 * (combinations of keys, names, parents, the one main service), then the
 * final model: groups (root first), services with instances expanded, and
 * each group's children in the order their sections appear. The model is
 * built only from a tree without problems. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "config_internal.h"
#include "passwd.h"
#include "util.h"

/* The line of key in section, or the section's own line. */
static int line_of(const struct section *section, const char *key)
{
	int line = section_key_line(section, key);
	return line ? line : section->origin.line;
}

static void check_backoff(struct loader *loader, const struct section *section,
			  const struct backoff_policy *backoff)
{
	if (backoff->min_ms <= backoff->max_ms)
		return;
	int min_line = section_key_line(section, "backoff-min");
	int max_line = section_key_line(section, "backoff-max");
	int line = min_line > max_line ? min_line : max_line;
	loader_error_in(loader, section->file_index, line,
			"backoff-min (%lldms) is greater than backoff-max (%lldms)",
			(long long)backoff->min_ms, (long long)backoff->max_ms);
}

/* `user` and `group` together: the gid, and the supplementary groups. */
static void finish_identity(struct loader *loader, struct section *section)
{
	struct config_service *service = &section->u.service.settings;
	if (!service->set_user)
		return;
	service->set_group = false;
	const char *error;
	if (passwd_user_groups(NULL, service->user_name, service->gid, &service->groups,
			       &service->group_count, &error) < 0)
		loader_out_of_memory(loader);
}

/* env-file entries, then env entries; a later KEY replaces an earlier one
 * in place. The result is always a vector (maybe empty). */
static void merge_environment(struct loader *loader, struct pending_service *pending)
{
	size_t total = pending->env_count + pending->env_file_count;
	char **merged = xcalloc(total + 1, sizeof *merged);
	if (merged == NULL) {
		loader_out_of_memory(loader);
		return;
	}
	size_t used = 0;
	for (size_t i = 0; i < total; i++) {
		char **source = i < pending->env_file_count ? &pending->env_file[i]
							    : &pending->env[i - pending->env_file_count];
		size_t key_length = strcspn(*source, "=") + 1;
		size_t slot = 0;
		while (slot < used && strncmp(merged[slot], *source, key_length) != 0)
			slot++;
		if (slot == used)
			used++;
		free(merged[slot]);
		merged[slot] = *source;
		*source = NULL;
	}
	pending->settings.env = merged;
}

static void check_service(struct loader *loader, struct section *section)
{
	struct pending_service *pending = &section->u.service;
	struct config_service *service = &pending->settings;
	char label[EXCERPT_SIZE + 16];
	section_label(section, label, sizeof label);
	size_t file = section->file_index;
	if (section_key_line(section, "command") == 0)
		loader_error_in(loader, file, section->origin.line, "%s has no command", label);
	if (section_key_line(section, "restart") == 0)
		service->restart = service->type == SERVICE_ONESHOT ? RESTART_ON_FAILURE
								    : RESTART_ALWAYS;
	if (service->watchdog_ms > 0 && service->ready != READY_NOTIFY)
		loader_error_in(loader, file, line_of(section, "watchdog"),
				"'watchdog' needs 'ready = notify'");
	if (service->ready == READY_CHECK && section_key_line(section, "check") == 0)
		loader_error_in(loader, file, line_of(section, "ready"),
				"'ready = check' needs a 'check' command");
	if (service->type == SERVICE_ONESHOT && service->ready != READY_STARTED)
		loader_error_in(loader, file, line_of(section, "ready"),
				"a oneshot is ready when it exits successfully: 'ready' must be 'started'");
	if (service->main && pending->instances > 0)
		loader_error_in(loader, file, line_of(section, "instances"),
				"'instances' cannot be combined with 'main = yes'");
	check_backoff(loader, section, &service->backoff);
	finish_identity(loader, section);
	read_env_files(loader, section);
	merge_environment(loader, pending);
	if (service->directory == NULL && (service->directory = xstrdup("/")) == NULL)
		loader_out_of_memory(loader);
}

/* ---- names across the tree ---- */

struct tree_name {
	char *name;
	bool owned;                     /* name was built for an instance */
	const struct section *section;
	size_t order;                   /* appearance: section index, then instance */
};

static int compare_tree_names(const void *left, const void *right)
{
	const struct tree_name *a = left, *b = right;
	int names = strcmp(a->name, b->name);
	if (names != 0)
		return names;
	return a->order < b->order ? -1 : a->order > b->order;
}

static size_t copies_of(const struct section *section)
{
	if (section->kind != SECTION_SERVICE)
		return 1;
	return section->u.service.instances > 0 ? (size_t)section->u.service.instances : 1;
}

/* Every group and service name (instances expanded), sorted; NULL on no
 * memory. */
static struct tree_name *collect_names(struct loader *loader, size_t total, size_t *count)
{
	struct tree_name *names = xcalloc(total, sizeof *names);
	if (names == NULL)
		return NULL;
	size_t used = 0;
	for (size_t i = 0; i < loader->section_count; i++) {
		const struct section *section = loader->sections[i];
		if (!section->valid || section->kind == SECTION_TEND)
			continue;
		bool instances = section->kind == SECTION_SERVICE && section->u.service.instances > 0;
		for (size_t k = 0; k < copies_of(section); k++) {
			struct tree_name *entry = &names[used++];
			*entry = (struct tree_name){section->name, false, section, i * CONFIG_INSTANCES_MAX + k};
			if (!instances)
				continue;
			struct strbuf built = {0};
			strbuf_printf(&built, "%s.%zu", section->name, k);
			entry->name = strbuf_take(&built);
			entry->owned = true;
			if (entry->name == NULL) {
				entry->name = section->name;
				entry->owned = false;
				loader_out_of_memory(loader);
			}
		}
	}
	qsort(names, used, sizeof *names, compare_tree_names);
	*count = used;
	return names;
}

static void report_clash(struct loader *loader, const struct tree_name *first,
			 const struct tree_name *second)
{
	char label[EXCERPT_SIZE + 16], first_label[EXCERPT_SIZE + 16];
	section_label(second->section, label, sizeof label);
	section_label(first->section, first_label, sizeof first_label);
	if (first->section == second->section)
		return;
	if (second->owned || first->owned)
		loader_error_in(loader, second->section->file_index, second->section->origin.line,
				"%s: name '%s' is already used by %s at %s:%d", label, second->name,
				first_label, first->section->origin.file, first->section->origin.line);
	else
		loader_error_in(loader, second->section->file_index, second->section->origin.line,
				"%s has the same name as %s at %s:%d", label, first_label,
				first->section->origin.file, first->section->origin.line);
}

static const struct tree_name *find_group_name(const struct tree_name *names, size_t count,
					       const char *name, size_t length)
{
	size_t low = 0, high = count;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = strncmp(names[middle].name, name, length);
		if (order == 0 && names[middle].name[length] != '\0')
			order = 1;
		if (order < 0)
			low = middle + 1;
		else
			high = middle;
	}
	for (; low < count && strncmp(names[low].name, name, length) == 0 &&
	       names[low].name[length] == '\0'; low++)
		if (names[low].section->kind == SECTION_GROUP)
			return &names[low];
	return NULL;
}

static void check_parents(struct loader *loader, const struct tree_name *names, size_t count)
{
	for (size_t i = 0; i < loader->section_count; i++) {
		const struct section *section = loader->sections[i];
		if (!section->valid || section->kind == SECTION_TEND)
			continue;
		const char *slash = strrchr(section->name, '/');
		if (slash == NULL)
			continue;
		size_t length = (size_t)(slash - section->name);
		if (find_group_name(names, count, section->name, length) == NULL) {
			char label[EXCERPT_SIZE + 16];
			section_label(section, label, sizeof label);
			loader_error_in(loader, section->file_index, section->origin.line,
					"%s: its group '%.*s' is not declared", label, (int)length,
					section->name);
		}
	}
}

static void check_names(struct loader *loader, size_t total)
{
	size_t count = 0;
	struct tree_name *names = collect_names(loader, total, &count);
	if (names == NULL) {
		loader_out_of_memory(loader);
		return;
	}
	for (size_t i = 1; i < count; i++)
		if (strcmp(names[i - 1].name, names[i].name) == 0)
			report_clash(loader, &names[i - 1], &names[i]);
	check_parents(loader, names, count);
	for (size_t i = 0; i < count; i++)
		if (names[i].owned)
			free(names[i].name);
	free(names);
}

static void check_main_services(struct loader *loader)
{
	const struct section *first = NULL;
	for (size_t i = 0; i < loader->section_count; i++) {
		const struct section *section = loader->sections[i];
		if (section->kind != SECTION_SERVICE || !section->u.service.settings.main)
			continue;
		if (first == NULL) {
			first = section;
			continue;
		}
		char label[EXCERPT_SIZE + 16];
		section_label(first, label, sizeof label);
		loader_error_in(loader, section->file_index, line_of(section, "main"),
				"'main = yes' is already set on %s at %s:%d", label,
				first->origin.file, first->origin.line);
	}
}

/* With `-- CMD`: a root child named main, or a main service, conflicts
 * (the same words as config_add_main_command, which checks the model). */
static void check_main_command(struct loader *loader)
{
	for (size_t i = 0; i < loader->section_count; i++) {
		const struct section *section = loader->sections[i];
		bool service = section->kind == SECTION_SERVICE;
		if (section->kind == SECTION_TEND || !section->valid)
			continue;
		if (strcmp(section->name, "main") == 0 &&
		    (!service || section->u.service.instances == 0))
			loader_error_in(loader, section->file_index, section->origin.line,
					"[%s:main] conflicts with the command given after -- "
					"(it becomes the service 'main')",
					service ? "service" : "group");
		if (service && section->u.service.settings.main)
			loader_error_in(loader, section->file_index, section->origin.line,
					"[service:%s] has 'main = yes', which conflicts with the "
					"command given after --", section->name);
	}
}

void loader_check_tree(struct loader *loader)
{
	size_t total_services = 0, total_names = 0;
	for (size_t i = 0; i < loader->section_count; i++) {
		struct section *section = loader->sections[i];
		if (section->kind == SECTION_SERVICE)
			check_service(loader, section);
		else
			check_backoff(loader, section, &section->u.group.backoff);
		if (section->kind == SECTION_SERVICE)
			total_services += copies_of(section);
		total_names += copies_of(section);
		if (section->kind == SECTION_SERVICE && total_services > CONFIG_SERVICES_MAX) {
			loader_error_in(loader, section->file_index, section->origin.line,
					"too many services (at most %d in the tree)",
					CONFIG_SERVICES_MAX);
			return;
		}
	}
	check_main_services(loader);
	if (loader->command_follows)
		check_main_command(loader);
	check_names(loader, total_names);
}

/* ---- the model ---- */

static int group_index_of(const struct config *config, const char *name, size_t length)
{
	/* the root is "": a name without '/' has length 0 here */
	for (size_t i = 0; i < config->group_count; i++)
		if (strncmp(config->groups[i].name, name, length) == 0 &&
		    config->groups[i].name[length] == '\0')
			return (int)i;
	return 0;
}

static size_t parent_length(const char *name)
{
	const char *slash = strrchr(name, '/');
	return slash ? (size_t)(slash - name) : 0;
}

static int build_groups(struct loader *loader, size_t count)
{
	struct config *config = loader->config;
	config->groups = xcalloc(count, sizeof *config->groups);
	if (config->groups == NULL)
		return -1;
	struct config_group *root = &config->groups[0];
	if (loader->tend != NULL) {
		*root = loader->tend->u.group;
		root->origin = loader->tend->origin;
		config_group_defaults(&loader->tend->u.group);
	} else {
		config_group_defaults(root);
		root->origin = (struct config_origin){config->files[0], 0};
	}
	config->group_count = 1;
	if ((root->name = xstrdup("")) == NULL)
		return -1;
	for (size_t i = 0; i < loader->section_count; i++) {
		struct section *section = loader->sections[i];
		if (section->kind != SECTION_GROUP)
			continue;
		struct config_group *group = &config->groups[config->group_count++];
		*group = section->u.group;
		config_group_defaults(&section->u.group);
		group->name = section->name;
		section->name = NULL;
		group->origin = section->origin;
	}
	/* parents are found once every group has its name */
	for (size_t i = 1; i < config->group_count; i++) {
		const char *name = config->groups[i].name;
		config->groups[i].parent = group_index_of(config, name, parent_length(name));
	}
	return 0;
}

/* One service (copy k of its section). */
static int build_service(struct config_service *service, const struct section *section, long k)
{
	const struct pending_service *pending = &section->u.service;
	if (config_service_copy(service, &pending->settings) < 0)
		return -1;
	if (pending->instances > 0) {
		char suffix[24];
		int length = snprintf(suffix, sizeof suffix, ".%ld", k);
		size_t base = strlen(section->name);
		service->name = malloc(base + (size_t)length + 1);
		if (service->name != NULL) {
			memcpy(service->name, section->name, base);
			memcpy(service->name + base, suffix, (size_t)length + 1);
		}
	} else {
		service->name = xstrdup(section->name);
	}
	service->base_name = xstrdup(section->name);
	service->instance = pending->instances > 0 ? (int)k : -1;
	service->origin = section->origin;
	const char *error;
	service->argv = argv_split(pending->command, (int)k, &error);
	if (pending->check != NULL)
		service->check_argv = argv_split(pending->check, (int)k, &error);
	bool complete = service->name && service->base_name && service->argv &&
		(pending->check == NULL || service->check_argv);
	return complete ? 0 : -1;
}

static int build_services(struct loader *loader, size_t count)
{
	struct config *config = loader->config;
	config->services = xcalloc(count, sizeof *config->services);
	if (config->services == NULL)
		return -1;
	for (size_t i = 0; i < loader->section_count; i++) {
		const struct section *section = loader->sections[i];
		if (section->kind != SECTION_SERVICE)
			continue;
		size_t group = (size_t)group_index_of(config, section->name,
						      parent_length(section->name));
		for (size_t k = 0; k < copies_of(section); k++) {
			struct config_service *service = &config->services[config->service_count++];
			if (build_service(service, section, (long)k) < 0)
				return -1;
			service->group = group;
			if (service->main)
				config->main_service = (ssize_t)(config->service_count - 1);
		}
	}
	return 0;
}

static void add_child(struct config_group *group, enum child_kind kind, size_t index)
{
	group->children[group->child_count++] = (struct config_child){kind, index};
}

/* Children in order of appearance: walk the sections again, counting. */
static int build_children(struct config *config, size_t *counts,
			  struct section *const *sections, size_t section_count)
{
	for (size_t i = 0; i < config->group_count; i++) {
		config->groups[i].children = xcalloc(counts[i], sizeof(struct config_child));
		if (config->groups[i].children == NULL)
			return -1;
	}
	size_t next_group = 1, next_service = 0;
	for (size_t i = 0; i < section_count; i++) {
		const struct section *section = sections[i];
		if (section->kind == SECTION_GROUP) {
			size_t index = next_group++;
			add_child(&config->groups[config->groups[index].parent], CHILD_GROUP, index);
		} else if (section->kind == SECTION_SERVICE) {
			for (size_t k = 0; k < copies_of(section); k++, next_service++)
				add_child(&config->groups[config->services[next_service].group],
					  CHILD_SERVICE, next_service);
		}
	}
	return 0;
}

static size_t required_children(const struct config *config, const struct config_group *group)
{
	size_t required = 0;
	for (size_t i = 0; i < group->child_count; i++)
		if (group->children[i].kind == CHILD_GROUP ||
		    config->services[group->children[i].index].ready_required)
			required++;
	return required;
}

static void check_quorum(struct loader *loader, const struct section *section,
			 const struct config_group *group, bool root)
{
	size_t required = required_children(loader->config, group);
	if (section == NULL || group->quorum_kind != QUORUM_COUNT ||
	    (size_t)group->quorum_value <= required)
		return;
	loader_error_in(loader, section->file_index, line_of(section, "ready-quorum"),
			"ready-quorum %d is more than the %zu ready-required children of %s%s",
			group->quorum_value, required, root ? "the root" : "group ",
			root ? "" : group->name);
}

/* A group that could never be ready is a mistake in the file. Group i >= 1
 * was built from the i-th [group:...] section. */
static void check_quorums(struct loader *loader)
{
	const struct config *config = loader->config;
	check_quorum(loader, loader->tend, &config->groups[0], true);
	size_t index = 1;
	for (size_t i = 0; i < loader->section_count; i++)
		if (loader->sections[i]->kind == SECTION_GROUP)
			check_quorum(loader, loader->sections[i], &config->groups[index++], false);
}

int loader_build(struct loader *loader)
{
	struct config *config = loader->config;
	size_t group_count = 1, service_count = 0;
	for (size_t i = 0; i < loader->section_count; i++) {
		const struct section *section = loader->sections[i];
		group_count += section->kind == SECTION_GROUP;
		service_count += section->kind == SECTION_SERVICE ? copies_of(section) : 0;
	}
	if (build_groups(loader, group_count) < 0 || build_services(loader, service_count) < 0)
		goto out_of_memory;
	size_t *counts = xcalloc(config->group_count, sizeof *counts);
	if (counts == NULL)
		goto out_of_memory;
	for (size_t i = 1; i < config->group_count; i++)
		counts[config->groups[i].parent]++;
	for (size_t i = 0; i < config->service_count; i++)
		counts[config->services[i].group]++;
	int built = build_children(config, counts, loader->sections, loader->section_count);
	free(counts);
	if (built < 0)
		goto out_of_memory;
	size_t problems = loader->diagnostics->count;
	check_quorums(loader);
	return loader->diagnostics->count == problems ? 0 : -1;
out_of_memory:
	loader_out_of_memory(loader);
	return -1;
}
