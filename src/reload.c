/* reload.c: apply a new config to the running tree (SPEC §5, reload.h).
 *
 * The new model is loaded and validated whole first; an invalid one
 * changes nothing. A valid one is matched to the running tree by name:
 *
 * - Kept (same name, same settings): the same object, untouched (pid,
 *   state, restart count, a `tendctl stop` hold); its config pointer moves
 *   to the new model's equal entry.
 * - Changed service: the same object (its restart count, its hold go on).
 *   Running: stopped with its old settings, and once the process is gone it
 *   takes the new ones (service->next_config) and its group starts it again
 *   (a wanted child that comes down while its group runs is started: the
 *   same path as `tendctl restart`). Down (stopped, held, backoff, exited,
 *   failed): it takes the new settings at once and stays as it is.
 * - Changed group (its own keys): the new settings apply in place; its
 *   children are compared one by one, so a group is never restarted for a
 *   change of its own keys (a new max-restarts starts the intensity count
 *   afresh; a new restart-period applies to the restarts counted so far).
 * - New: made and started if its group is running (per the group's
 *   `start` order) and its `autostart` says so.
 * - Removed: taken out of the tree and made children of a group of their
 *   own (reload.removed), which stops them (in parallel, each per its
 *   stop-signal and stop-timeout); once all of it is down they are freed.
 *
 * Names are paths, so a service cannot move between groups: under another
 * group it has another name (removed, and a new one added). Objects are
 * allocated one by one (tree.c), so what is kept keeps its address: its
 * timers, watches, reaper entry and health state need no moving.
 *
 * Models: a removed thing still stopping, or a changed one whose old
 * process is still being stopped, points into the model it was made
 * from; such models are kept (reload.models) until nothing points into
 * them, then freed. A reload while earlier stops are still going applies
 * on top: more removed things join the stopping group, a changed service
 * still stopping gets the newest settings. */
#include "reload.h"

#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "events.h"
#include "group.h"
#include "health.h"
#include "log.h"
#include "loop.h"
#include "server.h"
#include "service.h"
#include "tree.h"

static struct {
	struct group removed;      /* parent of what reloads removed, stopping */
	struct config_group removed_config;
	bool removed_ready;        /* removed is initialised */
	struct config **models;    /* earlier models something may point into */
	size_t model_count;
} reload;

/* A reload that adds again a service a reload removed, while that one's
 * process is still being stopped, takes the old object back into the tree
 * (so that its new process starts once the old one is gone, never beside
 * it). Its slot among the removed is filled with `gone`, a stand-in that is
 * always at rest and never freed. */
static struct config_service gone_config;
static struct service gone;

/* `gone`, set up when first used rather than by initialisers: zero-
 * initialised, the two take no room in the binary's initialised data. */
static struct service *stand_in(void)
{
	if (gone.config == NULL) {
		gone_config.name = (char *)"(gone)";
		gone = (struct service){ .config = &gone_config, .state = SERVICE_STOPPED,
					 .report = { .fd = -1 }, .readiness = { .fd = -1 } };
	}
	return &gone;
}

/* ---- what counts as a change ---- */

bool reload_service_unchanged(const struct config_service *a, const struct config_service *b)
{
	struct config_service copy = *b;
	copy.autostart = a->autostart;
	return config_service_equal(a, &copy);
}

bool reload_group_unchanged(const struct config_group *a, const struct config_group *b)
{
	struct config_group copy = *b;
	copy.autostart = a->autostart;
	return config_group_equal(NULL, a, NULL, &copy);
}

/* ---- the removed things ---- */

static void free_node(struct node node)
{
	if (node.kind == CHILD_SERVICE && node.service == &gone)
		return;
	if (node.kind == CHILD_SERVICE) {
		service_free(node.service);
		free(node.service);
		return;
	}
	for (size_t i = 0; i < node.group->child_count; i++)
		free_node(node.group->children[i]);
	group_free(node.group);
	free(node.group);
}

static void for_each_removed_service(struct node node, void (*action)(struct service *, int), int argument)
{
	if (node.kind == CHILD_SERVICE) {
		if (node.service != &gone)
			action(node.service, argument);
		return;
	}
	for (size_t i = 0; i < node.group->child_count; i++)
		for_each_removed_service(node.group->children[i], action, argument);
}

