/* notify.c: the sd_notify socket (notify.h).
 *
 * A message is read in one recvmsg into a static buffer (no allocation per
 * message), its file descriptors are closed before anything else, and its
 * sender is found by session: getsid() of the SCM_CREDENTIALS pid names the
 * service (every service leads its own session; the main service leads its
 * own process group in tend's session, so for it the process group counts).
 * The kernel fills in the credentials; a process may only claim its own pid
 * (root may claim another that exists: systemd-notify names its parent
 * shell, which is in the same session). */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "health.h"
#include "log.h"
#include "loop.h"
#include "service.h"

/* systemd reads at most PIPE_BUF per message; so do we. */
enum { MESSAGE_MAX = PIPE_BUF, FDS_MAX = 16 };

static struct {
	struct watch watch;
	struct health_state *senders;
} notify = { .watch = { .fd = -1 } };
/* The socket's names. Not in notify: zero-initialised, they take no room
 * in the binary's initialised data. */
static struct {
	char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 1]; /* NOTIFY_SOCKET */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];     /* to unlink; "" if abstract */
} notify_socket;

static void on_message(struct watch *watch, uint32_t events);

const char *notify_socket_name(void)
{
	return notify.watch.fd >= 0 ? notify_socket.name : NULL;
}

static int bind_path(int fd, const char *dir)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	int length = snprintf(address.sun_path, sizeof address.sun_path, "%s/notify", dir);
	if (length < 0 || (size_t)length >= sizeof address.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	unlink(address.sun_path); /* a stale socket of an earlier run */
	if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0)
		return -1;
	/* Services may run as any user: the sender is checked by its
	 * credentials, not by the file's mode. */
	if (chmod(address.sun_path, 0666) < 0) {
		int error = errno;
		unlink(address.sun_path);
		errno = error;
		return -1;
	}
	memcpy(notify_socket.path, address.sun_path, sizeof notify_socket.path);
	memcpy(notify_socket.name, address.sun_path, sizeof notify_socket.path);
	return 0;
}

/* An abstract name the kernel picks (autobind): unique, no file. */
static int bind_abstract(int fd)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	if (bind(fd, (struct sockaddr *)&address, sizeof(sa_family_t)) < 0)
		return -1;
	socklen_t length = sizeof address;
	if (getsockname(fd, (struct sockaddr *)&address, &length) < 0)
		return -1;
	size_t name_length = length - offsetof(struct sockaddr_un, sun_path);
	if (name_length < 2 || name_length >= sizeof notify_socket.name) {
		errno = EINVAL;
		return -1;
	}
	notify_socket.name[0] = '@';
	memcpy(notify_socket.name + 1, address.sun_path + 1, name_length - 1);
	notify_socket.name[name_length] = '\0';
	notify_socket.path[0] = '\0';
	return 0;
}

int notify_open(const char *dir)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int on = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0) {
		log_error("cannot create the notify socket: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (bind_path(fd, dir) < 0) {
		log_event(LOG_LEVEL_DEBUG, NULL, "notify", "cannot bind %s/notify (%s): using an abstract socket",
			  dir, strerror(errno));
		if (bind_abstract(fd) < 0) {
			log_error("cannot bind the notify socket: %s", strerror(errno));
			close(fd);
			return -1;
		}
	}
	notify.watch = (struct watch){ .fd = fd, .callback = on_message };
	if (loop_watch_add(&notify.watch, EPOLLIN) < 0) {
		notify_close();
		return -1;
	}
	log_event(LOG_LEVEL_DEBUG, NULL, "notify", "NOTIFY_SOCKET=%s", notify_socket.name);
	return 0;
}

void notify_close(void)
{
	if (notify.watch.fd < 0)
		return;
	loop_watch_remove(&notify.watch);
	close(notify.watch.fd);
	notify.watch.fd = -1;
	if (notify_socket.path[0] != '\0')
		unlink(notify_socket.path);
}

void notify_register(struct health_state *state)
{
	state->next_notify = notify.senders;
	notify.senders = state;
}

void notify_unregister(struct health_state *state)
{
	for (struct health_state **link = &notify.senders; *link != NULL; link = &(*link)->next_notify)
		if (*link == state) {
			*link = state->next_notify;
			break;
		}
	state->next_notify = NULL;
}

/* The service whose session (main: process group) holds pid, or NULL. */
static struct health_state *sender_of(pid_t pid)
{
	if (pid <= 0)
		return NULL;
	pid_t session = getsid(pid), group = -1;
	for (struct health_state *state = notify.senders; state != NULL; state = state->next_notify) {
		if (!state->service->config->main) {
			if (session == state->session)
				return state;
			continue;
		}
		if (group < 0)
			group = getpgid(pid);
		if (group == state->session)
			return state;
	}
	return NULL;
}

