/* group.c: a supervisor (SPEC §2.2, §2.5): strategies, the intensity
 * window, escalation, sequential or parallel start and stop.
 *
 * One event at a time: a child's report (group_child_event) and the
 * group's own reports to its parent (or, for the root, to the tree) are
 * posted to the loop's message queue, never handled inside the transition
 * that made them. Starting or stopping a child is a direct call down, and
 * whatever the child reports back at once (a fork that fails, a child group
 * with nothing to stop) waits in the queue until this group's step is
 * over: a group is never entered while it is in the middle of a step. */
#include "group.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "log.h"
#include "service.h"
#include "tree.h"

#define NO_PENDING SIZE_MAX

static const char *const state_names[] = {
	[GROUP_STOPPED] = "stopped", [GROUP_STARTING] = "starting", [GROUP_UP] = "up",
	[GROUP_STOPPING] = "stopping", [GROUP_FAILED] = "failed",
};

const char *group_state_name(enum group_state state) { return state_names[state]; }

static const char *display_name(const struct group *group)
{
	return group->config->name[0] == '\0' ? "(root)" : group->config->name;
}

/* Jitter only needs to spread restarts, not to be unpredictable. */
static double random_unit(void)
{
	static uint64_t state;
	if (state == 0)
		state = (uint64_t)time(NULL) * 6364136223846793005ULL ^ (uint64_t)getpid() ^ 1;
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (double)(state >> 11) / (double)(1ULL << 53);
}

bool group_quorum_met(enum quorum_kind kind, int value, size_t ready, size_t required)
{
	switch (kind) {
	case QUORUM_ALL:
		return ready >= required;
	case QUORUM_COUNT:
		return ready >= ((size_t)value < required ? (size_t)value : required);
	case QUORUM_PERCENT:
		return ready * 100 >= (size_t)value * required;
	}
	return false;
}

size_t group_restart_from(enum strategy strategy, size_t failed)
{
	return strategy == STRATEGY_ONE_FOR_ALL ? 0 : failed;
}

int64_t restart_delay_next(const struct backoff_policy *policy, unsigned *consecutive,
			   int64_t ready_at, int64_t now)
{
	/* Ready for backoff-reset in its last life: it was healthy, so start
	 * over from backoff-min. */
	if (ready_at > 0 && now - ready_at >= policy->reset_ms)
		*consecutive = 0;
	int64_t delay = backoff_delay_ms(policy, *consecutive, random_unit());
	(*consecutive)++;
	return delay;
}

bool group_is_down(const struct group *group)
{
	return group->phase == PHASE_IDLE &&
	       (group->state == GROUP_STOPPED || group->state == GROUP_FAILED);
}

/* --- children of either kind --- */

/* Down, and no restart timer waiting either: at rest for a stop. A start
 * asks more (for_start): a service that exited for good is not started
 * again, nor a child whose failure the group has not handled yet (the
 * report is in the queue: what follows, a restart after its backoff or
 * giving up, is for the group to decide then). */
static bool node_is_at_rest(struct node node, bool for_start)
{
	if (node.kind == CHILD_SERVICE) {
		enum service_state state = node.service->state;
		if (for_start && node.service->failure_pending)
			return false;
		return state == SERVICE_STOPPED || state == SERVICE_FAILED ||
		       (!for_start && state == SERVICE_EXITED);
	}
	if (for_start && node.group->failure_pending)
		return false;
	return group_is_down(node.group) && !loop_timer_armed(&node.group->backoff_timer);
}

static void node_failure_handled(struct node node)
{
	if (node.kind == CHILD_SERVICE)
		node.service->failure_pending = false;
	else
		node.group->failure_pending = false;
}

static bool node_is_stopping(struct node node)
{
	if (node.kind == CHILD_SERVICE)
		return node.service->state == SERVICE_STOPPING;
	return node.group->phase == PHASE_STOPPING && node.group->after == AFTER_HOLD;
}

static bool node_is_ready(struct node node)
{
	return node.kind == CHILD_SERVICE ? node.service->ready : node.group->ready;
}

static bool node_is_required(struct node node)
{
	return node.kind == CHILD_GROUP || node.service->config->ready_required;
}

static bool node_is_settled(struct node node)
{
	if (node.kind == CHILD_SERVICE)
		return service_is_settled(node.service);
	return node.group->ready || (node.group->state == GROUP_UP && node.group->phase == PHASE_IDLE);
}