static void walk_removed(void (*action)(struct service *, int), int argument)
{
	for (size_t i = 0; reload.removed_ready && i < reload.removed.child_count; i++)
		for_each_removed_service(reload.removed.children[i], action, argument);
}

static void signal_one(struct service *service, int signal_number)
{
	service_signal(service, signal_number, true);
}

static void check_lingering_one(struct service *service, int unused)
{
	(void)unused;
	service_check_lingering(service);
}

void reload_signal_removed(int signal_number) { walk_removed(signal_one, signal_number); }
void reload_check_lingering(void) { walk_removed(check_lingering_one, 0); }

static void free_models(void)
{
	if (reload.model_count > 0)
		log_event(LOG_LEVEL_DEBUG, NULL, "reload", "%zu earlier config%s freed", reload.model_count,
			  reload.model_count == 1 ? "" : "s");
	for (size_t i = 0; i < reload.model_count; i++)
		config_free(reload.models[i]);
	free(reload.models);
	reload.models = NULL;
	reload.model_count = 0;
}

void reload_collect(void *unused, int what, size_t index)
{
	(void)unused;
	(void)what;
	(void)index;
	if (reload.model_count == 0 || (reload.removed_ready && reload.removed.child_count > 0))
		return;
	for (size_t i = 0; i < tree_service_count(); i++)
		if (tree_service(i)->next_config != NULL)
			return;
	free_models();
}

static void free_removed(void *unused, int what, size_t index)
{
	(void)unused;
	(void)what;
	(void)index;
	/* More may have been removed since the group reported: then it is
	 * stopping again, and reports again. */
	if (!reload.removed_ready || !group_is_down(&reload.removed))
		return;
	for (size_t i = 0; i < reload.removed.child_count; i++)
		free_node(reload.removed.children[i]);
	free(reload.removed.children);
	reload.removed.children = NULL;
	reload.removed.child_count = 0;
	reload_collect(NULL, 0, 0);
}

bool reload_is_removed_group(const struct group *group)
{
	return group == &reload.removed;
}

void reload_removed_event(void *group, int what)
{
	if (group != &reload.removed || (enum child_event)what != CHILD_DOWN)
		return;
	/* From the queue, after whatever the removed services posted before. */
	loop_post(free_removed, NULL, 0, 0);
}

static int removed_init(void)
{
	if (reload.removed_ready)
		return 0;
	reload.removed_config = (struct config_group){
		.name = (char *)"(removed)", .parent = -1, .strategy = STRATEGY_ONE_FOR_ONE,
		.max_restarts = 0, .restart_period_ms = 1, .start = ORDER_PARALLEL,
		.stop = ORDER_PARALLEL, .quorum_kind = QUORUM_ALL, .autostart = false,
	};
	if (group_init(&reload.removed, &reload.removed_config, NULL, 0, 0) < 0)
		return -1;
	reload.removed_ready = true;
	return 0;
}

void reload_release(void)
{
	if (reload.removed_ready) {
		for (size_t i = 0; i < reload.removed.child_count; i++)
			free_node(reload.removed.children[i]);
		group_free(&reload.removed);
		reload.removed_ready = false;
	}
	free_models();
}

/* ---- one reload ---- */

struct tally {
	size_t added, removed, changed, unchanged;
};

struct plan {
	struct config *config;        /* the new model */
	struct service **services;    /* in the new model's order */
	struct group **groups;
	bool *fresh_services, *fresh_groups; /* made by this reload */
	bool *restart;                /* kept services to stop and start again */
	struct node **revived;        /* a removed service's slot, taken back */
	struct node **children;       /* kept groups' new children arrays */
	struct intensity *windows;    /* kept groups' new intensity windows */
	bool *new_window;
	bool *old_services_kept, *old_groups_kept;
	struct node *removed;         /* top-level removed nodes */
	size_t removed_count;
	struct tally tally;
};

static size_t find_old_service(const char *name, size_t hint)
{
	size_t count = tree_service_count();
	if (hint < count && strcmp(tree_service(hint)->config->name, name) == 0)
		return hint;
	for (size_t i = 0; i < count; i++)
		if (strcmp(tree_service(i)->config->name, name) == 0)
			return i;
	return SIZE_MAX;
}

static size_t find_old_group(const char *name, size_t hint)
{
	size_t count = tree_group_count();
	if (hint < count && strcmp(tree_group(hint)->config->name, name) == 0)
		return hint;
	for (size_t i = 0; i < count; i++)
		if (strcmp(tree_group(i)->config->name, name) == 0)
			return i;
	return SIZE_MAX;
}

