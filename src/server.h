/* server.h: the control socket (SPEC §6): a Unix stream socket served from
 * the one event loop. Non-blocking throughout; every request authorised
 * by SO_PEERCRED; at most 128 clients; a request over 4 KiB refused; a
 * client without a whole request within 5 s dropped; a client that does
 * not read its reply (or its event stream) within its bounded buffer is
 * dropped, never waited for. */
#ifndef TEND_SERVER_H
#define TEND_SERVER_H

#include <stdbool.h>

struct config;

/* Create the socket config->socket_path (nothing when it is NULL: `socket
 * = none`): its directory made if missing, a stale socket of a dead tend
 * replaced, a live one never taken over. Returns 0, or -1 after logging
 * why (tend then exits: two tends on one socket is a setup error). */
int server_open(const struct config *config);
/* The settings of a reloaded config (socket-group, admin-group, mode). The
 * path itself is not changed by a reload (logged when it differs). */
void server_reconfigure(const struct config *config);
/* Close every client and remove the socket file. */
void server_close(void);

/* For events.c: send one event line to every subscriber (text or JSON
 * form, each with its newline). A subscriber whose buffer is full is
 * dropped. */
void server_publish(const char *text_line, const char *json_line);
/* Whether anybody subscribes (events.c formats nothing otherwise). */
bool server_has_subscribers(void);

#endif