/* Failed (its group gave up) and not about to be restarted: it stays
 * down until its group is restarted (which resets it first) or a tendctl
 * start names it (SPEC §2.4). */
static bool node_is_failed(struct node node)
{
	if (node.kind == CHILD_SERVICE)
		return node.service->state == SERVICE_FAILED;
	return node.group->state == GROUP_FAILED && node.group->phase == PHASE_IDLE &&
	       !loop_timer_armed(&node.group->backoff_timer);
}

static bool node_wanted(struct node node)
{
	return node.kind == CHILD_SERVICE ? node.service->wanted_up : node.group->wanted_up;
}

static const char *node_name(struct node node)
{
	return node.kind == CHILD_SERVICE ? node.service->config->name : node.group->config->name;
}

static const char *node_reason(struct node node, char *buffer, size_t size)
{
	if (node.kind == CHILD_SERVICE)
		return service_reason(node.service, buffer, size);
	return node.group->reason;
}

static void node_start(struct node node)
{
	if (node.kind == CHILD_SERVICE)
		service_step(node.service, EVENT_START);
	else
		group_start(node.group);
}

static void node_stop(struct node node)
{
	if (node.kind == CHILD_SERVICE)
		service_step(node.service, EVENT_STOP);
	else
		group_stop(node.group);
}

/* The event stream learns of a group's state change once it is done
 * (group.c sets the state in many places; they all end up here). */
static void announce_state(struct group *group)
{
	if (group->announced == group->state)
		return;
	group->announced = group->state;
	events_group(group, "state", group->reason[0] != '\0' ? group->reason : NULL);
}

/* Make a child startable again for a restart of its range. */
static void node_reset(struct node node)
{
	if (node.kind == CHILD_SERVICE)
		service_step(node.service, EVENT_RESET);
	else if (node.group->state == GROUP_FAILED) {
		node.group->state = GROUP_STOPPED;
		announce_state(node.group);
	}
}

static void give_up_children(struct group *group);

static void node_give_up(struct node node)
{
	if (node.kind == CHILD_SERVICE) {
		service_step(node.service, EVENT_GIVE_UP);
		return;
	}
	loop_timer_cancel(&node.group->backoff_timer);
	give_up_children(node.group);
	node.group->state = GROUP_FAILED;
	announce_state(node.group);
}

static void give_up_children(struct group *group)
{
	for (size_t i = 0; i < group->child_count; i++)
		node_give_up(group->children[i]);
}

/* Schedule the child's restart after its backoff delay; returns the delay. */
static int64_t node_schedule_restart(struct node node, int64_t now)
{
	int64_t delay;
	if (node.kind == CHILD_SERVICE) {
		struct service *service = node.service;
		delay = restart_delay_next(&service->config->backoff, &service->consecutive,
					   service->ready_at, now);
		service->restarts++;
		service->backoff_delay_ms = delay;
		service_step(service, EVENT_BACKOFF);
		return delay;
	}
	struct group *child = node.group;
	delay = restart_delay_next(&child->config->backoff, &child->consecutive, child->ready_at, now);
	child->restarts++;
	child->backoff_delay_ms = delay;
	if (events_wanted()) {
		char detail[160];
		snprintf(detail, sizeof detail, "restart %u in %lld ms after %s", child->restarts,
			 (long long)delay, child->reason[0] != '\0' ? child->reason : "a failure");
		events_group(child, "restart", detail);
	}
	if (loop_timer_set(&child->backoff_timer, now + delay) < 0) {
		/* no timer (no memory): restart it without the delay */
		group_child_event(child->parent, child->index, CHILD_BACKOFF_ELAPSED);
		return 0;
	}
	return delay;
}

static unsigned node_restarts(struct node node)
{
	return node.kind == CHILD_SERVICE ? node.service->restarts : node.group->restarts;
}

/* --- the group itself --- */

/* To the parent group, or for the root to the tree; through the queue. */
static void report_to_parent(struct group *group, enum child_event event)
{
	if (event == CHILD_FAILED)
		group->failure_pending = true;
	if (group->parent != NULL)
		group_child_event(group->parent, group->index, event);
	else
		loop_post(tree_root_event, group, (int)event, 0);
}