static struct node *find_stopping_in(struct group *group, const char *name)
{
	for (size_t i = 0; i < group->child_count; i++) {
		struct node *node = &group->children[i];
		if (node->kind == CHILD_GROUP) {
			struct node *found = find_stopping_in(node->group, name);
			if (found != NULL)
				return found;
		} else if (node->service != &gone && node->service->state == SERVICE_STOPPING &&
			   strcmp(node->service->config->name, name) == 0) {
			return node;
		}
	}
	return NULL;
}

static struct node *find_stopping_removed(const char *name)
{
	return reload.removed_ready ? find_stopping_in(&reload.removed, name) : NULL;
}

/* Undo what prepare() made (nothing of the running tree was touched). */
static void plan_undo(struct plan *plan)
{
	const struct config *config = plan->config;
	for (size_t i = 0; plan->services && plan->fresh_services && i < config->service_count; i++)
		if (plan->fresh_services[i] && plan->services[i] != NULL) {
			service_free(plan->services[i]);
			free(plan->services[i]);
		}
	for (size_t i = 0; plan->groups && plan->fresh_groups && i < config->group_count; i++) {
		if (plan->fresh_groups[i] && plan->groups[i] != NULL) {
			group_free(plan->groups[i]);
			free(plan->groups[i]);
		}
		if (plan->children)
			free(plan->children[i]);
		if (plan->new_window && plan->new_window[i])
			intensity_free(&plan->windows[i]);
	}
	free(plan->services);
	free(plan->groups);
}

static void plan_free(struct plan *plan)
{
	free(plan->fresh_services);
	free(plan->fresh_groups);
	free(plan->restart);
	free(plan->revived);
	free(plan->children);
	free(plan->windows);
	free(plan->new_window);
	free(plan->old_services_kept);
	free(plan->old_groups_kept);
	free(plan->removed);
}

/* Everything that needs memory, before anything changes: on failure
 * (returns -1) the running tree is as it was. */
static int prepare(struct plan *plan)
{
	const struct config *config = plan->config;
	size_t services = config->service_count, groups = config->group_count;
	size_t old_services = tree_service_count(), old_groups = tree_group_count();
	plan->services = calloc(services ? services : 1, sizeof *plan->services);
	plan->groups = calloc(groups, sizeof *plan->groups);
	plan->fresh_services = calloc(services ? services : 1, sizeof *plan->fresh_services);
	plan->fresh_groups = calloc(groups, sizeof *plan->fresh_groups);
	plan->restart = calloc(services ? services : 1, sizeof *plan->restart);
	plan->revived = calloc(services ? services : 1, sizeof *plan->revived);
	plan->children = calloc(groups, sizeof *plan->children);
	plan->windows = calloc(groups, sizeof *plan->windows);
	plan->new_window = calloc(groups, sizeof *plan->new_window);
	plan->old_services_kept = calloc(old_services ? old_services : 1, sizeof(bool));
	plan->old_groups_kept = calloc(old_groups ? old_groups : 1, sizeof(bool));
	plan->removed = calloc(old_services + old_groups + 1, sizeof *plan->removed);
	if (!plan->services || !plan->groups || !plan->fresh_services || !plan->fresh_groups ||
	    !plan->restart || !plan->revived ||
	    !plan->children || !plan->windows || !plan->new_window || !plan->old_services_kept ||
	    !plan->old_groups_kept || !plan->removed)
		return -1;
	for (size_t j = 0; j < groups; j++) {
		const struct config_group *entry = &config->groups[j];
		size_t old = find_old_group(entry->name, j);
		if (old == SIZE_MAX) {
			plan->groups[j] = calloc(1, sizeof *plan->groups[j]);
			plan->fresh_groups[j] = true;
			if (plan->groups[j] == NULL ||
			    group_init(plan->groups[j], entry, NULL, 0, entry->child_count) < 0)
				return -1;
			continue;
		}
		struct group *group = tree_group(old);
		plan->groups[j] = group;
		plan->old_groups_kept[old] = true;
		if (entry->child_count > 0 &&
		    (plan->children[j] = calloc(entry->child_count, sizeof **plan->children)) == NULL)
			return -1;
		if (entry->max_restarts != group->config->max_restarts) {
			if (intensity_init(&plan->windows[j], entry->max_restarts) < 0)
				return -1;
			plan->new_window[j] = true;
		}
	}
	for (size_t i = 0; i < services; i++) {
		const struct config_service *entry = &config->services[i];
		size_t old = find_old_service(entry->name, i);
		if (old != SIZE_MAX) {
			plan->services[i] = tree_service(old);
			plan->old_services_kept[old] = true;
			continue;
		}
		struct node *slot = find_stopping_removed(entry->name);
		if (slot != NULL) {
			plan->services[i] = slot->service;
			plan->revived[i] = slot;
			continue;
		}
		plan->services[i] = malloc(sizeof *plan->services[i]);
		plan->fresh_services[i] = true;
		if (plan->services[i] == NULL)
			return -1;
		service_init(plan->services[i], entry, NULL, 0);
		if (health_attach(plan->services[i]) < 0)
			return -1;
	}
	if (tree_reserve(config) < 0 || removed_init() < 0)
		return -1;
	return 0;
}

