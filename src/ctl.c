/* ctl.c: tendctl, the control socket's client (SPEC §6, doc/PROTOCOL.md).
 *
 * It checks its arguments itself (usage errors exit 2 without a
 * connection), sends one request line, and prints the reply's body: to
 * stdout when the code is 0, to stderr otherwise, then exits with the
 * code. `events` copies the stream to stdout as it arrives. Unlike tend,
 * tendctl may block, but never forever: each wait for the server is
 * bounded, so a wedged peer cannot hang a script. */
#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "autoconfig.h"
#include "probe.h"
#include "protocol.h"

#define DEFAULT_SOCKET "/run/tend/tend.sock"

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
	REPLY_WAIT_MS = 30000, /* for the header, and between body reads */
};

/* What each command takes; checked here so a typo costs no round trip. */
enum arguments { NO_ARGS, NAMES_OPTIONAL, NAMES_REQUIRED, SIGNAL_AND_NAMES, JSON_ONLY };

static const struct command {
	enum arguments arguments;
	bool json; /* takes --json */
	const char *usage; /* its first word is the command's name */
	const char *help;
} commands[] = {
	{ NAMES_OPTIONAL, true, "status [NAME...] [--json]",
	  "services and groups: state, pid, readiness, health, restarts" },
	{ NO_ARGS, false, "tree", "the supervision tree, indented, with states" },
	{ NAMES_REQUIRED, false, "start NAME...", "start services or groups" },
	{ NAMES_REQUIRED, false, "stop NAME...",
	  "stop services or groups and hold them stopped until start" },
	{ NAMES_REQUIRED, false, "restart NAME...", "restart services or groups" },
	{ SIGNAL_AND_NAMES, false, "signal SIG NAME...",
	  "send a signal (TERM, SIGHUP, 9, ...)" },
	{ NO_ARGS, false, "reload", "reread the configuration and apply it" },
	{ NO_ARGS, false, "shutdown", "stop everything and exit" },
	{ JSON_ONLY, true, "events [--json]",
	  "stream state changes as they happen, until interrupted" },
	{ NO_ARGS, false, "metrics", "Prometheus text exposition" },
};

static void ctl_help(const char *program)
{
	printf("Usage: %s [-s SOCKET] COMMAND [ARG...]\n"
	       "\n"
	       "Talks to a running tend over its control socket.\n"
	       "\n"
	       "Commands:\n",
	       program);
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		printf("  %-26s %s\n", commands[i].usage, commands[i].help);
	printf("  %-26s %s\n", "probe live [--max-age D]", "exit 0 if tend is live (files only)");
	printf("  %-26s %s\n", "probe ready", "exit 0 if the tree is ready (files only)");
	printf("\n"
	       "Options:\n"
	       "  -s, --socket SOCKET  the control socket (default: $TEND_SOCKET, else "
	       DEFAULT_SOCKET ")\n"
	       "  -V, --version        print the version\n"
	       "  -h, --help           print this help\n"
	       "\n"
	       "Exit status: 0 success, 1 the command failed, 2 usage error,\n"
	       "3 cannot reach tend or not allowed to.\n");
}

static int usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	fputs("tendctl: ", stderr);
	vfprintf(stderr, format, arguments);
	va_end(arguments);
	fputs("\nTry 'tendctl --help'.\n", stderr);
	return EXIT_USAGE;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
		size_t length = strcspn(commands[i].usage, " ");
		if (strlen(name) == length && strncmp(commands[i].usage, name, length) == 0)
			return &commands[i];
	}
	return NULL;
}

/* A word the protocol can carry: printable ASCII, no blank. */
static bool is_wire_word(const char *word)
{
	if (*word == '\0')
		return false;
	for (const unsigned char *c = (const unsigned char *)word; *c != '\0'; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			return false;
	return true;
}

/* Check a command's arguments (argv[0] is the command). Returns 0 or the
 * usage exit status after saying why. */
static int check_usage(const struct command *command, int argc, char **argv)
{
	int names = 0;
	for (int i = 1; i < argc; i++) {
		if (!is_wire_word(argv[i]))
			return usage_error("argument '%s' is empty or has a blank or "
					   "non-ASCII character",
					   argv[i]);
		if (command->json && strcmp(argv[i], "--json") == 0)
			continue;
		if (argv[i][0] == '-' && !(command->arguments == SIGNAL_AND_NAMES && names == 0))
			return usage_error("unknown option '%s'", argv[i]);
		names++;
	}
	bool ok = true;
	switch (command->arguments) {
	case NO_ARGS:
	case JSON_ONLY:
		ok = names == 0;
		break;
	case NAMES_OPTIONAL:
		break;
	case NAMES_REQUIRED:
		ok = names >= 1;
		break;
	case SIGNAL_AND_NAMES:
		ok = names >= 2;
		break;
	}
	if (!ok)
		return usage_error("usage: tendctl %s", command->usage);
	return 0;
}

/* The request line for argv (command and arguments) into buffer. Returns
 * its length with the newline, or 0 when it does not fit. */
static size_t build_request(char *buffer, size_t size, int argc, char **argv)
{
	size_t length = (size_t)snprintf(buffer, size, "%s", PROTOCOL_VERSION);
	for (int i = 0; i < argc; i++) {
		size_t word = strlen(argv[i]);
		if (length + 1 + word + 1 > size)
			return 0;
		buffer[length++] = ' ';
		memcpy(buffer + length, argv[i], word);
		length += word;
	}
	buffer[length++] = '\n';
	return length;
}

static int unreachable(const char *path, const char *why)
{
	fprintf(stderr, "tendctl: cannot reach tend at %s: %s\n", path, why);
	return EXIT_UNREACHABLE;
}

static int connect_to(const char *path)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof address.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(address.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* A blocking connect waits while tend's listen backlog is full, and
	 * a send while its socket buffer is: SO_SNDTIMEO bounds both. */
	struct timeval bound = { .tv_sec = REPLY_WAIT_MS / 1000 };
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound) < 0) {
		int error = errno;
		close(fd);
		errno = error;
		return -1;
	}
	int result;
	do
		result = connect(fd, (const struct sockaddr *)&address, sizeof address);
	while (result < 0 && errno == EINTR);
	if (result < 0) {
		int error = errno;
		close(fd);
		errno = error;
		return -1;
	}
	return fd;
}