static bool key_is(const char *line, size_t length, const char *key, const char **value)
{
	size_t key_length = strlen(key);
	if (length < key_length || memcmp(line, key, key_length) != 0)
		return false;
	*value = line + key_length;
	return true;
}

/* A decimal number in [value, end); -1 if it is not one. */
static long long number(const char *value, const char *end)
{
	long long result = 0;
	if (value == end)
		return -1;
	for (; value < end; value++) {
		if (*value < '0' || *value > '9' || result > LLONG_MAX / 10 - 10)
			return -1;
		result = result * 10 + (*value - '0');
	}
	return result;
}

/* MAINPID=: accepted only for a pid within the service's own session. */
static void main_pid(struct health_state *state, long long pid)
{
	struct service *service = state->service;
	if (pid <= 0 || pid > INT_MAX || sender_of((pid_t)pid) != state) {
		log_event(LOG_LEVEL_WARN, service->config->name, "notify",
			  "MAINPID=%lld ignored: not a process of this service", pid);
		return;
	}
	service_adopt_pid(service, (pid_t)pid);
}

static void handle_line(struct health_state *state, const char *line, size_t length)
{
	const char *value, *end = line + length;
	if (key_is(line, length, "READY=1", &value) && value == end)
		health_notify_ready(state, true);
	else if ((key_is(line, length, "RELOADING=1", &value) ||
		  key_is(line, length, "STOPPING=1", &value)) && value == end)
		health_notify_ready(state, false);
	else if (key_is(line, length, "STATUS=", &value))
		health_set_status(state, value, (size_t)(end - value));
	else if (key_is(line, length, "WATCHDOG=1", &value) && value == end)
		health_watchdog_kick(state);
	else if (key_is(line, length, "WATCHDOG=trigger", &value) && value == end)
		health_watchdog_trigger(state);
	else if (key_is(line, length, "EXTEND_TIMEOUT_USEC=", &value) && number(value, end) >= 0)
		health_extend_timeout(state, (number(value, end) + 999) / 1000);
	else if (key_is(line, length, "MAINPID=", &value))
		main_pid(state, number(value, end));
	/* Anything else (BARRIER=1, ERRNO=, FDSTORE=, ...) means nothing to us. */
}

static void handle_message(struct health_state *state, const char *text, size_t length)
{
	const char *end = text + length;
	while (text < end) {
		const char *newline = memchr(text, '\n', (size_t)(end - text));
		const char *line_end = newline != NULL ? newline : end;
		if (line_end > text)
			handle_line(state, text, (size_t)(line_end - text));
		text = line_end + 1;
	}
}

/* Close every fd that came with the message, before anything else. */
static void close_passed_fds(struct msghdr *message, struct ucred *credentials)
{
	for (struct cmsghdr *header = CMSG_FIRSTHDR(message); header != NULL;
	     header = CMSG_NXTHDR(message, header)) {
		if (header->cmsg_level != SOL_SOCKET)
			continue;
		if (header->cmsg_type == SCM_RIGHTS) {
			size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fds[FDS_MAX];
			memcpy(fds, CMSG_DATA(header), count * sizeof(int));
			for (size_t i = 0; i < count; i++)
				close(fds[i]);
		} else if (header->cmsg_type == SCM_CREDENTIALS &&
			   header->cmsg_len >= CMSG_LEN(sizeof *credentials)) {
			memcpy(credentials, CMSG_DATA(header), sizeof *credentials);
		}
	}
}

static void on_message(struct watch *watch, uint32_t events)
{
	(void)events;
	static char text[MESSAGE_MAX + 1];
	union {
		struct cmsghdr align;
		char buffer[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(FDS_MAX * sizeof(int))];
	} control;
	/* A bounded batch per turn: a flood of messages cannot starve the
	 * rest of the loop (epoll reports the socket again next turn). */
	for (int batch = 0; batch < 64; batch++) {
		struct iovec vector = { .iov_base = text, .iov_len = MESSAGE_MAX };
		struct msghdr message = {
			.msg_iov = &vector, .msg_iovlen = 1,
			.msg_control = control.buffer, .msg_controllen = sizeof control.buffer,
		};
		ssize_t length = recvmsg(watch->fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
		if (length < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("notify socket: %s", strerror(errno));
			return;
		}
		struct ucred credentials = { .pid = 0 };
		close_passed_fds(&message, &credentials);
		if ((size_t)length > MESSAGE_MAX) {
			log_event(LOG_LEVEL_WARN, NULL, "notify", "message of %zd bytes from pid %d ignored (over %d)",
				  length, (int)credentials.pid, MESSAGE_MAX);
			continue;
		}
		struct health_state *state = sender_of(credentials.pid);
		if (state == NULL) {
			log_event(LOG_LEVEL_DEBUG, NULL, "notify",
				  "message from pid %d ignored: not in a notify service's session",
				  (int)credentials.pid);
			continue;
		}
		handle_message(state, text, (size_t)length);
	}
}
