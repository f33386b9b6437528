/* output.h: stdout/stderr = prefix (SPEC §2.3). A prefixed stream of a
 * service goes into a pipe of its own; tend reads it in the loop and writes
 * whole lines, `NAME | line` (or one JSON object each with --log-format
 * json), to its own stdout or stderr. tend never blocks on its output and
 * never drops a line because it is slow: while its stdout is full it stops
 * reading the services' pipes, and they block on their own writes. */
#ifndef TEND_OUTPUT_H
#define TEND_OUTPUT_H

#include <stdint.h>

#include "config.h"

/* The longest piece of a line forwarded as one line: a longer line is cut
 * into pieces of at most this many bytes, each but the last marked. */
enum { OUTPUT_LINE_BOUND = 4096 };

struct output_relay;

/* For each of the service's streams set to prefix: make its relay (once;
 * the pipe outlives restarts) and put the write end the process gets in
 * fds[0] (stdout) / fds[1] (stderr); -1 where the stream is not prefixed
 * or no pipe could be had (then it is inherited, and a warning logged). */
void output_prepare(struct output_relay *relays[2], const struct config_service *config,
		    int fds[2]);
/* The service's process is gone: its unfinished last line is forwarded
 * once what it wrote before it exited has been read. */
void output_exited(struct output_relay *relays[2]);
/* Close the relays' pipes (what is unread in them is lost). */
void output_free(struct output_relay *relays[2]);
/* Every service is down: forward what is left in the pipes, then call
 * done(); at deadline_ms (monotonic) call it anyway, logging what was not
 * written. done() runs from the loop, or at once when nothing is left. */
void output_drain(void (*done)(void), int64_t deadline_ms);

#endif