/* Kept things were wired to their new parent already; removed ones to
 * reload.removed. */
static bool node_kept(struct node node)
{
	return node.kind == CHILD_SERVICE ? node.service->parent != &reload.removed
					  : node.group->parent != &reload.removed;
}

/* Where a group's index-based range (a restart in progress) goes in its
 * new children: the first kept child at or after it. */
static size_t map_index(size_t from, const struct node *old_children, size_t old_count,
			const struct group *group)
{
	if (from == SIZE_MAX)
		return SIZE_MAX;
	for (size_t i = from; i < old_count; i++) {
		struct node node = old_children[i];
		if (node_kept(node))
			return node.kind == CHILD_SERVICE ? node.service->index : node.group->index;
	}
	return group->child_count;
}

static void note_removed(struct plan *plan, struct node node)
{
	if (node.kind == CHILD_SERVICE)
		node.service->parent = &reload.removed;
	else
		node.group->parent = &reload.removed;
	plan->removed[plan->removed_count++] = node;
}

static void count_removed(struct node node, struct tally *tally)
{
	tally->removed++;
	log_event(LOG_LEVEL_INFO, node.kind == CHILD_SERVICE ? node.service->config->name
							  : node.group->config->name,
		  "reload", "removed: stopping");
	if (node.kind == CHILD_GROUP)
		for (size_t i = 0; i < node.group->child_count; i++)
			count_removed(node.group->children[i], tally);
}

/* Wire the new tree: each group's children in the new order, each child's
 * parent and index. Cannot fail. */
static void wire(struct plan *plan)
{
	const struct config *config = plan->config;
	/* The removed top-level nodes first, from the old tree's groups that
	 * are kept (a removed group takes its subtree along). */
	for (size_t k = 0; k < tree_group_count(); k++) {
		if (!plan->old_groups_kept[k])
			continue;
		struct group *group = tree_group(k);
		for (size_t i = 0; i < group->child_count; i++) {
			struct node node = group->children[i];
			bool kept = false;
			for (size_t s = 0; node.kind == CHILD_SERVICE && s < tree_service_count(); s++)
				if (tree_service(s) == node.service) {
					kept = plan->old_services_kept[s];
					break;
				}
			for (size_t g = 0; node.kind == CHILD_GROUP && g < tree_group_count(); g++)
				if (tree_group(g) == node.group) {
					kept = plan->old_groups_kept[g];
					break;
				}
			if (!kept) {
				note_removed(plan, node);
				count_removed(node, &plan->tally);
			}
		}
	}
	/* Services taken back from the removed: `gone` stands in their slot. */
	for (size_t i = 0; i < config->service_count; i++)
		if (plan->revived[i] != NULL)
			*plan->revived[i] = (struct node){ .kind = CHILD_SERVICE, .service = stand_in() };
	/* Then each group's new children. */
	for (size_t j = 0; j < config->group_count; j++) {
		struct group *group = plan->groups[j];
		const struct config_group *entry = &config->groups[j];
		struct node *children = plan->fresh_groups[j] ? group->children : plan->children[j];
		for (size_t c = 0; c < entry->child_count; c++) {
			const struct config_child *child = &entry->children[c];
			if (child->kind == CHILD_SERVICE) {
				struct service *service = plan->services[child->index];
				service->parent = group;
				service->index = c;
				children[c] = (struct node){ .kind = CHILD_SERVICE, .service = service };
			} else {
				struct group *sub = plan->groups[child->index];
				sub->parent = group;
				sub->index = c;
				children[c] = (struct node){ .kind = CHILD_GROUP, .group = sub };
			}
		}
	}
	plan->groups[0]->parent = NULL;
	plan->groups[0]->index = 0;
	/* Kept groups take their new children, settings and ranges. */
	for (size_t j = 0; j < config->group_count; j++) {
		struct group *group = plan->groups[j];
		const struct config_group *entry = &config->groups[j];
		if (plan->fresh_groups[j]) {
			plan->tally.added++;
			if (j > 0)
				log_event(LOG_LEVEL_INFO, entry->name, "reload", "added");
			continue;
		}
		struct node *old_children = group->children;
		size_t old_count = group->child_count;
		group->children = plan->children[j];
		plan->children[j] = NULL;
		group->child_count = entry->child_count;
		group->range_from = map_index(group->range_from, old_children, old_count, group);
		group->pending_from = map_index(group->pending_from, old_children, old_count, group);
		if (group->pending_from == group->child_count)
			group->pending_from = SIZE_MAX;
		free(old_children);
		bool unchanged = reload_group_unchanged(group->config, entry);
		if (j > 0) {
			if (unchanged)
				plan->tally.unchanged++;
			else
				plan->tally.changed++;
		}
		if (!unchanged)
			log_event(LOG_LEVEL_INFO, j > 0 ? entry->name : "(root)", "reload",
				  "changed: its new settings apply now (its children are not restarted for them)");
		group->config = entry;
		if (plan->new_window[j]) {
			intensity_free(&group->window);
			group->window = plan->windows[j];
			plan->new_window[j] = false;
		}
	}
}

