/* loop.h: the one event loop. Every input is a file descriptor watched with
 * epoll; every timed action is a deadline on the monotonic clock kept in a
 * min-heap. The loop sleeps until the earliest deadline or an fd event:
 * with no deadline due it sleeps forever, so an idle tend makes no wakeups.
 * Only loop_run() waits. */
#ifndef TEND_LOOP_H
#define TEND_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct watch;
typedef void watch_callback(struct watch *watch, uint32_t events);

/* An fd watcher, embedded in its owner (use container_of-style casts or the
 * context pointer). */
struct watch {
	watch_callback *callback;
	void *context;
	int fd;
	bool active;
	bool may_block; /* the callback understands LOOP_MAY_BLOCK */
};

/* The events a may_block watch's callback gets instead of epoll's when it
 * is the only thing the loop waits for (one active watch, no deadline): no
 * event is known, and the callback itself may wait for its input (single
 * mode: rt_sigtimedwait). This saves the epoll_wait on every wake-up of
 * single-command mode, which has only its signals to wait for. */
#define LOOP_MAY_BLOCK (1u << 29)

struct timer;
typedef void timer_callback(struct timer *timer);

/* A deadline, embedded in its owner. heap_index is the loop's business. */
struct timer {
	int64_t due_ms;
	timer_callback *callback;
	void *context;
	size_t heap_index; /* 0 = not armed */
};

/* Create the epoll instance; returns 0 or -1 with errno. */
int loop_init(void);
void loop_close(void);

/* Watch fd for events (EPOLLIN, EPOLLOUT...). Returns 0 or -1 (logged). */
int loop_watch_add(struct watch *watch, uint32_t events);
/* Change the events of an active watch. Returns 0 or -1 (logged). */
int loop_watch_modify(struct watch *watch, uint32_t events);
/* Stop watching (does not close the fd). Safe on an inactive watch. */
void loop_watch_remove(struct watch *watch);

/* Arm (or re-arm) a timer at an absolute monotonic time. Returns 0 or -1
 * when memory for the heap cannot be had (logged). */
int loop_timer_set(struct timer *timer, int64_t due_ms);
void loop_timer_cancel(struct timer *timer);
/* Make room for count armed timers at once. Returns 0 or -1. */
int loop_reserve_timers(size_t count);
static inline bool loop_timer_armed(const struct timer *timer)
{
	return timer->heap_index != 0;
}

/* Messages: how one state machine tells another what happened, one event
 * at a time (STYLE 11). A callback that learns something another machine
 * must act on (a child exited, a service failed, a group settled) posts a
 * message instead of calling up into that machine; the loop delivers the
 * messages in the order they were posted, each after the transition that
 * posted it has finished, before it waits again. A delivery may post more
 * (delivered in the same round). Calls down (a group starting or stopping
 * its child) stay direct: only reports go through the queue, so no
 * machine is ever entered while it is in the middle of a transition. */
typedef void message_handler(void *target, int what, size_t index);
/* Queue handler(target, what, index). Returns 0, or -1 when no memory can
 * be had for the queue: then the message is delivered at once (logged), as
 * the lesser evil than losing it. */
int loop_post(message_handler *handler, void *target, int what, size_t index);
/* Make room for count queued messages at once. Returns 0 or -1. */
int loop_reserve_messages(size_t count);
/* Deliver every queued message, and those they post, in order. The loop
 * calls it after each callback; a caller outside the loop (tree setup,
 * tests) calls it to finish what it started. Returns how many it
 * delivered. */
size_t loop_deliver(void);

/* Run until loop_stop() is called. Returns 0. */
int loop_run(void);
void loop_stop(void);
/* The monotonic clock now, in ms. Always read fresh (a vDSO call), never
 * the time a turn began: a deadline armed after a long callback, a blocking
 * wait or the config load counts from the moment it is armed. */
int64_t loop_now(void);

#endif
