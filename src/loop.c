/* loop.c: the one event loop (epoll for fds, a min-heap of deadlines).
 *
 * Invariants: only loop_run() waits (itself, or, when one may_block watch
 * is all there is to wait for, through that watch's callback); the wait's timeout is the earliest
 * deadline (none armed: wait forever, so an idle tend never wakes); a watch
 * removed by a callback is also removed from the batch of events being
 * dispatched, so no callback ever sees a freed watch; messages posted by a
 * callback are delivered as soon as it returns, before the next one runs. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

enum { EVENT_BATCH = 64, TIMERS_PER_TURN = 4096 };

struct message {
	message_handler *handler;
	void *target;
	size_t index;
	int what;
};

/* -1 when closed. Not in loop below, which is zero-initialised and so takes
 * no room in the binary's initialised data. */
static int epoll_fd = -1;

static struct {
	bool running;
	int64_t now;
	struct timer **heap; /* 1-based binary min-heap on due_ms */
	size_t heap_count;
	size_t heap_capacity;
	struct epoll_event batch[EVENT_BATCH];
	int batch_count;
	size_t watch_count;     /* active watches */
	struct watch *blocker;  /* the last may_block watch added */
	struct message *messages; /* a ring of queued messages */
	size_t message_head, message_count, message_capacity;
	bool delivering;
} loop;

int loop_init(void)
{
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (epoll_fd < 0)
		return -1;
	loop.now = monotonic_ms();
	return 0;
}

void loop_close(void)
{
	if (epoll_fd >= 0)
		close(epoll_fd);
	epoll_fd = -1;
	free(loop.heap);
	loop.heap = NULL;
	loop.heap_count = loop.heap_capacity = 0;
	free(loop.messages);
	loop.messages = NULL;
	loop.message_head = loop.message_count = loop.message_capacity = 0;
}

int loop_reserve_messages(size_t count)
{
	if (count <= loop.message_capacity)
		return 0;
	struct message *grown = malloc(count * sizeof *grown);
	if (grown == NULL)
		return -1;
	/* Unroll the ring into the new block, oldest first. */
	for (size_t i = 0; i < loop.message_count; i++)
		grown[i] = loop.messages[(loop.message_head + i) % loop.message_capacity];
	free(loop.messages);
	loop.messages = grown;
	loop.message_head = 0;
	loop.message_capacity = count;
	return 0;
}

int loop_post(message_handler *handler, void *target, int what, size_t index)
{
	if (loop.message_count == loop.message_capacity &&
	    loop_reserve_messages(loop.message_capacity ? loop.message_capacity * 2 : 64) < 0) {
		log_error("out of memory for the message queue: delivering at once");
		handler(target, what, index);
		return -1;
	}
	size_t tail = (loop.message_head + loop.message_count) % loop.message_capacity;
	loop.messages[tail] = (struct message){ handler, target, index, what };
	loop.message_count++;
	return 0;
}

size_t loop_deliver(void)
{
	/* A delivery that calls loop_deliver() would break the order: the
	 * outer round goes on with what the inner one would have done. */
	if (loop.delivering)
		return 0;
	loop.delivering = true;
	size_t delivered = 0;
	while (loop.message_count > 0) {
		struct message message = loop.messages[loop.message_head];
		loop.message_head = (loop.message_head + 1) % loop.message_capacity;
		loop.message_count--;
		message.handler(message.target, message.what, message.index);
		delivered++;
	}
	loop.delivering = false;
	return delivered;
}

static int watch_control(struct watch *watch, int operation, uint32_t events)
{
	struct epoll_event event = { .events = events, .data.ptr = watch };
	if (epoll_ctl(epoll_fd, operation, watch->fd, &event) < 0) {
		log_error("cannot watch fd %d: %s", watch->fd, strerror(errno));
		return -1;
	}
	return 0;
}

int loop_watch_add(struct watch *watch, uint32_t events)
{
	if (watch_control(watch, EPOLL_CTL_ADD, events) < 0)
		return -1;
	watch->active = true;
	loop.watch_count++;
	if (watch->may_block)
		loop.blocker = watch;
	return 0;
}

int loop_watch_modify(struct watch *watch, uint32_t events)
{
	return watch_control(watch, EPOLL_CTL_MOD, events);
}

void loop_watch_remove(struct watch *watch)
{
	if (!watch->active)
		return;
	/* EPOLL_CTL_DEL can only fail if the fd is already closed (then epoll
	 * dropped it itself), so its result does not matter. */
	epoll_ctl(epoll_fd, EPOLL_CTL_DEL, watch->fd, NULL);
	watch->active = false;
	loop.watch_count--;
	if (loop.blocker == watch)
		loop.blocker = NULL;
	for (int i = 0; i < loop.batch_count; i++)
		if (loop.batch[i].data.ptr == watch)
			loop.batch[i].data.ptr = NULL;
}

