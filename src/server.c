/* server.c: the control socket (server.h, SPEC §6, doc/PROTOCOL.md).
 *
 * Every client is a small state machine driven by the one loop:
 *   READING   until a whole request line has arrived (5 s at most, 4 KiB
 *             at most), then it is authorised and answered at once;
 *   WRITING   the reply, built whole, goes out as fast as the client reads
 *             it (no progress for 5 s: dropped), then the connection closes;
 *   STREAMING an `events` subscriber: lines are queued as they happen and
 *             written as it reads them; more than SUBSCRIBER_PENDING_MAX
 *             bytes unread, or no progress for 5 s while some are pending,
 *             and it is dropped.
 * Nothing here ever waits: every fd is non-blocking, and a timer runs only
 * while a client owes us something (a request, or reading what we sent),
 * so an idle tend with the socket open and idle subscribers makes no
 * wake-ups. */
#include "server.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "log.h"
#include "loop.h"
#include "passwd.h"
#include "protocol.h"
#include "socketfile.h"
#include "util.h"

enum {
	CLIENTS_MAX = 128,
	LISTEN_BACKLOG = 256,
	CLIENT_TIMEOUT_MS = 5000,
	ACCEPT_PAUSE_MS = 1000,   /* after EMFILE: let fds come back */
	ACCEPT_BATCH = 32,        /* accepts per wake-up: supervision first */
	SUBSCRIBER_PENDING_MAX = 256 * 1024,
	SUBSCRIBER_KEEP = 16 * 1024, /* buffer kept by a drained subscriber */
	GROUP_NAME_MAX = 64,
	PEER_GROUPS_INLINE = 64,
};

enum client_phase { CLIENT_READING, CLIENT_WRITING, CLIENT_STREAMING };

struct client {
	struct watch watch;
	struct timer timer;
	struct client *previous, *next;
	enum client_phase phase;
	enum access access; /* what its credentials allow, fixed at accept */
	uint32_t watched;   /* the epoll events asked for */
	bool json;          /* an events subscriber that wants JSON lines */
	bool read_closed;   /* it shut down its sending side (shutdown(SHUT_WR)) */
	uid_t uid;
	pid_t pid;
	char *out; /* the reply, or a subscriber's pending lines */
	size_t out_length, out_sent, out_capacity;
	size_t in_length;
	char in[PROTOCOL_REQUEST_MAX];
};

/* The listening socket, -1 when closed. Not in server below, which is
 * zero-initialised and so takes no room in the binary's initialised data. */
static int listen_fd = -1;

static struct {
	struct watch listen;
	struct timer accept_pause;
	struct socket_file file;
	uid_t self_uid;
	bool set_socket_group, set_admin_group;
	gid_t socket_group, admin_group;
	char socket_group_name[GROUP_NAME_MAX], admin_group_name[GROUP_NAME_MAX];
	bool full_logged; /* a refusal at the client limit was logged */
	struct client *clients;
	size_t client_count, subscriber_count;
} server;

/* ---- clients ---- */

static void client_close(struct client *client)
{
	loop_watch_remove(&client->watch);
	loop_timer_cancel(&client->timer);
	if (close(client->watch.fd) < 0 && errno != EINTR)
		log_debug("control socket: closing a client: %s", strerror(errno));
	if (client->previous != NULL)
		client->previous->next = client->next;
	else
		server.clients = client->next;
	if (client->next != NULL)
		client->next->previous = client->previous;
	server.client_count--;
	if (client->phase == CLIENT_STREAMING)
		server.subscriber_count--;
	free(client->out);
	free(client);
}

static void client_drop(struct client *client, const char *why)
{
	log_debug("control socket: dropped the client of uid %u (pid %ld): %s",
		  (unsigned)client->uid, (long)client->pid, why);
	client_close(client);
}

/* Ask epoll for events (only when they change: a syscall saved). Returns
 * 0, or -1 after closing the client. */
static int client_watch(struct client *client, uint32_t events)
{
	if (client->watched == events)
		return 0;
	if (loop_watch_modify(&client->watch, events) < 0) {
		client_close(client);
		return -1;
	}
	client->watched = events;
	return 0;
}

/* What to wait for: a reply being written needs only room (its input is
 * not read any more, and a readable fd nobody reads would wake the loop
 * again and again); a subscriber's input is read (and discarded) until it
 * shuts its side down, and room is wanted while output waits. EPOLLHUP
 * and EPOLLERR come anyway. */