static void update_ready(struct group *group)
{
	size_t required = 0, ready = 0;
	for (size_t i = 0; i < group->child_count; i++) {
		struct node child = group->children[i];
		if (!node_is_required(child) || !node_wanted(child))
			continue;
		required++;
		ready += node_is_ready(child);
	}
	bool running = (group->state == GROUP_UP || group->state == GROUP_STARTING) &&
		       group->phase != PHASE_STOPPING;
	bool now_ready = running && group_quorum_met(group->config->quorum_kind,
						      group->config->quorum_value, ready, required);
	if (now_ready == group->ready)
		return;
	group->ready = now_ready;
	if (now_ready)
		group->ready_at = loop_now();
	log_event(LOG_LEVEL_INFO, display_name(group), now_ready ? "ready" : "unready",
		  "group %s (%zu of %zu required children ready)", now_ready ? "ready" : "not ready",
		  ready, required);
	events_group(group, "ready", now_ready ? "ready" : "not ready");
	report_to_parent(group, now_ready ? CHILD_READY : CHILD_UNREADY);
}

/* Stop the range from the last child down; true once all of it is down. */
static bool reconcile_stopping(struct group *group)
{
	bool sequential = group->config->stop == ORDER_SEQUENTIAL;
	bool all_down = true;
	for (size_t i = group->child_count; i-- > group->range_from;) {
		struct node child = group->children[i];
		if (node_is_at_rest(child, false))
			continue;
		all_down = false;
		if (!node_is_stopping(child))
			node_stop(child);
		if (sequential)
			return false;
	}
	return all_down;
}

/* Start the range in order; true once every wanted child has settled. */
static bool reconcile_starting(struct group *group)
{
	bool sequential = group->config->start == ORDER_SEQUENTIAL;
	bool all_settled = true;
	for (size_t i = group->range_from; i < group->child_count; i++) {
		struct node child = group->children[i];
		if (!node_wanted(child) || node_is_settled(child) || node_is_failed(child))
			continue;
		all_settled = false;
		if (node_is_at_rest(child, true))
			node_start(child);
		if (sequential)
			return false;
	}
	return all_settled;
}

/* The range is down. Returns true when the group goes on to start it in
 * the same step (a restart). */
static bool finish_stopping(struct group *group)
{
	switch (group->after) {
	case AFTER_RESTART:
		for (size_t i = group->range_from; i < group->child_count; i++)
			node_reset(group->children[i]);
		group->phase = PHASE_STARTING;
		group->state = GROUP_STARTING;
		return true;
	case AFTER_HOLD:
		group->phase = PHASE_IDLE;
		group->state = GROUP_STOPPED;
		log_event(LOG_LEVEL_INFO, display_name(group), "stopped", "group stopped");
		report_to_parent(group, CHILD_DOWN);
		return false;
	case AFTER_GIVE_UP:
		give_up_children(group);
		group->phase = PHASE_IDLE;
		group->state = GROUP_FAILED;
		log_event(LOG_LEVEL_ERROR, display_name(group), "failed", "group failed: %s",
			  group->reason);
		report_to_parent(group, CHILD_FAILED);
		return false;
	}
	return false;
}

/* One pass; returns true when another pass is needed at once. */
static bool reconcile_once(struct group *group)
{
	switch (group->phase) {
	case PHASE_STOPPING:
		return reconcile_stopping(group) && finish_stopping(group);
	case PHASE_STARTING:
		if (reconcile_starting(group)) {
			group->phase = PHASE_IDLE;
			group->state = GROUP_UP;
			log_event(LOG_LEVEL_DEBUG, display_name(group), "up", "all children started");
		}
		return false;
	case PHASE_IDLE:
		return false;
	}
	return false;
}

void group_reconcile(struct group *group)
{
	while (reconcile_once(group))
		;
	announce_state(group);
	update_ready(group);
}

/* A failure of child `index` (SPEC §2.5): count it against the intensity
 * at once, then restart per the strategy after its backoff, or give up. */