static void heap_place(size_t index, struct timer *timer)
{
	loop.heap[index] = timer;
	timer->heap_index = index;
}

static void heap_up(size_t index)
{
	struct timer *timer = loop.heap[index];
	while (index > 1 && loop.heap[index / 2]->due_ms > timer->due_ms) {
		heap_place(index, loop.heap[index / 2]);
		index /= 2;
	}
	heap_place(index, timer);
}

static void heap_down(size_t index)
{
	struct timer *timer = loop.heap[index];
	for (;;) {
		size_t child = index * 2;
		if (child > loop.heap_count)
			break;
		if (child < loop.heap_count && loop.heap[child + 1]->due_ms < loop.heap[child]->due_ms)
			child++;
		if (loop.heap[child]->due_ms >= timer->due_ms)
			break;
		heap_place(index, loop.heap[child]);
		index = child;
	}
	heap_place(index, timer);
}

void loop_timer_cancel(struct timer *timer)
{
	size_t index = timer->heap_index;
	if (index == 0)
		return;
	struct timer *last = loop.heap[loop.heap_count--];
	timer->heap_index = 0;
	if (last == timer)
		return;
	heap_place(index, last);
	heap_up(index);
	heap_down(last->heap_index);
}

int loop_reserve_timers(size_t count)
{
	if (count + 1 <= loop.heap_capacity)
		return 0;
	struct timer **grown = realloc(loop.heap, (count + 1) * sizeof *grown);
	if (grown == NULL)
		return -1;
	loop.heap = grown;
	loop.heap_capacity = count + 1;
	return 0;
}

int loop_timer_set(struct timer *timer, int64_t due_ms)
{
	if (timer->heap_index != 0) {
		timer->due_ms = due_ms;
		heap_up(timer->heap_index);
		heap_down(timer->heap_index);
		return 0;
	}
	if (loop.heap_count + 1 >= loop.heap_capacity) {
		size_t capacity = loop.heap_capacity ? loop.heap_capacity * 2 : 64;
		struct timer **grown = realloc(loop.heap, capacity * sizeof *grown);
		if (grown == NULL) {
			log_error("out of memory for timers");
			return -1;
		}
		loop.heap = grown;
		loop.heap_capacity = capacity;
	}
	timer->due_ms = due_ms;
	loop.heap_count++;
	heap_place(loop.heap_count, timer);
	heap_up(loop.heap_count);
	return 0;
}

/* Fire the timers that are due; a callback may re-arm its own timer. */
static void fire_due_timers(void)
{
	for (int fired = 0; fired < TIMERS_PER_TURN && loop.heap_count > 0; fired++) {
		struct timer *timer = loop.heap[1];
		if (timer->due_ms > loop.now)
			break;
		loop_timer_cancel(timer);
		timer->callback(timer);
		loop_deliver();
		if (!loop.running)
			return;
	}
}

static int next_timeout(void)
{
	if (loop.heap_count == 0)
		return -1;
	int64_t wait = loop.heap[1]->due_ms - monotonic_ms();
	if (wait <= 0)
		return 0;
	return wait > 24 * 3600 * 1000 ? 24 * 3600 * 1000 : (int)wait;
}

int loop_run(void)
{
	loop.running = true;
	log_hold(true);
	/* Each turn: wait (not at all when a deadline is already due), handle
	 * the fd events, then the due deadlines. Events first, so that work
	 * split into steps with zero-delay timers lets the events between the
	 * steps in. */
	while (loop.running) {
		loop_deliver(); /* what was posted before the loop ran, or by a wait of our own */
		if (!loop.running)
			break;
		log_flush(); /* before any wait: nothing logged waits with us */
		if (loop.blocker != NULL && loop.blocker->may_block && loop.watch_count == 1 &&
		    loop.heap_count == 0) {
			loop.blocker->callback(loop.blocker, LOOP_MAY_BLOCK);
			continue;
		}
		int count = epoll_wait(epoll_fd, loop.batch, EVENT_BATCH, next_timeout());
		if (count < 0 && errno != EINTR)
			log_error("epoll_wait failed: %s", strerror(errno));
		loop.now = monotonic_ms();
		loop.batch_count = count > 0 ? count : 0;
		for (int i = 0; i < loop.batch_count && loop.running; i++) {
			struct watch *watch = loop.batch[i].data.ptr;
			if (watch != NULL) {
				watch->callback(watch, loop.batch[i].events);
				loop_deliver();
			}
		}
		loop.batch_count = 0;
		if (loop.running)
			fire_due_timers();
	}
	log_hold(false);
	return 0;
}

void loop_stop(void) { loop.running = false; }
int64_t loop_now(void) { return monotonic_ms(); }