static uint32_t wanted_events(const struct client *client, bool pending)
{
	if (client->phase == CLIENT_WRITING)
		return EPOLLOUT;
	return (client->read_closed ? 0 : EPOLLIN) | (pending ? EPOLLOUT : 0);
}

static int client_arm_timer(struct client *client)
{
	if (loop_timer_set(&client->timer, loop_now() + CLIENT_TIMEOUT_MS) < 0) {
		client_close(client);
		return -1;
	}
	return 0;
}

/* Write what is pending. A reply written whole closes the connection; a
 * subscriber drained waits (no timer) for the next event. */
static void client_flush(struct client *client)
{
	bool progress = false;
	while (client->out_sent < client->out_length) {
		ssize_t n = send(client->watch.fd, client->out + client->out_sent,
				 client->out_length - client->out_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_drop(client, strerror(errno));
			return;
		}
		client->out_sent += (size_t)n;
		progress = true;
	}
	if (client->out_sent < client->out_length) {
		/* The client is slow: wait for room, 5 s from the last progress. */
		if (client_watch(client, wanted_events(client, true)) < 0)
			return;
		if (progress || !loop_timer_armed(&client->timer))
			client_arm_timer(client);
		return;
	}
	if (client->phase == CLIENT_WRITING) {
		client_close(client);
		return;
	}
	client->out_length = client->out_sent = 0;
	if (client->out_capacity > SUBSCRIBER_KEEP) {
		/* A burst grew it: give the memory back rather than keep up to
		 * 512 KiB for each of 128 idle subscribers. */
		free(client->out);
		client->out = NULL;
		client->out_capacity = 0;
	}
	loop_timer_cancel(&client->timer);
	client_watch(client, wanted_events(client, false));
}

/* Queue bytes for a client. Returns 0, or -1 when they would make it hold
 * more than limit bytes (or no memory can be had). */
static int client_queue(struct client *client, const char *data, size_t length, size_t limit)
{
	if (client->out_sent > 0 && client->out_sent == client->out_length)
		client->out_length = client->out_sent = 0;
	size_t pending = client->out_length - client->out_sent;
	if (pending + length > limit)
		return -1;
	if (client->out_length + length > client->out_capacity) {
		if (client->out_sent > 0) { /* make room at the front first */
			memmove(client->out, client->out + client->out_sent, pending);
			client->out_length = pending;
			client->out_sent = 0;
		}
		size_t capacity = client->out_capacity ? client->out_capacity : 4096;
		while (capacity < client->out_length + length)
			capacity *= 2;
		if (capacity != client->out_capacity) {
			char *grown = realloc(client->out, capacity);
			if (grown == NULL)
				return -1;
			client->out = grown;
			client->out_capacity = capacity;
		}
	}
	memcpy(client->out + client->out_length, data, length);
	client->out_length += length;
	return 0;
}

static void client_reply(struct client *client, int code, struct strbuf *body)
{
	static const char no_memory[] = "out of memory\n";
	const char *data = body->data;
	size_t length = body->length;
	if (body->failed) {
		code = REPLY_FAILED;
		data = no_memory;
		length = sizeof no_memory - 1;
	}
	char header[PROTOCOL_HEADER_MAX];
	size_t header_length = protocol_format_header(header, sizeof header, code,
						      (long long)length);
	client->phase = CLIENT_WRITING;
	loop_timer_cancel(&client->timer);
	int queued = client_queue(client, header, header_length, (size_t)-1);
	if (queued == 0 && length > 0)
		queued = client_queue(client, data, length, (size_t)-1);
	strbuf_free(body);
	if (queued < 0) {
		client_drop(client, "out of memory for its reply");
		return;
	}
	client_flush(client);
}

/* Why a client with this access may not run a command that needs more. */
static void explain_denial(const struct client *client, struct strbuf *body)
{
	if (client->access == ACCESS_READ) {
		if (server.set_admin_group)
			strbuf_printf(body,
				      "permission denied: uid %u may only use read-only commands "
				      "(not in admin-group '%s')\n",
				      (unsigned)client->uid, server.admin_group_name);
		else
			strbuf_printf(body,
				      "permission denied: uid %u may only use read-only commands "
				      "(no admin-group is set)\n",
				      (unsigned)client->uid);
	} else if (server.set_socket_group && server.set_admin_group) {
		strbuf_printf(body,
			      "permission denied: uid %u is not in socket-group '%s' or "
			      "admin-group '%s'\n",
			      (unsigned)client->uid, server.socket_group_name, server.admin_group_name);
	} else if (server.set_socket_group) {
		strbuf_printf(body, "permission denied: uid %u is not in socket-group '%s'\n",
			      (unsigned)client->uid, server.socket_group_name);
	} else if (server.set_admin_group) {
		strbuf_printf(body, "permission denied: uid %u is not in admin-group '%s'\n",
			      (unsigned)client->uid, server.admin_group_name);
	} else {
		strbuf_printf(body,
			      "permission denied: uid %u is neither root nor tend's own uid, "
			      "and no socket-group or admin-group is set\n",
			      (unsigned)client->uid);
	}
}