static void handle_failure(struct group *group, size_t index)
{
	struct node child = group->children[index];
	bool restarting = group->phase == PHASE_STOPPING && group->after == AFTER_RESTART;
	if (!node_wanted(child))
		return; /* held down by tendctl stop: not restarted, not counted */
	if (group->phase == PHASE_STOPPING && !restarting)
		return; /* going down anyway */
	if (group->state != GROUP_STARTING && group->state != GROUP_UP)
		return;
	if (tree_shutting_down()) {
		snprintf(group->reason, sizeof group->reason, "not restarted: shutting down");
		return; /* the child stays down; the stop reaches it in order */
	}
	int64_t now = loop_now();
	char reason[REASON_SIZE];
	if (!intensity_allow(&group->window, group->config->restart_period_ms, now)) {
		snprintf(group->reason, sizeof group->reason,
			 "more than %d restarts within %lld ms (last: %s: %s)",
			 group->config->max_restarts, (long long)group->config->restart_period_ms,
			 node_name(child), node_reason(child, reason, sizeof reason));
		log_event(LOG_LEVEL_ERROR, display_name(group), "give-up", "giving up: %s",
			  group->reason);
		group->phase = PHASE_STOPPING;
		group->after = AFTER_GIVE_UP;
		group->range_from = 0;
		group->state = GROUP_STOPPING;
		group->pending_from = NO_PENDING;
		return;
	}
	if (restarting && index >= group->range_from)
		return; /* already inside the range being restarted */
	int64_t delay = node_schedule_restart(child, now);
	log_event(LOG_LEVEL_INFO, node_name(child), "restart",
		  "restart %u in %lld ms (%s; %s)", node_restarts(child), (long long)delay,
		  node_reason(child, reason, sizeof reason),
		  group->config->strategy == STRATEGY_ONE_FOR_ONE ? "one-for-one"
		  : group->config->strategy == STRATEGY_ONE_FOR_ALL ? "one-for-all" : "rest-for-one");
	if (group->config->strategy != STRATEGY_ONE_FOR_ONE) {
		size_t from = group_restart_from(group->config->strategy, index);
		if (group->pending_from == NO_PENDING || from < group->pending_from)
			group->pending_from = from;
	}
}

/* Stop the range from pending_from on, then start it again in order. */
static void begin_strategy_restart(struct group *group)
{
	size_t from = group->pending_from;
	group->pending_from = NO_PENDING;
	if (group->phase == PHASE_STOPPING && group->after == AFTER_RESTART) {
		if (from < group->range_from)
			group->range_from = from;
		return;
	}
	log_event(LOG_LEVEL_INFO, display_name(group), "restart",
		  "restarting children from %s (%s)", node_name(group->children[from]),
		  group->config->strategy == STRATEGY_ONE_FOR_ALL ? "one-for-all" : "rest-for-one");
	group->phase = PHASE_STOPPING;
	group->after = AFTER_RESTART;
	group->range_from = from;
	group->state = GROUP_STARTING;
}

static void handle_backoff_elapsed(struct group *group, size_t index)
{
	struct node child = group->children[index];
	bool restarting = group->phase == PHASE_STOPPING && group->after == AFTER_RESTART;
	if ((group->phase == PHASE_STOPPING && !restarting) || tree_shutting_down() ||
	    (group->state != GROUP_STARTING && group->state != GROUP_UP)) {
		node_stop(child); /* the group is going down: so does the waiting child */
		return;
	}
	if (!node_wanted(child)) {
		node_stop(child); /* held down by tendctl stop */
		if (group->pending_from != NO_PENDING)
			begin_strategy_restart(group); /* its siblings still restart */
		return;
	}
	if (group->pending_from == NO_PENDING) {
		if (!restarting)
			node_start(child);
		return;
	}
	begin_strategy_restart(group);
}

/* Whether the group runs its children (it may restart a range of them):
 * not down, not being stopped, not giving up. */
static bool group_is_running(const struct group *group)
{
	if (group->state != GROUP_STARTING && group->state != GROUP_UP)
		return false;
	return group->phase != PHASE_STOPPING || group->after == AFTER_RESTART;
}

/* Whether the group's current phase will start the child at index itself
 * (it is in the range being started or restarted). */
static bool in_phase_range(const struct group *group, size_t index)
{
	return group->phase != PHASE_IDLE && index >= group->range_from;
}

/* A child came down while its group runs: when it is wanted up (a
 * tendctl restart, or a start that came while it was stopping) and no
 * phase of the group will start it, start it now. */
