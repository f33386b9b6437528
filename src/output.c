/* output.c: the relay for stdout/stderr = prefix.
 *
 * Each prefixed stream of a service has a pipe: the process gets the write
 * end (blocking, as a plain write expects; a pipe, not a socket, because
 * programs such as nginx open /dev/stdout themselves), tend keeps the read
 * end (non-blocking) and the write end too, so the pipe outlives restarts
 * and one life's lines come out before the next one's. Every relay writes
 * into one sink per target (tend's stdout, tend's stderr): a buffer of
 * whole formatted lines, so lines of different services never mix.
 *
 * Backpressure: a sink writes through a private non-blocking description of
 * fd 1 or 2 (opened via /proc/self/fd/N, as the logger does, so the
 * services sharing the descriptor are not affected). When a write would
 * block, the sink stops every relay that feeds it (their watches are
 * removed: the pipes fill and the services block on their own writes) and
 * waits for EPOLLOUT; the input already read waits in the sink's scratch,
 * bounded by one read. Memory: per relay one unfinished line; per sink one
 * buffer and one scratch, static. A sink whose target fails (EPIPE,
 * ENOSPC, ...) is reported once; from then on its lines are read, counted
 * and discarded, so no service ever blocks on it. */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "util.h"

enum {
	READ_SIZE = 65536,       /* one read of a pipe (its default size) */
	SINK_SIZE = 2 * 65536,   /* formatted lines not yet written */
	TIMESTAMP_SIZE = 32,
	JSON_EXTRA = 64,         /* {"ts":"...", the ts and the end of an object */
};

struct sink {
	int target;            /* STDOUT_FILENO or STDERR_FILENO */
	bool opened, use_send, blocked, broken;
	struct watch writable; /* EPOLLOUT while blocked */
	size_t start, end;     /* data[start, end) is still to be written */
	unsigned long discarded;
	struct output_relay *holder; /* whose input waits in scratch */
	struct output_relay *last;   /* the relay that read last */
	size_t held_start, held_end;
	bool held_final;
	char data[SINK_SIZE];
	char scratch[OUTPUT_LINE_BOUND + READ_SIZE];
};

struct output_relay {
	struct watch watch;      /* the read end; active while reading */
	int write_fd;            /* the process's end, kept across restarts */
	struct sink *sink;
	struct output_relay *next;
	long long flush_after;   /* -1, or bytes to read before the last line is flushed */
	bool ended;              /* end of file: nothing more to read */
	bool json;               /* one JSON object per line (--log-format json) */
	size_t partial_length;
	char partial[OUTPUT_LINE_BOUND];
	size_t head_length;
	char head[];             /* "NAME | ", or the JSON between ts and the line */
};

/* Zero-initialised (.bss, so the buffers cost neither file size nor,
 * until used, memory); sink_open() sets them up. */
static struct sink sinks[2];
static struct output_relay *relays;
static char stamp[TIMESTAMP_SIZE];
static struct {
	void (*done)(void);
	struct timer timer;
} drain;

static const char *const stream_names[2] = { "stdout", "stderr" };

/* --- writing to tend's stdout/stderr --- */

static void sink_writable(struct watch *watch, uint32_t events);

static void sink_open(struct sink *sink, int target)
{
	struct stat status;
	sink->opened = true;
	sink->target = target;
	sink->writable = (struct watch){ .fd = sink->target, .callback = sink_writable, .context = sink };
	if (fstat(sink->target, &status) < 0)
		return; /* the first write says why */
	if (S_ISSOCK(status.st_mode)) {
		sink->use_send = true;
	} else if (S_ISFIFO(status.st_mode) || S_ISCHR(status.st_mode)) {
		char path[32];
		snprintf(path, sizeof path, "/proc/self/fd/%d", sink->target);
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0)
			sink->writable.fd = fd;
	}
}

static unsigned long count_lines(const char *text, size_t length)
{
	unsigned long count = 0;
	for (const char *end = text + length; (text = memchr(text, '\n', (size_t)(end - text))); text++)
		count++;
	return count;
}

static void sink_break(struct sink *sink, int error)
{
	sink->broken = true;
	sink->discarded += count_lines(sink->data + sink->start, sink->end - sink->start);
	sink->start = sink->end = 0;
	log_event(LOG_LEVEL_ERROR, NULL, "output",
		  "cannot write to %s: %s; prefixed service output for it is discarded from now on",
		  stream_names[sink->target - 1], strerror(error));
}

/* Write what the sink holds. Returns false while some of it is left
 * because the target is full. */