/* Services: untouched, new settings now, or new settings after a stop. */
static void settle_services(struct plan *plan)
{
	const struct config *config = plan->config;
	for (size_t i = 0; i < config->service_count; i++) {
		struct service *service = plan->services[i];
		const struct config_service *entry = &config->services[i];
		if (plan->fresh_services[i]) {
			plan->tally.added++;
			log_event(LOG_LEVEL_INFO, entry->name, "reload", "added");
			continue;
		}
		if (plan->revived[i] != NULL) {
			/* Removed before and still stopping: back in the tree,
			 * it starts with these settings once it is down. */
			plan->tally.added++;
			service->next_config = entry;
			service->wanted_up = entry->autostart;
			log_event(LOG_LEVEL_INFO, entry->name, "reload",
				  "added: its earlier process is still stopping; it starts once that is gone");
			continue;
		}
		const struct config_service *settings =
			service->next_config != NULL ? service->next_config : service->config;
		if (reload_service_unchanged(settings, entry)) {
			plan->tally.unchanged++;
			if (service->next_config != NULL)
				service->next_config = entry;
			else
				service->config = entry; /* equal settings: nothing else moves */
			continue;
		}
		plan->tally.changed++;
		switch (service->state) {
		case SERVICE_STOPPING:
			service->next_config = entry;
			log_event(LOG_LEVEL_INFO, entry->name, "reload",
				  "changed: the new settings apply once it has stopped");
			break;
		case SERVICE_STARTING:
		case SERVICE_RUNNING:
			service->next_config = entry;
			plan->restart[i] = true;
			log_event(LOG_LEVEL_INFO, entry->name, "reload", "changed: restarting");
			break;
		case SERVICE_STOPPED:
		case SERVICE_BACKOFF:
		case SERVICE_EXITED:
		case SERVICE_FAILED:
			service->next_config = NULL;
			service_apply_config(service, entry);
			log_event(LOG_LEVEL_INFO, entry->name, "reload",
				  "changed: the new settings apply when it next starts");
			break;
		}
	}
}

/* [tend] keys a reload does not apply keep their running values in the
 * new model (so whatever reads them sees what is in effect). */