static void client_subscribe(struct client *client, const struct request *request)
{
	struct strbuf body = { 0 };
	bool json = false;
	for (size_t i = 0; i < request->arg_count; i++) {
		if (strcmp(request->args[i], "--json") == 0) {
			json = true;
		} else {
			strbuf_printf(&body, "usage: events [--json]\n");
			client_reply(client, REPLY_USAGE, &body);
			return;
		}
	}
	char header[PROTOCOL_HEADER_MAX];
	size_t header_length = protocol_format_header(header, sizeof header, REPLY_OK, -1);
	client->phase = CLIENT_STREAMING;
	client->json = json;
	server.subscriber_count++;
	loop_timer_cancel(&client->timer);
	client->in_length = 0;
	if (client_queue(client, header, header_length, SUBSCRIBER_PENDING_MAX) < 0) {
		client_drop(client, "out of memory");
		return;
	}
	client_flush(client);
}

/* A refusal is worth a log line, but a stranger looping on the socket
 * must not flood the log: at most one a second, with a count of the ones
 * left out. */
static void log_refusal(const struct client *client, const char *command)
{
	static int64_t last_ms = INT64_MIN / 2;
	static unsigned left_out;
	int64_t now = loop_now();
	if (now - last_ms < 1000) {
		left_out++;
		return;
	}
	if (left_out > 0)
		log_info("control socket: refused '%s' from uid %u (pid %ld) "
			 "(and %u more refusals not logged)",
			 command, (unsigned)client->uid, (long)client->pid, left_out);
	else
		log_info("control socket: refused '%s' from uid %u (pid %ld)", command,
			 (unsigned)client->uid, (long)client->pid);
	last_ms = now;
	left_out = 0;
}

/* A whole request line of length bytes is in client->in. */
static void client_handle(struct client *client, size_t length)
{
	struct request request;
	const char *error = NULL;
	struct strbuf body = { 0 };
	int code = protocol_parse_request(client->in, length, &request, &error);
	if (code != REPLY_OK) {
		strbuf_printf(&body, "%s\n", error);
	} else if (client->access < control_access_needed(request.command)) {
		code = REPLY_DENIED;
		explain_denial(client, &body);
		log_refusal(client, request.command);
	} else if (strcmp(request.command, "events") == 0) {
		client_subscribe(client, &request);
		return;
	} else {
		code = control_execute(&request, &body);
	}
	client_reply(client, code, &body);
}

/* The client shut down its sending side, or closed. A request it sent
 * without the final newline (`printf 'tend/1 status' | socat ...`) is
 * still a request; a subscriber that only half-closed (socat does, after
 * its input) keeps its stream until it closes for good (EPOLLHUP). */
static void client_end_of_input(struct client *client)
{
	client->read_closed = true;
	switch (client->phase) {
	case CLIENT_READING:
		if (client->in_length == 0) {
			client_close(client);
			return;
		}
		client_handle(client, client->in_length);
		return;
	case CLIENT_STREAMING:
		client_watch(client, wanted_events(client, client->out_sent < client->out_length));
		return;
	case CLIENT_WRITING:
		return;
	}
}

static void client_read(struct client *client)
{
	/* A bound on reads per wake-up: a client that floods us (a
	 * subscriber sending junk) cannot keep the loop for itself. */
	for (int round = 0; round < 16; round++) {
		size_t room = sizeof client->in - client->in_length;
		if (room == 0) {
			if (client->phase != CLIENT_READING) {
				client->in_length = 0; /* a subscriber's chatter: ignored */
				continue;
			}
			struct strbuf body = { 0 };
			strbuf_printf(&body, "request too long (more than %d bytes)\n",
				      PROTOCOL_REQUEST_MAX);
			client_reply(client, REPLY_USAGE, &body);
			return;
		}
		ssize_t n = read(client->watch.fd, client->in + client->in_length, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				client_drop(client, strerror(errno));
			return;
		}
		if (n == 0) {
			client_end_of_input(client);
			return;
		}
		if (client->phase != CLIENT_READING) {
			client->in_length = 0;
			continue;
		}
		char *newline = memchr(client->in + client->in_length, '\n', (size_t)n);
		client->in_length += (size_t)n;
		if (newline != NULL) {
			client_handle(client, (size_t)(newline - client->in));
			return;
		}
	}
}