static bool sink_write(struct sink *sink)
{
	while (sink->start < sink->end) {
		size_t length = sink->end - sink->start;
		ssize_t written;
		if (sink->use_send)
			written = send(sink->writable.fd, sink->data + sink->start, length,
				       MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			written = write(sink->writable.fd, sink->data + sink->start, length);
		if (written > 0) {
			sink->start += (size_t)written;
		} else if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return false;
		} else if (!(written < 0 && errno == EINTR)) {
			sink_break(sink, written < 0 ? errno : EIO);
			return true;
		}
	}
	sink->start = sink->end = 0;
	return true;
}

/* Escaped for a JSON string; bytes that are not UTF-8 become U+FFFD.
 * Returns the end of what was written (at most 6 bytes per byte of text). */
static char *put_json_string(char *out, const char *text, size_t length)
{
	for (size_t i = 0, used; i < length; i += used) {
		size_t escaped = json_escape_char(out, text + i, length - i, JSON_ESCAPE_UTF8, &used);
		if (escaped == 0) {
			memcpy(out, text + i, used);
			escaped = used;
		}
		out += escaped;
	}
	return out;
}

/* Append one line (or piece: continued) of relay's to its sink. Returns
 * false when there is no room for it. */
static bool sink_put(struct output_relay *relay, const char *text, size_t length, bool continued)
{
	struct sink *sink = relay->sink;
	bool as_json = relay->json;
	size_t need = relay->head_length + (as_json ? 6 * length + JSON_EXTRA : length + 2);
	if (!sink->broken && SINK_SIZE - sink->end < need) {
		sink_write(sink);
		memmove(sink->data, sink->data + sink->start, sink->end - sink->start);
		sink->end -= sink->start;
		sink->start = 0;
		if (!sink->broken && SINK_SIZE - sink->end < need)
			return false;
	}
	if (sink->broken) {
		sink->discarded++;
		return true;
	}
	char *out = sink->data + sink->end;
	if (as_json) {
		out += sprintf(out, "{\"ts\":\"%s", stamp);
		memcpy(out, relay->head, relay->head_length);
		out += relay->head_length;
		out = put_json_string(out, text, length);
		const char *end = continued ? "\",\"partial\":true}\n" : "\"}\n";
		memcpy(out, end, strlen(end));
		out += strlen(end);
	} else {
		memcpy(out, relay->head, relay->head_length);
		out += relay->head_length;
		memcpy(out, text, length);
		out += length;
		if (continued)
			*out++ = '\\';
		*out++ = '\n';
	}
	sink->end = (size_t)(out - sink->data);
	return true;
}

/* --- reading the services' pipes --- */

/* Where to cut a line longer than the bound: at the bound, or before a
 * UTF-8 character the bound would split. */
static size_t cut_point(const char *text)
{
	size_t cut = OUTPUT_LINE_BOUND;
	while (cut > OUTPUT_LINE_BOUND - 3 && ((unsigned char)text[cut] & 0xc0) == 0x80)
		cut--;
	return ((unsigned char)text[cut] & 0xc0) == 0x80 ? OUTPUT_LINE_BOUND : cut;
}

/* Forward text[*position, length) as lines: whole lines, pieces of longer
 * ones, and with final the unfinished line at the end too. Returns false,
 * with *position at what is left, when the sink is full. */
static bool forward(struct output_relay *relay, const char *text, size_t *position, size_t length,
		    bool final)
{
	while (*position < length) {
		const char *start = text + *position;
		size_t left = length - *position;
		const char *newline = memchr(start, '\n', left <= OUTPUT_LINE_BOUND ? left : OUTPUT_LINE_BOUND + 1);
		bool continued = newline == NULL && left > OUTPUT_LINE_BOUND;
		size_t piece = newline ? (size_t)(newline - start) : continued ? cut_point(start) : left;
		if (newline == NULL && !continued && !final)
			return true;
		if (!sink_put(relay, start, piece, continued))
			return false;
		*position += piece + (newline != NULL);
	}
	return true;
}

static void relay_pause(struct output_relay *relay) { loop_watch_remove(&relay->watch); }

static void relay_step(struct output_relay *relay);

static void relay_resume(struct output_relay *relay)
{
	if (relay->ended || relay->watch.active)
		return;
	loop_watch_add(&relay->watch, EPOLLIN);
	if (relay->flush_after == 0)
		relay_step(relay); /* nothing may come to wake it */
}

/* Stop the sink's relays and wait until it can be written. */
static void sink_block(struct sink *sink)
{
	if (sink->blocked)
		return;
	sink->blocked = true;
	for (struct output_relay *relay = relays; relay != NULL; relay = relay->next)
		if (relay->sink == sink)
			relay_pause(relay);
}

/* Move relay to the end of the list: the relays resume in list order, and
 * epoll reports the ready ones in the order they were added, so the one
 * that read last reads last next time. Otherwise, with a slow reader, the
 * first to resume fills the sink every time and starves the others. */