static void keep_unapplied(struct config *config, struct config *old, struct strbuf *report)
{
	const char *socket_new = config->socket_path ? config->socket_path : "none";
	const char *socket_old = old->socket_path ? old->socket_path : "none";
	if (strcmp(socket_new, socket_old) != 0) {
		log_event(LOG_LEVEL_WARN, NULL, "reload",
			  "socket changed (%s -> %s): applies when tend starts again", socket_old,
			  socket_new);
		strbuf_printf(report, "not applied: socket %s (tend keeps %s until it starts again)\n",
			      socket_new, socket_old);
	}
	if (strcmp(config->health_dir, old->health_dir) != 0) {
		log_event(LOG_LEVEL_WARN, NULL, "reload",
			  "health-dir changed (%s -> %s): applies when tend starts again",
			  old->health_dir, config->health_dir);
		strbuf_printf(report, "not applied: health-dir %s (tend keeps %s until it starts again)\n",
			      config->health_dir, old->health_dir);
	}
	if (config->heartbeat_ms != old->heartbeat_ms) {
		log_event(LOG_LEVEL_WARN, NULL, "reload",
			  "heartbeat changed (%lld ms -> %lld ms): applies when tend starts again",
			  (long long)old->heartbeat_ms, (long long)config->heartbeat_ms);
		strbuf_printf(report, "not applied: heartbeat (tend keeps %lld ms until it starts again)\n",
			      (long long)old->heartbeat_ms);
	}
	char *swap = config->socket_path;
	config->socket_path = old->socket_path;
	old->socket_path = swap;
	swap = config->health_dir;
	config->health_dir = old->health_dir;
	old->health_dir = swap;
	config->heartbeat_ms = old->heartbeat_ms;
}

static void append_removed(struct plan *plan)
{
	if (plan->removed_count == 0)
		return;
	struct group *removed = &reload.removed;
	struct node *grown = realloc(removed->children,
				     (removed->child_count + plan->removed_count) * sizeof *grown);
	if (grown == NULL) {
		/* Cannot keep them to stop them later: SIGKILL now, and let
		 * the reaper collect them as orphans. */
		log_error("out of memory keeping the removed services: killing them");
		for (size_t i = 0; i < plan->removed_count; i++) {
			for_each_removed_service(plan->removed[i], signal_one, SIGKILL);
			free_node(plan->removed[i]);
		}
		return;
	}
	removed->children = grown;
	for (size_t i = 0; i < plan->removed_count; i++) {
		struct node node = plan->removed[i];
		size_t index = removed->child_count++;
		if (node.kind == CHILD_SERVICE)
			node.service->index = index;
		else
			node.group->index = index;
		removed->children[index] = node;
	}
	group_stop(removed);
}

static bool child_fresh(const struct plan *plan, const struct config_child *child)
{
	return child->kind == CHILD_SERVICE ? plan->fresh_services[child->index] ||
						      plan->revived[child->index] != NULL
					    : plan->fresh_groups[child->index];
}

/* The new children of kept group j, if it runs: started as its start
 * phase starts children (from the first new one on, in order). A group
 * in the middle of restarting a range starts those before the range at
 * once (the range is its own business). */
static void start_fresh_children(struct plan *plan, size_t j)
{
	struct group *group = plan->groups[j];
	const struct config_group *entry = &plan->config->groups[j];
	size_t first = SIZE_MAX;
	for (size_t c = 0; c < entry->child_count && first == SIZE_MAX; c++)
		if (child_fresh(plan, &entry->children[c]))
			first = c;
	if (first == SIZE_MAX || (group->state != GROUP_UP && group->state != GROUP_STARTING))
		return;
	switch (group->phase) {
	case PHASE_IDLE:
		group->phase = PHASE_STARTING;
		group->state = GROUP_STARTING;
		group->range_from = first;
		return;
	case PHASE_STARTING:
		if (first < group->range_from)
			group->range_from = first;
		return;
	case PHASE_STOPPING:
		if (group->after != AFTER_RESTART)
			return; /* going down */
		for (size_t c = first; c < group->range_from && c < group->child_count; c++) {
			struct node node = group->children[c];
			if (!child_fresh(plan, &entry->children[c]))
				continue;
			if (node.kind == CHILD_SERVICE && node.service->wanted_up)
				service_step(node.service, EVENT_START);
			else if (node.kind == CHILD_GROUP && node.group->wanted_up)
				group_start(node.group);
		}
		return;
	}
}

/* A group among the removed may have lost its last running child to a
 * revival: look again, bottom up, so it finishes its stop and reports. */
static void reconcile_removed(struct group *group)
{
	for (size_t i = 0; i < group->child_count; i++)
		if (group->children[i].kind == CHILD_GROUP)
			reconcile_removed(group->children[i].group);
	group_reconcile(group);
}