static void start_if_wanted(struct group *group, size_t index)
{
	struct node child = group->children[index];
	if (!group_is_running(group) || tree_shutting_down() || !node_wanted(child) ||
	    in_phase_range(group, index) || !node_is_at_rest(child, true))
		return;
	node_start(child);
}

/* A child's report, delivered from the queue. */
static void deliver_child_event(void *target, int what, size_t index)
{
	struct group *group = target;
	enum child_event event = (enum child_event)what;
	switch (event) {
	case CHILD_FAILED:
		node_failure_handled(group->children[index]);
		handle_failure(group, index);
		break;
	case CHILD_BACKOFF_ELAPSED:
		handle_backoff_elapsed(group, index);
		break;
	case CHILD_DOWN:
		start_if_wanted(group, index);
		break;
	case CHILD_READY:
	case CHILD_UNREADY:
	case CHILD_EXITED:
		break;
	}
	group_reconcile(group);
}

void group_child_event(struct group *group, size_t index, enum child_event event)
{
	loop_post(deliver_child_event, group, (int)event, index);
}

void group_start(struct group *group)
{
	loop_timer_cancel(&group->backoff_timer);
	intensity_clear(&group->window);
	group->pending_from = NO_PENDING;
	group->ready_at = 0;
	group->reason[0] = '\0';
	for (size_t i = 0; i < group->child_count; i++)
		node_reset(group->children[i]);
	group->phase = PHASE_STARTING;
	group->range_from = 0;
	group->state = GROUP_STARTING;
	if (group->parent != NULL)
		log_event(LOG_LEVEL_INFO, display_name(group), "start", "starting group");
	group_reconcile(group);
}

void group_stop(struct group *group)
{
	loop_timer_cancel(&group->backoff_timer);
	group->pending_from = NO_PENDING;
	group->phase = PHASE_STOPPING;
	group->after = AFTER_HOLD;
	group->range_from = 0;
	group->state = GROUP_STOPPING;
	group_reconcile(group);
}

static void on_backoff_timer(struct timer *timer)
{
	struct group *group = timer->context;
	if (group->parent != NULL)
		group_child_event(group->parent, group->index, CHILD_BACKOFF_ELAPSED);
}

int group_init(struct group *group, const struct config_group *config, struct group *parent,
	       size_t index, size_t child_count)
{
	memset(group, 0, sizeof *group);
	group->config = config;
	group->parent = parent;
	group->index = index;
	group->state = group->announced = GROUP_STOPPED;
	group->pending_from = NO_PENDING;
	group->wanted_up = config->autostart;
	group->backoff_timer = (struct timer){ .callback = on_backoff_timer, .context = group };
	group->child_count = child_count;
	group->children = child_count ? calloc(child_count, sizeof *group->children) : NULL;
	if (child_count > 0 && group->children == NULL)
		return -1;
	return intensity_init(&group->window, config->max_restarts);
}

void group_free(struct group *group)
{
	loop_timer_cancel(&group->backoff_timer);
	intensity_free(&group->window);
	free(group->children);
	group->children = NULL;
}

/* --- tendctl start, stop, restart --- */

static void set_wanted(struct node node, bool wanted)
{
	if (node.kind == CHILD_SERVICE)
		node.service->wanted_up = wanted;
	else
		node.group->wanted_up = wanted;
}

static bool node_in_backoff(struct node node)
{
	if (node.kind == CHILD_SERVICE)
		return node.service->state == SERVICE_BACKOFF;
	return loop_timer_armed(&node.group->backoff_timer);
}

static bool node_failure_is_pending(struct node node)
{
	return node.kind == CHILD_SERVICE ? node.service->failure_pending
					  : node.group->failure_pending;
}

/* Whether the child is at rest and may be started by a command now: a
 * service that exited for good, too. */
static bool node_startable(struct node node)
{
	if (node_failure_is_pending(node))
		return false; /* the group decides first; wanted, it restarts it */
	if (node.kind == CHILD_SERVICE)
		return node.service->state == SERVICE_STOPPED ||
		       node.service->state == SERVICE_FAILED || node.service->state == SERVICE_EXITED;
	return !group_is_running(node.group) && node.group->phase != PHASE_STOPPING;
}

/* Run a group that is not running again, for a command on one of its
 * children: like group_start, but its failed children stay down (only the
 * ones a command names are reset, by the command). */
