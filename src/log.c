/* log.c: tend's one logger.
 *
 * PID 1 must never block on its own stderr: a full pipe to a stalled log
 * collector would otherwise freeze supervision. We cannot set O_NONBLOCK on
 * fd 2 itself, because services inherit that open file description and would
 * start seeing EAGAIN. So for a pipe or a terminal we open a second,
 * private description of the same object through /proc/self/fd/2 and make
 * only that one non-blocking; for a socket we use send(MSG_DONTWAIT); a
 * regular file never blocks. A line that cannot be written whole at once is
 * dropped and counted; the count is reported with the next line that gets
 * out. Lines are at most PIPE_BUF bytes, so a pipe write is all or nothing. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum log_sink { SINK_WRITE, SINK_SEND };

static struct {
	enum log_format format;
	enum log_level level;
	int fd;
	bool private_fd;
	enum log_sink sink;
	unsigned long dropped;
} logger = { LOG_FORMAT_TEXT, LOG_LEVEL_INFO, STDERR_FILENO, false, SINK_WRITE, 0 };

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_open(void)
{
	struct stat status;
	if (logger.private_fd)
		return;
	if (fstat(STDERR_FILENO, &status) < 0)
		return;
	if (S_ISSOCK(status.st_mode)) {
		logger.sink = SINK_SEND;
		return;
	}
	if (!S_ISFIFO(status.st_mode) && !S_ISCHR(status.st_mode))
		return;
	int fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		logger.fd = fd;
		logger.private_fd = true;
	}
}

void log_set_format(enum log_format format) { logger.format = format; }
void log_set_level(enum log_level level) { logger.level = level; }
enum log_level log_get_level(void) { return logger.level; }

void log_adjust_level(int steps)
{
	int level = (int)logger.level + steps;
	if (level < LOG_LEVEL_ERROR)
		level = LOG_LEVEL_ERROR;
	if (level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_DEBUG;
	logger.level = (enum log_level)level;
}

int log_format_from_name(const char *name)
{
	if (strcmp(name, "text") == 0)
		return LOG_FORMAT_TEXT;
	if (strcmp(name, "json") == 0)
		return LOG_FORMAT_JSON;
	return -1;
}

int log_level_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	if (strcmp(name, "warning") == 0)
		return LOG_LEVEL_WARN;
	return -1;
}

/* Append text to line at *length, escaped for a JSON string when json. */
static void line_put(char *line, size_t *length, size_t size, const char *text, bool json)
{
	for (; *text != '\0' && *length + 7 < size; text++) {
		unsigned char c = (unsigned char)*text;
		if (json && (c == '"' || c == '\\')) {
			line[(*length)++] = '\\';
			line[(*length)++] = (char)c;
		} else if (json && c < 0x20) {
			*length += (size_t)snprintf(line + *length, size - *length, "\\u%04x", c);
		} else if (!json && c == '\n') {
			line[(*length)++] = ' ';
		} else {
			line[(*length)++] = (char)c;
		}
	}
}

static void timestamp(char *buffer, size_t size)
{
	struct timespec now;
	struct tm broken;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &broken);
	snprintf(buffer, size, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
		 (unsigned)(broken.tm_year + 1900) % 10000u, (unsigned)(broken.tm_mon + 1) % 100u,
		 (unsigned)broken.tm_mday % 100u, (unsigned)broken.tm_hour % 100u,
		 (unsigned)broken.tm_min % 100u, (unsigned)broken.tm_sec % 100u,
		 (unsigned)(now.tv_nsec / 1000000) % 1000u);
}

static void emit(const char *line, size_t length)
{
	ssize_t written;
	do {
		if (logger.sink == SINK_SEND)
			written = send(logger.fd, line, length, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			written = write(logger.fd, line, length);
	} while (written < 0 && errno == EINTR);
	if (written < 0)
		logger.dropped++;
}

static size_t format_line(char *line, size_t size, enum log_level level, const char *service,
			  const char *event, const char *message)
{
	char time_text[32];
	size_t length = 0;
	bool json = logger.format == LOG_FORMAT_JSON;
	timestamp(time_text, sizeof time_text);
	if (json) {
		length = (size_t)snprintf(line, size, "{\"ts\":\"%s\",\"level\":\"%s\",", time_text,
					  level_names[level]);
		if (service != NULL) {
			line_put(line, &length, size, "\"service\":\"", false);
			line_put(line, &length, size, service, true);
			line_put(line, &length, size, "\",", false);
		}
		line_put(line, &length, size, "\"event\":\"", false);
		line_put(line, &length, size, event, true);
		line_put(line, &length, size, "\",\"msg\":\"", false);
		line_put(line, &length, size, message, true);
		line_put(line, &length, size, "\"}", false);
	} else {
		length = (size_t)snprintf(line, size, "%s tend %s %s", time_text,
					  level_names[level], event);
		if (service != NULL) {
			line_put(line, &length, size, " ", false);
			line_put(line, &length, size, service, false);
		}
		line_put(line, &length, size, ": ", false);
		line_put(line, &length, size, message, false);
	}
	if (length > size - 2)
		length = size - 2;
	line[length++] = '\n';
	return length;
}

void log_event_v(enum log_level level, const char *service, const char *event,
		 const char *format, va_list arguments)
{
	if (level > logger.level)
		return;
	int saved_errno = errno;
	char message[PIPE_BUF];
	char line[PIPE_BUF];
	if (logger.dropped > 0) {
		unsigned long dropped = logger.dropped;
		snprintf(message, sizeof message, "%lu log lines were dropped (stderr was full)",
			 dropped);
		size_t length = format_line(line, sizeof line, LOG_LEVEL_WARN, NULL, "log", message);
		logger.dropped = 0;
		emit(line, length);
		if (logger.dropped > 0) {
			logger.dropped += dropped;
			errno = saved_errno;
			return;
		}
	}
	vsnprintf(message, sizeof message, format, arguments);
	emit(line, format_line(line, sizeof line, level, service, event, message));
	errno = saved_errno;
}

void log_event(enum log_level level, const char *service, const char *event,
	       const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	log_event_v(level, service, event, format, arguments);
	va_end(arguments);
}

#define LOG_SHORTHAND(function, level, event)                    \
	void function(const char *format, ...)                   \
	{                                                        \
		va_list arguments;                               \
		va_start(arguments, format);                     \
		log_event_v(level, NULL, event, format, arguments); \
		va_end(arguments);                               \
	}

LOG_SHORTHAND(log_error, LOG_LEVEL_ERROR, "error")
LOG_SHORTHAND(log_warn, LOG_LEVEL_WARN, "warning")
LOG_SHORTHAND(log_info, LOG_LEVEL_INFO, "info")
LOG_SHORTHAND(log_debug, LOG_LEVEL_DEBUG, "debug")