/* Write all of data to fd: with send() and MSG_NOSIGNAL for the socket (a
 * closed peer is EPIPE, not a SIGPIPE), write() for standard output. */
static int write_all(int fd, const char *data, size_t length, bool to_socket)
{
	while (length > 0) {
		ssize_t n = to_socket ? send(fd, data, length, MSG_NOSIGNAL) : write(fd, data, length);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		length -= (size_t)n;
	}
	return 0;
}

/* Read into buffer, waiting at most timeout_ms (< 0: forever). Returns
 * bytes read, 0 at the end, -1 on error (errno ETIMEDOUT for the wait). */
static ssize_t read_bounded(int fd, char *buffer, size_t size, int timeout_ms)
{
	for (;;) {
		struct pollfd poll_fd = { .fd = fd, .events = POLLIN };
		int ready = poll(&poll_fd, 1, timeout_ms);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			return -1;
		if (ready == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		ssize_t n = read(fd, buffer, size);
		if (n < 0 && errno == EINTR)
			continue;
		return n;
	}
}

/* The start of an event stream's last whole line, to tell how it ended:
 * tend's own "exit" event is always its last (tend(8)). */
struct stream_tail {
	char line[128]; /* the line being read (its start) */
	size_t length;
	bool last_was_exit;
};

static void stream_tail_feed(struct stream_tail *tail, const char *data, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		if (data[i] != '\n') {
			if (tail->length < sizeof tail->line - 1)
				tail->line[tail->length++] = data[i];
			continue;
		}
		tail->line[tail->length] = '\0';
		/* text: "TS tend exit: ..."; json: ...,"kind":"tend","event":"exit",... */
		const char *text = strchr(tail->line, ' ');
		tail->last_was_exit = (text != NULL && strncmp(text, " tend exit", 10) == 0) ||
				      strstr(tail->line, "\"kind\":\"tend\",\"event\":\"exit\"") != NULL;
		tail->length = 0;
	}
}

/* Copy the rest of the reply (already buffered bytes first) to out: at
 * most remaining bytes, or until the end for a stream (remaining < 0),
 * whose lines pass through tail. */
static int copy_body(int fd, int out, const char *buffered, size_t buffered_length,
		     long long remaining, int timeout_ms, struct stream_tail *tail)
{
	if (remaining >= 0 && (long long)buffered_length > remaining)
		buffered_length = (size_t)remaining;
	if (tail != NULL)
		stream_tail_feed(tail, buffered, buffered_length);
	if (write_all(out, buffered, buffered_length, false) < 0)
		return -1;
	if (remaining >= 0)
		remaining -= (long long)buffered_length;
	char buffer[65536];
	while (remaining != 0) {
		size_t want = sizeof buffer;
		if (remaining > 0 && (long long)want > remaining)
			want = (size_t)remaining;
		ssize_t n = read_bounded(fd, buffer, want, timeout_ms);
		if (n == 0 && remaining < 0)
			return 0;
		if (n <= 0) {
			fprintf(stderr, "tendctl: reading the reply: %s\n",
				n == 0 ? "the connection closed early" : strerror(errno));
			return -1;
		}
		if (tail != NULL)
			stream_tail_feed(tail, buffer, (size_t)n);
		if (write_all(out, buffer, (size_t)n, false) < 0)
			return -1;
		if (remaining > 0)
			remaining -= n;
	}
	return 0;
}

/* tend closes a client over its limit at once, before it reads a byte:
 * the send or the read fails, or the read sees the end. */
#define CLOSED_EARLY "the connection closed without a reply (too many clients?)"
static bool closed_early(int error)
{
	return error == EPIPE || error == ECONNRESET;
}