static void move_to_end(struct output_relay *relay)
{
	struct output_relay **link = &relays;
	while (*link != relay)
		link = &(*link)->next;
	*link = relay->next;
	while (*link != NULL)
		link = &(*link)->next;
	*link = relay;
	relay->next = NULL;
}

static void sink_unblock(struct sink *sink)
{
	if (!sink->blocked)
		return;
	sink->blocked = false;
	if (sink->last != NULL)
		move_to_end(sink->last);
	for (struct output_relay *relay = relays; relay != NULL && !sink->blocked; relay = relay->next)
		if (relay->sink == sink)
			relay_resume(relay);
}

/* Keep what forward() left of a step's input: the unfinished line, or,
 * when the sink was full, everything from there on, in the scratch. */
static void keep_rest(struct output_relay *relay, const char *text, size_t position, size_t length,
		      bool done, bool final)
{
	struct sink *sink = relay->sink;
	if (!done) {
		sink->holder = relay;
		sink->held_start = position;
		sink->held_end = length;
		sink->held_final = final;
		return;
	}
	relay->partial_length = length - position;
	memmove(relay->partial, text + position, relay->partial_length);
}

static void check_drained(void);

/* Write the sink out, and while it empties, the input held back for it;
 * while anything is left, wait for the target, and stop the relays once
 * the sink is half full or holds input back; start them again once all is
 * written. */
static void sink_settle(struct sink *sink)
{
	while (sink_write(sink)) {
		struct output_relay *holder = sink->holder;
		if (holder == NULL) {
			loop_watch_remove(&sink->writable);
			sink_unblock(sink);
			check_drained();
			return;
		}
		sink->holder = NULL;
		size_t position = sink->held_start;
		bool done = forward(holder, sink->scratch, &position, sink->held_end, sink->held_final);
		keep_rest(holder, sink->scratch, position, sink->held_end, done, sink->held_final);
	}
	if (!sink->writable.active)
		loop_watch_add(&sink->writable, EPOLLOUT);
	/* While there is room for more, the relays go on: a target that took
	 * only part of a write (a 64 KiB pipe, a 70 KiB batch) need not stop
	 * them each time. */
	if (sink->holder != NULL || sink->end - sink->start > SINK_SIZE / 2)
		sink_block(sink);
}

static void sink_writable(struct watch *watch, uint32_t events)
{
	(void)events;
	sink_settle(watch->context);
}

static void relay_end(struct output_relay *relay)
{
	relay->ended = true;
	loop_watch_remove(&relay->watch);
}

/* One read of the pipe (bounded, so that every relay gets its turn), and
 * its lines forwarded. */
static void relay_step(struct output_relay *relay)
{
	struct sink *sink = relay->sink;
	char *buffer = sink->scratch;
	size_t length = relay->partial_length;
	size_t want = READ_SIZE;
	if (sink->holder != NULL || sink->blocked)
		return;
	memcpy(buffer, relay->partial, length);
	sink->last = relay;
	if (relay->flush_after >= 0 && relay->flush_after < (long long)want)
		want = (size_t)relay->flush_after;
	bool final = false;
	if (want > 0) {
		ssize_t got = read(relay->watch.fd, buffer + length, want);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (got <= 0) {
			if (got < 0)
				log_error("cannot read the output of a service: %s", strerror(errno));
			relay_end(relay);
			final = true;
			got = 0;
		}
		length += (size_t)got;
		if (relay->flush_after > 0)
			relay->flush_after -= got;
	}
	if (relay->flush_after == 0) {
		relay->flush_after = -1;
		final = true;
	}
	if (relay->json)
		log_timestamp(stamp, sizeof stamp);
	size_t position = 0;
	relay->partial_length = 0;
	bool done = forward(relay, buffer, &position, length, final);
	keep_rest(relay, buffer, position, length, done, final);
	sink_settle(sink);
}

static void relay_readable(struct watch *watch, uint32_t events)
{
	(void)events;
	relay_step(watch->context);
}

/* What goes before a line: "NAME | ", or the JSON between ts and line. */
static int format_head(char *buffer, size_t size, bool as_json, const char *name, int stream)
{
	if (as_json)
		return snprintf(buffer, size, "\",\"service\":\"%s\",\"stream\":\"%s\",\"line\":\"",
				name, stream_names[stream]);
	return snprintf(buffer, size, "%s | ", name);
}