static void group_resume(struct group *group)
{
	loop_timer_cancel(&group->backoff_timer);
	intensity_clear(&group->window);
	group->pending_from = NO_PENDING;
	group->reason[0] = '\0';
	group->phase = PHASE_STARTING;
	group->range_from = 0;
	group->state = GROUP_STARTING;
	log_event(LOG_LEVEL_INFO, display_name(group), "start", "starting group (tendctl)");
	group_reconcile(group);
}

/* Bring up a group that is not running, for a command on one of its
 * children: its parent chain first, from the top. The root after it gave
 * up (on-root-failure = stay) runs again, and tend is live again. */
static void bring_up(struct group *group)
{
	group->wanted_up = true;
	if (group_is_running(group))
		return;
	if (group->parent == NULL) {
		tree_root_restarting();
		group_resume(group);
		return;
	}
	bring_up(group->parent); /* its start may start this group already */
	if (group_is_running(group) || group->phase == PHASE_STOPPING)
		return; /* running; or started again once down (CHILD_DOWN) */
	if (group->state == GROUP_STOPPED && in_phase_range(group->parent, group->index))
		return; /* the parent's start reaches it in order */
	group_resume(group);
}

/* A child wanted up and startable (or backing off: wait for its delay). */
static void start_child(struct group *group, size_t index)
{
	struct node child = group->children[index];
	bool exited = child.kind == CHILD_SERVICE && child.service->state == SERVICE_EXITED;
	if (in_phase_range(group, index) && !exited)
		return; /* the group's own (re)start of the range starts it; not
			   one that ended for good: that counts as settled */
	if (node_in_backoff(child) && child.kind == CHILD_GROUP) {
		loop_timer_cancel(&child.group->backoff_timer);
		group_start(child.group);
		return;
	}
	if (node_startable(child))
		node_start(child);
	/* running already; stopping: started when it is down (CHILD_DOWN);
	 * backing off: started when its delay is over */
}

void group_command_start(struct group *group, size_t index)
{
	struct node child = group->children[index];
	set_wanted(child, true);
	if (!group_is_running(group)) {
		if (!node_failure_is_pending(child) && node_is_at_rest(child, false))
			node_reset(child); /* named: no longer failed */
		bring_up(group); /* starts it with the group's other wanted ones */
		if (group_is_running(group))
			start_child(group, index); /* one that ended for good, too */
		return;
	}
	if (child.kind == CHILD_SERVICE)
		child.service->consecutive = 0;
	else
		child.group->consecutive = 0;
	start_child(group, index);
	group_reconcile(group);
}

void group_command_stop(struct group *group, size_t index)
{
	struct node child = group->children[index];
	bool backing_off = node_in_backoff(child);
	set_wanted(child, false);
	if (child.kind == CHILD_GROUP) {
		bool held = child.group->state == GROUP_STOPPED && child.group->phase == PHASE_IDLE;
		if (!held || backing_off)
			group_stop(child.group);
	} else if (!node_is_at_rest(child, false) && !node_is_stopping(child)) {
		node_stop(child);
	}
	/* A one-for-all or rest-for-one restart waited for this child's delay:
	 * its siblings are restarted now instead. */
	if (backing_off && group->pending_from != NO_PENDING && group_is_running(group) &&
	    !tree_shutting_down())
		begin_strategy_restart(group);
	group_reconcile(group);
}

void group_command_restart(struct group *group, size_t index)
{
	struct node child = group->children[index];
	if (!group_is_running(group)) {
		group_command_start(group, index);
		return;
	}
	set_wanted(child, true);
	if (child.kind == CHILD_SERVICE)
		child.service->consecutive = 0;
	else
		child.group->consecutive = 0;
	if (node_in_backoff(child) && group->pending_from != NO_PENDING) {
		begin_strategy_restart(group); /* the restart it waited for, now */
	} else if (child.kind == CHILD_SERVICE &&
		   (child.service->state == SERVICE_STARTING || child.service->state == SERVICE_RUNNING)) {
		node_stop(child); /* started again when it is down */
	} else if (child.kind == CHILD_SERVICE && child.service->state == SERVICE_BACKOFF) {
		service_step(child.service, EVENT_START);
	} else if (child.kind == CHILD_GROUP && group_is_running(child.group)) {
		group_stop(child.group); /* started again when it is down */
	} else {
		start_child(group, index);
	}
	group_reconcile(group);
}