/* Send request to the socket at path and print the reply. */
static int converse(const char *path, const char *request, size_t request_length)
{
	int fd = connect_to(path);
	if (fd < 0)
		return unreachable(path, errno == EAGAIN || errno == EINPROGRESS
						 ? "timed out (its listen backlog is full)"
						 : strerror(errno));
	/* A send that finds the connection closed may still have a reply
	 * waiting: tend refuses a stranger before it reads the request. */
	if (write_all(fd, request, request_length, true) < 0 && !closed_early(errno)) {
		int error = errno;
		close(fd);
		return unreachable(path, strerror(error));
	}
	/* The header, and whatever of the body came with it. */
	char buffer[PROTOCOL_HEADER_MAX + 4096];
	size_t have = 0;
	char *newline = NULL;
	while (newline == NULL) {
		ssize_t n = read_bounded(fd, buffer + have, sizeof buffer - have, REPLY_WAIT_MS);
		if (n <= 0) {
			int error = errno;
			close(fd);
			return unreachable(path, n == 0 || closed_early(error) ? CLOSED_EARLY
									  : strerror(error));
		}
		newline = memchr(buffer + have, '\n', (size_t)n);
		have += (size_t)n;
		if ((newline == NULL && have >= PROTOCOL_HEADER_MAX) ||
		    (newline != NULL && newline - buffer >= PROTOCOL_HEADER_MAX)) {
			fprintf(stderr, "tendctl: %s does not speak %s\n", path, PROTOCOL_VERSION);
			close(fd);
			return EXIT_UNREACHABLE;
		}
	}
	int code;
	long long length;
	size_t header_length = (size_t)(newline - buffer);
	if (protocol_parse_header(buffer, header_length, &code, &length) < 0) {
		fprintf(stderr, "tendctl: %s does not speak %s\n", path, PROTOCOL_VERSION);
		close(fd);
		return EXIT_UNREACHABLE;
	}
	const char *rest = newline + 1;
	size_t rest_length = have - header_length - 1;
	/* A stream is followed as long as tend sends it. */
	int out = code == 0 ? STDOUT_FILENO : STDERR_FILENO;
	struct stream_tail tail = { .length = 0 };
	int result = copy_body(fd, out, rest, rest_length, length, length < 0 ? -1 : REPLY_WAIT_MS,
			       length < 0 ? &tail : NULL);
	close(fd);
	if (result < 0 && code == 0)
		return EXIT_UNREACHABLE; /* the reply broke off: tend did not answer */
	if (length < 0 && !tail.last_was_exit) {
		fprintf(stderr, "tendctl: the event stream ended before tend exited: tend dropped "
				"this reader (it fell behind) or was killed\n");
		return EXIT_UNREACHABLE;
	}
	return code;
}

int ctl_main(int argc, char **argv)
{
	/* First: a probe runs every few seconds and must cost next to nothing. */
	if (argc > 1 && strcmp(argv[1], "probe") == 0)
		return probe_main(argc - 1, argv + 1);
	const char *program = "tendctl";
	const char *socket_path = getenv("TEND_SOCKET");
	if (socket_path == NULL || *socket_path == '\0')
		socket_path = DEFAULT_SOCKET;
	int at = 1;
	while (at < argc && argv[at][0] == '-') {
		const char *option = argv[at];
		if (strcmp(option, "-h") == 0 || strcmp(option, "--help") == 0) {
			ctl_help(program);
			return EXIT_OK;
		}
		if (strcmp(option, "-V") == 0 || strcmp(option, "--version") == 0) {
			printf("tendctl %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		}
		if (strcmp(option, "-s") == 0 || strcmp(option, "--socket") == 0) {
			if (at + 1 >= argc)
				return usage_error("option '%s' needs a SOCKET", option);
			socket_path = argv[at + 1];
			at += 2;
		} else if (strncmp(option, "--socket=", 9) == 0) {
			socket_path = option + 9;
			at++;
		} else if (strncmp(option, "-s", 2) == 0) {
			socket_path = option + 2;
			at++;
		} else {
			return usage_error("unknown option '%s'", option);
		}
	}
	if (at >= argc)
		return usage_error("%s", "no command given");
	if (strcmp(argv[at], "help") == 0) {
		ctl_help(program);
		return EXIT_OK;
	}
	if (strcmp(argv[at], "probe") == 0)
		return probe_main(argc - at, argv + at);
	const struct command *command = find_command(argv[at]);
	if (command == NULL)
		return usage_error("unknown command '%s'", argv[at]);
	int status = check_usage(command, argc - at, argv + at);
	if (status != 0)
		return status;
	if (*socket_path == '\0')
		return usage_error("%s", "the socket path is empty");
	char request[PROTOCOL_REQUEST_MAX];
	size_t length = build_request(request, sizeof request, argc - at, argv + at);
	if (length == 0)
		return usage_error("the request is longer than %d bytes", PROTOCOL_REQUEST_MAX);
	return converse(socket_path, request, length);
}
