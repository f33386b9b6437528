/* log.h: tend's one logger. Lines go to stderr, text or JSON, and never
 * block PID 1: a line that cannot be written at once is dropped and
 * counted, and the count is reported with the next line that gets out. */
#ifndef TEND_LOG_H
#define TEND_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* Prepare the non-blocking output (a private non-blocking open of fd 2
 * where the kernel allows it). Call once, early; safe to call again. */
void log_open(void);
/* Collect lines (hold) and write them in batches at log_flush(), or write
 * each line at once (the default). The loop holds while it runs and
 * flushes before it waits. */
void log_hold(bool hold);
void log_flush(void);
void log_set_format(enum log_format format);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
enum log_format log_get_format(void);
/* The time now as the log shows it (2026-01-31T12:00:00.000Z, UTC). */
void log_timestamp(char *buffer, size_t size);
/* Adjust the level by steps (-v: +1, -q: -1), clamped. */
void log_adjust_level(int steps);

/* The general form: service may be NULL, event is a short machine word
 * ("start", "exit", "restart", ...). errno is preserved. */
void log_event(enum log_level level, const char *service, const char *event,
	       const char *format, ...) __attribute__((format(printf, 4, 5)));
void log_event_v(enum log_level level, const char *service, const char *event,
		 const char *format, va_list arguments);

/* The shorthands: an event about tend itself named after its level
 * (error, warning, info, debug). One function behind four names: a
 * variadic function costs ~160 bytes of register saving alone. */
void log_at(enum log_level level, const char *format, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_at(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_at(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_at(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Parse "text"/"json"; -1 if unknown. */
int log_format_from_name(const char *name);

#endif
