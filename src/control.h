/* control.h: what the control socket's commands do (SPEC §6), once the
 * server has read a whole request and checked who sent it.
 *
 * The server (server.c) owns the transport: connections, credentials,
 * limits, and the `events` subscriptions. Every other command comes here. */
#ifndef TEND_CONTROL_H
#define TEND_CONTROL_H

#include <stdbool.h>

#include "protocol.h"
#include "util.h"

enum access { ACCESS_NONE, ACCESS_READ, ACCESS_ADMIN };

/* The access a command needs: ACCESS_READ for status, tree, events,
 * metrics; ACCESS_ADMIN for start, stop, restart, signal, reload, shutdown
 * and anything unknown (so an unknown command from a stranger is "not
 * allowed", not a hint about what exists). */
enum access control_access_needed(const char *command);

/* Run request (not `events`), its output or error messages appended to
 * body. Returns the reply code (enum reply_code). Never blocks. */
int control_execute(const struct request *request, struct strbuf *body);

#endif
