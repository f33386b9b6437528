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
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

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
enum log_format log_get_format(void) { return logger.format; }

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

/* Append text to line at *length, escaped for a JSON string when json. */
static void line_put(char *line, size_t *length, size_t size, const char *text, bool json)
{
	for (; *text != '\0' && *length + 7 < size; text++) {
		size_t used, escaped = json ? json_escape_char(line + *length, text, 1, 0, &used) : 0;
		if (escaped > 0)
			*length += escaped;
		else
			line[(*length)++] = !json && *text == '\n' ? ' ' : *text;
	}
}

/* UTC calendar date from days since 1970-01-01 (the proleptic Gregorian
 * "civil from days" arithmetic on 400-year eras). Done by hand because
 * gmtime_r links tzset, and with it sscanf, into the static binary. */
static void civil_from_days(int64_t days, int *year, unsigned *month, unsigned *day)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	unsigned day_of_era = (unsigned)(days - era * 146097);
	unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
				day_of_era / 146096) / 365;
	unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	unsigned shifted_month = (5 * day_of_year + 2) / 153;
	*day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
	*month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
	*year = (int)(year_of_era + era * 400) + (*month <= 2);
}

static void timestamp(char *buffer, size_t size)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t seconds = now.tv_sec;
	int64_t days = seconds / 86400;
	int64_t second_of_day = seconds % 86400;
	if (second_of_day < 0) {
		second_of_day += 86400;
		days--;
	}
	int year;
	unsigned month, day;
	civil_from_days(days, &year, &month, &day);
	snprintf(buffer, size, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)year % 10000u,
		 month % 100u, day % 100u, (unsigned)(second_of_day / 3600),
		 (unsigned)(second_of_day / 60 % 60), (unsigned)(second_of_day % 60),
		 (unsigned)(now.tv_nsec / 1000000) % 1000u);
}

void log_timestamp(char *buffer, size_t size) { timestamp(buffer, size); }

/* While the loop runs, lines are collected and written once per turn of
 * the loop (log_flush), up to PIPE_BUF at a time: one write instead of
 * one per line (a restart logs six), and a pipe still gets each batch
 * whole or not at all. */
static struct {
	bool holding;
	size_t length;
	unsigned lines;
	char data[PIPE_BUF];
} batch;

static void emit(const char *line, size_t length, unsigned lines)
{
	ssize_t written;
	do {
		if (logger.sink == SINK_SEND)
			written = send(logger.fd, line, length, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			written = write(logger.fd, line, length);
	} while (written < 0 && errno == EINTR);
	if (written < 0)
		logger.dropped += lines;
}

void log_flush(void)
{
	if (batch.length == 0)
		return;
	emit(batch.data, batch.length, batch.lines);
	batch.length = 0;
	batch.lines = 0;
}

void log_hold(bool hold)
{
	if (!hold)
		log_flush();
	batch.holding = hold;
}

static void put(const char *line, size_t length)
{
	if (!batch.holding) {
		emit(line, length, 1);
		return;
	}
	if (batch.length + length > sizeof batch.data)
		log_flush();
	memcpy(batch.data + batch.length, line, length);
	batch.length += length;
	batch.lines++;
}

/* What follows the message in a JSON line: `"}` and the newline. */
enum { JSON_END = 3 };

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
		/* The message is cut inside the string, never the closing
		 * quote and brace: a line is always one whole JSON object. */
		line_put(line, &length, size - JSON_END, message, true);
		memcpy(line + length, "\"}", 2);
		length += 2;
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
	/* Static rather than 8 KB of stack: a large frame is probed page by
	 * page on entry, and each page a parent writes after a fork costs it a
	 * copy-on-write fault; these two pages are the same every time. */
	static char message[PIPE_BUF];
	static char line[PIPE_BUF];
	if (logger.dropped > 0) {
		unsigned long dropped = logger.dropped;
		snprintf(message, sizeof message, "%lu log lines were dropped (stderr was full)",
			 dropped);
		size_t length = format_line(line, sizeof line, LOG_LEVEL_WARN, NULL, "log", message);
		logger.dropped = 0;
		put(line, length);
		if (logger.dropped > 0) {
			logger.dropped += dropped;
			errno = saved_errno;
			return;
		}
	}
	vsnprintf(message, sizeof message, format, arguments);
	put(line, format_line(line, sizeof line, level, service, event, message));
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

void log_at(enum log_level level, const char *format, ...)
{
	static const char events[][8] = {
		[LOG_LEVEL_ERROR] = "error", [LOG_LEVEL_WARN] = "warning",
		[LOG_LEVEL_INFO] = "info", [LOG_LEVEL_DEBUG] = "debug",
	};
	va_list arguments;
	va_start(arguments, format);
	log_event_v(level, NULL, events[level], format, arguments);
	va_end(arguments);
}
