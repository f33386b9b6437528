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
 * mode: rt_sigtimedwait), then must call loop_woke() before it acts, so that
 * loop_now() (and every deadline armed from it) is the time of the wake-up,
 * not of the turn before the wait. This saves the epoll_wait on every
 * wake-up of single-command mode, which has only its signals to wait for. */
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

/* Run until loop_stop() is called. Returns 0. */
int loop_run(void);
void loop_stop(void);
/* The time the current turn of the loop started (cheap "now"). */
int64_t loop_now(void);
/* A LOOP_MAY_BLOCK callback's wait returned: the turn starts now. */
void loop_woke(void);

#endif