/* Start what is new in the groups that run; readiness by the new quorums. */
static void start_new(struct plan *plan)
{
	const struct config *config = plan->config;
	for (size_t i = 0; i < config->service_count; i++) {
		struct service *service = plan->services[i];
		if (plan->restart[i] &&
		    (service->state == SERVICE_STARTING || service->state == SERVICE_RUNNING))
			service_step(service, EVENT_STOP);
	}
	for (size_t j = 0; j < config->group_count; j++) {
		if (plan->fresh_groups[j])
			continue; /* its parent starts it, if it starts */
		start_fresh_children(plan, j);
		group_reconcile(plan->groups[j]);
	}
	for (size_t i = 0; i < config->service_count; i++)
		if (plan->revived[i] != NULL) {
			reconcile_removed(&reload.removed);
			break;
		}
}

static void log_report_lines(const char *text)
{
	while (*text != '\0') {
		const char *end = strchr(text, '\n');
		size_t length = end ? (size_t)(end - text) : strlen(text);
		log_event(LOG_LEVEL_ERROR, NULL, "reload", "%.*s", (int)length, text);
		text += length + (end != NULL);
	}
}

int reload_run(struct strbuf *report)
{
	/* What is queued speaks of the tree as it is: deliver it first, so
	 * nothing arrives for a child at an index that moved (and a shutdown
	 * it begins is seen below). */
	loop_deliver();
	if (tree_shutting_down()) {
		strbuf_printf(report, "reload refused: tend is shutting down\n");
		log_event(LOG_LEVEL_WARN, NULL, "reload", "reload refused: tend is shutting down");
		return 1;
	}
	log_event(LOG_LEVEL_INFO, NULL, "reload", "reloading %s", tree_options()->config_path);
	struct diagnostics diagnostics = { 0 };
	struct config *config = tree_load_again(&diagnostics);
	if (config == NULL) {
		struct strbuf lines = { 0 };
		for (size_t i = 0; i < diagnostics.count; i++) {
			strbuf_printf(report, "%s\n", diagnostics.lines[i]);
			strbuf_printf(&lines, "%s\n", diagnostics.lines[i]);
		}
		if (lines.data != NULL)
			log_report_lines(lines.data);
		strbuf_free(&lines);
		log_event(LOG_LEVEL_ERROR, NULL, "reload",
			  "reload failed: %zu problem%s in the config; nothing changed", diagnostics.count,
			  diagnostics.count == 1 ? "" : "s");
		diagnostics_free(&diagnostics);
		events_tend("reload", "failed: invalid config, nothing changed");
		return 1;
	}
	diagnostics_free(&diagnostics);
	config_compact(config); /* best effort, as at start; before anything points into it */
	struct plan plan = { .config = config };
	if (prepare(&plan) < 0) {
		plan_undo(&plan);
		plan_free(&plan);
		config_free(config);
		strbuf_printf(report, "reload failed: out of memory; nothing changed\n");
		log_event(LOG_LEVEL_ERROR, NULL, "reload", "out of memory: nothing changed");
		events_tend("reload", "failed: out of memory, nothing changed");
		return 1;
	}
	struct config *old = (struct config *)tree_config();
	keep_unapplied(config, old, report);
	wire(&plan);
	settle_services(&plan);
	tree_install(config, plan.services, plan.groups);
	server_reconfigure(config);
	append_removed(&plan);
	start_new(&plan);
	/* The old model: freed once nothing points into it. */
	struct config **grown = realloc(reload.models, (reload.model_count + 1) * sizeof *grown);
	if (grown != NULL) {
		reload.models = grown;
		reload.models[reload.model_count++] = old;
	} else {
		log_error("out of memory keeping the old config: it is leaked");
	}
	plan_free(&plan);
	reload_collect(NULL, 0, 0);
	malloc_trim(0);
	char summary[160];
	snprintf(summary, sizeof summary, "reloaded: %zu added, %zu removed, %zu changed, %zu unchanged",
		 plan.tally.added, plan.tally.removed, plan.tally.changed, plan.tally.unchanged);
	strbuf_printf(report, "%s\n", summary);
	log_event(LOG_LEVEL_INFO, NULL, "reload", "%s", summary);
	events_tend("reload", summary);
	return 0;
}

void reload_signal(void)
{
	log_event(LOG_LEVEL_INFO, NULL, "reload", "SIGHUP: reloading");
	struct strbuf report = { 0 };
	reload_run(&report); /* it logs its result itself */
	strbuf_free(&report);
}