static void on_client(struct watch *watch, uint32_t events)
{
	struct client *client = watch->context;
	if (client->phase == CLIENT_WRITING) {
		/* Only EPOLLOUT matters now (extra input is ignored); a hang-up
		 * shows as an error from send. */
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			client_flush(client);
		return;
	}
	if (client->phase == CLIENT_STREAMING) {
		if (events & (EPOLLHUP | EPOLLERR)) {
			client_close(client); /* it is gone: nobody to stream to */
			return;
		}
		if (events & EPOLLOUT) {
			client_flush(client);
			return; /* EPOLLIN, if any, is reported again */
		}
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		client_read(client);
}

static void on_client_timer(struct timer *timer)
{
	struct client *client = timer->context;
	client_drop(client, client->phase == CLIENT_READING
				    ? "no whole request within 5 s"
				    : "it did not read what it was sent within 5 s");
}

/* What the peer's credentials allow (SPEC §6). Unprivileged peers need
 * their groups: the primary one from SO_PEERCRED, the supplementary ones
 * from SO_PEERGROUPS, both as they were at connect(). */
static enum access peer_access(int fd, const struct ucred *credentials)
{
	if (credentials->uid == 0 || credentials->uid == server.self_uid)
		return ACCESS_ADMIN;
	if (!server.set_socket_group && !server.set_admin_group)
		return ACCESS_NONE;
	gid_t inline_groups[PEER_GROUPS_INLINE];
	gid_t *groups = inline_groups;
	socklen_t size = sizeof inline_groups;
	size_t count = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &size) == 0) {
		count = size / sizeof *groups;
	} else if (errno == ERANGE && size > sizeof inline_groups) {
		groups = malloc(size);
		if (groups != NULL && getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &size) == 0)
			count = size / sizeof *groups;
	}
	bool admin = server.set_admin_group && credentials->gid == server.admin_group;
	bool reader = server.set_socket_group && credentials->gid == server.socket_group;
	for (size_t i = 0; i < count; i++) {
		admin = admin || (server.set_admin_group && groups[i] == server.admin_group);
		reader = reader || (server.set_socket_group && groups[i] == server.socket_group);
	}
	if (groups != inline_groups)
		free(groups);
	return admin ? ACCESS_ADMIN : reader ? ACCESS_READ : ACCESS_NONE;
}

static void client_open(int fd)
{
	struct ucred credentials;
	socklen_t size = sizeof credentials;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) < 0) {
		log_warn("control socket: cannot read a client's credentials: %s", strerror(errno));
		close(fd);
		return;
	}
	struct client *client = xcalloc(1, sizeof *client);
	if (client == NULL) {
		close(fd);
		return;
	}
	client->watch = (struct watch){ .fd = fd, .callback = on_client, .context = client };
	client->timer = (struct timer){ .callback = on_client_timer, .context = client };
	client->uid = credentials.uid;
	client->pid = credentials.pid;
	client->access = peer_access(fd, &credentials);
	client->watched = EPOLLIN;
	if (loop_watch_add(&client->watch, EPOLLIN) < 0) {
		close(fd);
		free(client);
		return;
	}
	client->next = server.clients;
	if (server.clients != NULL)
		server.clients->previous = client;
	server.clients = client;
	server.client_count++;
	if (client->access == ACCESS_NONE) {
		/* A stranger may do nothing: refused at once, before its
		 * request is read, so it never holds one of the 128 places
		 * for the 5 s a request may take (a 0666 socket must not let
		 * strangers lock root out). */
		struct strbuf body = { 0 };
		explain_denial(client, &body);
		log_refusal(client, "any command");
		client_reply(client, REPLY_DENIED, &body);
		return;
	}
	client_arm_timer(client);
}

/* ---- the listening socket ---- */

static void accept_pause(const char *why)
{
	log_warn("control socket: cannot accept a client: %s; pausing accepts for %d ms", why,
		 ACCEPT_PAUSE_MS);
	loop_watch_remove(&server.listen);
	if (loop_timer_set(&server.accept_pause, loop_now() + ACCEPT_PAUSE_MS) < 0)
		loop_watch_add(&server.listen, EPOLLIN); /* better spin than go deaf */
}

