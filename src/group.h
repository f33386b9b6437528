/* group.h: a supervisor (SPEC §2.2): its children, its strategy, its
 * restart-intensity window, and escalation to its parent.
 *
 * A group runs at most one phase at a time: STOPPING a range of children
 * (from range_from to the last, in reverse order; one at a time or all at
 * once) and then, as `after` says, STARTING the same range in order, holding
 * it down, or giving up. Every child event, delivered from the loop's
 * queue, calls group_reconcile(), which looks at the children and does the
 * next step: level-triggered, so an event that arrives in any phase is
 * handled by the same code. */
#ifndef TEND_GROUP_H
#define TEND_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"
#include "policy.h"

struct service;
struct group;

struct node {
	enum child_kind kind;
	union {
		struct service *service;
		struct group *group;
	};
};

enum group_state { GROUP_STOPPED, GROUP_STARTING, GROUP_UP, GROUP_STOPPING, GROUP_FAILED };
enum group_phase { PHASE_IDLE, PHASE_STOPPING, PHASE_STARTING };
enum after_stop { AFTER_HOLD, AFTER_RESTART, AFTER_GIVE_UP };

enum child_event {
	CHILD_READY,     /* became ready */
	CHILD_UNREADY,   /* stopped being ready while running */
	CHILD_DOWN,      /* finished stopping, as asked */
	CHILD_FAILED,    /* failed (SPEC §2.5): the group decides what follows */
	CHILD_EXITED,    /* ended for good, not a failure */
	CHILD_BACKOFF_ELAPSED, /* its restart delay is over */
};

struct group {
	const struct config_group *config;
	struct group *parent; /* NULL for the root */
	size_t index;         /* in parent->children */
	struct node *children;
	size_t child_count;
	enum group_state state;
	enum group_state announced; /* the state the event stream last showed */
	enum group_phase phase;
	enum after_stop after;
	size_t range_from;
	size_t pending_from;  /* a strategy restart waits from here; SIZE_MAX: none */
	bool wanted_up;
	bool ready;
	bool failure_pending; /* CHILD_FAILED posted, not yet handled by the parent */
	struct intensity window;
	unsigned restarts;    /* times this group itself was restarted */
	unsigned consecutive; /* for its own backoff */
	int64_t ready_at;
	int64_t backoff_delay_ms;
	struct timer backoff_timer;
	char reason[96];
};

/* Set up a group for config; children are attached by the tree. */
int group_init(struct group *group, const struct config_group *config, struct group *parent,
	       size_t index, size_t child_count);
void group_free(struct group *group);

/* Start the whole group (its wanted children, in order). */
void group_start(struct group *group);
/* Stop the whole group and hold it down; CHILD_DOWN goes to the parent. */
void group_stop(struct group *group);
/* A child reports an event: posted to the loop's queue, handled once the
 * reporting transition is over (never inside it). */
void group_child_event(struct group *group, size_t index, enum child_event event);
/* Run the current phase one step further. */
void group_reconcile(struct group *group);

/* tendctl start, stop and restart (SPEC §6) on the child at index, a
 * service or a whole group: stop holds it down (no restarts, not even the
 * group's strategy restarts) until start; start clears the hold and a
 * failed state; restart stops it and starts it again (a new pid). */
void group_command_start(struct group *group, size_t index);
void group_command_stop(struct group *group, size_t index);
void group_command_restart(struct group *group, size_t index);

const char *group_state_name(enum group_state state);
bool group_is_down(const struct group *group);
/* The group's readiness by its quorum (SPEC §2.2). Pure: exposed for tests. */
bool group_quorum_met(enum quorum_kind kind, int value, size_t ready, size_t required);
/* The first child a failure at `failed` makes the group restart. */
size_t group_restart_from(enum strategy strategy, size_t failed);
/* The delay the next restart of a child waits, and counts the restart. */
int64_t restart_delay_next(const struct backoff_policy *policy, unsigned *consecutive,
			   int64_t ready_at, int64_t now);

#endif