static struct output_relay *relay_new(const char *name, int stream)
{
	bool as_json = log_get_format() == LOG_FORMAT_JSON;
	int head_length = format_head(NULL, 0, as_json, name, stream);
	struct output_relay *relay = malloc(sizeof *relay + (size_t)head_length + 1);
	int ends[2];
	if (relay == NULL || pipe2(ends, O_CLOEXEC) < 0) {
		free(relay);
		return NULL;
	}
	/* Only tend's end is non-blocking: the service's write blocks. */
	fcntl(ends[0], F_SETFL, O_NONBLOCK);
	relay->watch = (struct watch){ .fd = ends[0], .callback = relay_readable, .context = relay };
	relay->write_fd = ends[1];
	relay->sink = &sinks[stream];
	relay->flush_after = -1;
	relay->ended = false;
	relay->json = as_json;
	relay->partial_length = 0;
	relay->head_length = (size_t)head_length;
	format_head(relay->head, (size_t)head_length + 1, as_json, name, stream);
	if (!relay->sink->opened)
		sink_open(relay->sink, stream + 1);
	relay->next = relays;
	relays = relay;
	if (!relay->sink->blocked)
		loop_watch_add(&relay->watch, EPOLLIN);
	return relay;
}

void output_prepare(struct output_relay *service_relays[2], const struct config_service *config,
		    int fds[2])
{
	const struct output_setting *settings[2] = { &config->stdout_setting, &config->stderr_setting };
	for (int stream = 0; stream < 2; stream++) {
		fds[stream] = -1;
		if (settings[stream]->mode != OUTPUT_PREFIX)
			continue;
		if (service_relays[stream] == NULL)
			service_relays[stream] = relay_new(config->name, stream);
		if (service_relays[stream] == NULL) {
			log_event(LOG_LEVEL_WARN, config->name, "output",
				  "cannot make a pipe for %s = prefix: %s; inheriting tend's",
				  stream_names[stream], strerror(errno));
			continue;
		}
		fds[stream] = service_relays[stream]->write_fd;
	}
}

void output_exited(struct output_relay *service_relays[2])
{
	for (int stream = 0; stream < 2; stream++) {
		struct output_relay *relay = service_relays[stream];
		int unread = 0;
		if (relay == NULL || relay->flush_after >= 0 || relay->ended)
			continue;
		/* What is in the pipe now was written before the exit: the
		 * unfinished line is flushed right after it. */
		if (ioctl(relay->watch.fd, FIONREAD, &unread) < 0)
			unread = 0;
		relay->flush_after = unread;
		if (unread == 0)
			relay_step(relay);
	}
}

void output_free(struct output_relay *service_relays[2])
{
	for (int stream = 0; stream < 2; stream++) {
		struct output_relay *relay = service_relays[stream];
		if (relay == NULL)
			continue;
		struct output_relay **link = &relays;
		while (*link != relay)
			link = &(*link)->next;
		*link = relay->next;
		if (relay->sink->holder == relay)
			relay->sink->holder = NULL;
		if (relay->sink->last == relay)
			relay->sink->last = NULL;
		loop_watch_remove(&relay->watch);
		close(relay->watch.fd);
		if (relay->write_fd >= 0)
			close(relay->write_fd);
		free(relay);
		service_relays[stream] = NULL;
	}
}

/* --- the end --- */

static bool drained(void)
{
	for (struct output_relay *relay = relays; relay != NULL; relay = relay->next)
		if (!relay->ended)
			return false;
	for (int i = 0; i < 2; i++)
		if (sinks[i].end > sinks[i].start || sinks[i].holder != NULL)
			return false;
	return true;
}

static void finish_drain(void)
{
	void (*done)(void) = drain.done;
	drain.done = NULL;
	loop_timer_cancel(&drain.timer);
	for (int i = 0; i < 2; i++)
		if (sinks[i].discarded > 0)
			log_event(LOG_LEVEL_WARN, NULL, "output", "%lu lines of service output for %s were discarded",
				  sinks[i].discarded, stream_names[i]);
	done();
}

static void check_drained(void)
{
	if (drain.done != NULL && drained())
		finish_drain();
}

static void drain_deadline(struct timer *timer)
{
	(void)timer;
	size_t left = 0;
	for (int i = 0; i < 2; i++)
		left += sinks[i].end - sinks[i].start +
			(sinks[i].holder ? sinks[i].held_end - sinks[i].held_start : 0);
	log_event(LOG_LEVEL_WARN, NULL, "output",
		  "shutdown deadline: %zu bytes of service output (and what was left in the pipes) not written", left);
	finish_drain();
}

void output_drain(void (*done)(void), int64_t deadline_ms)
{
	drain.done = done;
	drain.timer = (struct timer){ .callback = drain_deadline };
	/* Without tend's write ends, a pipe reads end of file once every
	 * process that had it is gone and it is empty. */
	for (struct output_relay *relay = relays; relay != NULL; relay = relay->next) {
		if (relay->write_fd >= 0)
			close(relay->write_fd);
		relay->write_fd = -1;
	}
	if (drained()) {
		finish_drain();
		return;
	}
	loop_timer_set(&drain.timer, deadline_ms);
}