static void on_accept_pause(struct timer *timer)
{
	(void)timer;
	if (listen_fd >= 0 && !server.listen.active)
		loop_watch_add(&server.listen, EPOLLIN);
}

static void on_listen(struct watch *watch, uint32_t events)
{
	(void)watch, (void)events;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				accept_pause(strerror(errno));
			return;
		}
		if (server.client_count >= CLIENTS_MAX) {
			/* Closed at once: the limit is what keeps PID 1's fds
			 * and memory bounded whatever clients do. */
			close(fd);
			if (!server.full_logged)
				log_warn("control socket: %d clients connected; refusing more",
					 CLIENTS_MAX);
			server.full_logged = true;
			continue;
		}
		server.full_logged = false;
		client_open(fd);
	}
}

static void apply_settings(const struct config *config)
{
	server.set_socket_group = config->set_socket_group;
	server.set_admin_group = config->set_admin_group;
	server.socket_group = config->socket_group;
	server.admin_group = config->admin_group;
	if (server.set_socket_group)
		passwd_group_name(NULL, server.socket_group, server.socket_group_name,
				  sizeof server.socket_group_name);
	if (server.set_admin_group)
		passwd_group_name(NULL, server.admin_group, server.admin_group_name,
				  sizeof server.admin_group_name);
}

static struct socket_file_settings file_settings(const struct config *config)
{
	return (struct socket_file_settings){
		.mode = config->socket_mode,
		.set_group = config->set_socket_group || config->set_admin_group,
		.group = config->set_socket_group ? config->socket_group : config->admin_group,
	};
}

int server_open(const struct config *config)
{
	if (config->socket_path == NULL)
		return 0;
	struct socket_file_settings settings = file_settings(config);
	listen_fd = socket_file_open(&server.file, config->socket_path, &settings, LISTEN_BACKLOG);
	if (listen_fd < 0)
		return -1;
	server.self_uid = geteuid();
	server.listen = (struct watch){ .fd = listen_fd, .callback = on_listen };
	server.accept_pause = (struct timer){ .callback = on_accept_pause };
	if (loop_watch_add(&server.listen, EPOLLIN) < 0) {
		close(listen_fd);
		listen_fd = -1;
		socket_file_remove(&server.file);
		return -1;
	}
	apply_settings(config);
	log_debug("control socket %s open", server.file.path);
	return 0;
}

void server_reconfigure(const struct config *config)
{
	if (listen_fd < 0)
		return;
	if (config->socket_path == NULL || strcmp(config->socket_path, server.file.path) != 0)
		log_warn("the control socket stays %s until tend restarts (a reload does not move it)",
			 server.file.path);
	apply_settings(config);
	struct socket_file_settings settings = file_settings(config);
	socket_file_apply(&server.file, &settings);
}

void server_close(void)
{
	while (server.clients != NULL) {
		struct client *client = server.clients;
		/* One last try for what is pending (a shutdown's reply, the
		 * last events); never a wait. */
		if (client->out_sent < client->out_length)
			(void)send(client->watch.fd, client->out + client->out_sent,
				   client->out_length - client->out_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		client_close(client);
	}
	if (listen_fd < 0)
		return;
	loop_watch_remove(&server.listen);
	loop_timer_cancel(&server.accept_pause);
	close(listen_fd);
	listen_fd = -1;
	socket_file_remove(&server.file);
}

void server_publish(const char *text_line, const char *json_line)
{
	size_t text_length = strlen(text_line), json_length = strlen(json_line);
	struct client *next;
	for (struct client *client = server.clients; client != NULL; client = next) {
		next = client->next;
		if (client->phase != CLIENT_STREAMING)
			continue;
		bool idle = client->out_sent == client->out_length;
		int queued = client->json
				     ? client_queue(client, json_line, json_length, SUBSCRIBER_PENDING_MAX)
				     : client_queue(client, text_line, text_length, SUBSCRIBER_PENDING_MAX);
		if (queued < 0) {
			log_warn("control socket: dropped the events subscriber of uid %u "
				 "(pid %ld): it does not read its stream",
				 (unsigned)client->uid, (long)client->pid);
			client_close(client);
		} else if (idle) {
			client_flush(client);
		}
	}
}

bool server_has_subscribers(void)
{
	return server.subscriber_count > 0;
}
