/* events.c: the event stream's publisher (events.h, doc/PROTOCOL.md).
 *
 * Each event is formatted once, in both forms, and only when somebody
 * subscribes: without subscribers an event costs one test. The lines are
 * built in a fixed buffer (no allocation: an event can come from any
 * transition, also when memory is short); a detail too long for it is cut.
 *
 *   text: TS service NAME EVENT STATE pid=N ready=yes health=H restarts=N[: DETAIL]
 *         TS group NAME EVENT STATE ready=yes restarts=N[: DETAIL]
 *         TS tend EVENT[: DETAIL]
 *   json: {"ts":...,"kind":"service","name":...,"event":...,"state":...,
 *          "pid":N|null,"ready":bool,"health":...,"restarts":N,"detail":...|null}
 *         {"ts":...,"kind":"group","name":...,"event":...,"state":...,
 *          "ready":bool,"restarts":N,"detail":...}
 *         {"ts":...,"kind":"tend","event":...,"detail":...} */
#include "events.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "group.h"
#include "reload.h"
#include "health.h"
#include "log.h"
#include "server.h"
#include "service.h"
#include "util.h"

enum { EVENT_LINE_MAX = 2048, TIMESTAMP_MAX = 32 };

/* A line under construction in a fixed buffer; once full, the rest is cut
 * (the newline and the terminating NUL always fit: two bytes are kept). */
struct line {
	char text[EVENT_LINE_MAX];
	size_t length;
};

enum { LINE_ROOM = EVENT_LINE_MAX - 2 };

static void line_append(struct line *line, const char *data, size_t length)
{
	size_t room = LINE_ROOM - line->length;
	if (length > room)
		length = room;
	memcpy(line->text + line->length, data, length);
	line->length += length;
}

static void line_printf(struct line *line, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
static void line_printf(struct line *line, const char *format, ...)
{
	size_t room = LINE_ROOM - line->length;
	va_list arguments;
	va_start(arguments, format);
	int n = vsnprintf(line->text + line->length, room + 1, format, arguments);
	va_end(arguments);
	if (n > 0)
		line->length += (size_t)n < room ? (size_t)n : room;
}

/* Text form: control characters would break the one-line framing or
 * carry terminal escapes (a service's STATUS= is its own text): C0, DEL,
 * C1 (U+0080-U+009F, e.g. CSI) and bytes that are not UTF-8 show as '?'. */
static void line_text(struct line *line, const char *text)
{
	const unsigned char *c = (const unsigned char *)text;
	while (*c != '\0') {
		unsigned code = 0;
		size_t length = *c >= 0x80 ? utf8_sequence((const char *)c, SIZE_MAX, &code) : 1;
		bool shown = length > 1 ? code >= 0xa0 : length == 1 && *c >= 0x20 && *c != 0x7f;
		if (shown) {
			line_append(line, (const char *)c, length);
		} else {
			line_append(line, "?", 1);
			length = length ? length : 1;
		}
		c += length;
	}
}

/* A JSON string (or null): quotes, backslashes and control characters
 * escaped, valid UTF-8 kept, any other byte as U+FFFD, so the line is
 * always valid JSON. A cut never splits an escape or a character: each is
 * appended whole or not at all. */
static void line_json_string(struct line *line, const char *text)
{
	if (text == NULL) {
		line_append(line, "null", 4);
		return;
	}
	line_append(line, "\"", 1);
	for (size_t used; *text != '\0'; text += used) {
		char escape[JSON_ESCAPE_MAX];
		size_t length = json_escape_char(escape, text, SIZE_MAX,
						 JSON_ESCAPE_DEL | JSON_ESCAPE_UTF8, &used);
		const char *piece = length > 0 ? escape : text;
		if (length == 0)
			length = used;
		/* Keep room for the closing quote, the brace and the newline. */
		if (line->length + length + 2 > LINE_ROOM)
			break;
		line_append(line, piece, length);
	}
	line_append(line, "\"", 1);
}

static void line_end(struct line *line)
{
	line->text[line->length++] = '\n'; /* room always kept for it */
	line->text[line->length] = '\0';
}

/* The JSON form's close: the brace, then the newline. Cut lines (a very
 * long detail) still close: the brace is placed over the cut. */
static void json_end(struct line *line)
{
	if (line->length + 1 > LINE_ROOM)
		line->length = LINE_ROOM - 1;
	line_append(line, "}", 1);
	line_end(line);
}

static void publish(struct line *text, struct line *json)
{
	line_end(text);
	json_end(json);
	server_publish(text->text, json->text);
}

/* Both lines begin: the time, the kind. */
static void begin(struct line *text, struct line *json, const char *kind)
{
	char timestamp[TIMESTAMP_MAX];
	log_timestamp(timestamp, sizeof timestamp);
	text->length = json->length = 0;
	line_printf(text, "%s %s", timestamp, kind);
	line_printf(json, "{\"ts\":\"%s\",\"kind\":\"%s\"", timestamp, kind);
}

static void add_name_and_event(struct line *text, struct line *json, const char *name,
			       const char *event)
{
	line_append(text, " ", 1);
	line_text(text, *name != '\0' ? name : "(root)");
	line_append(text, " ", 1);
	line_text(text, event);
	line_append(json, ",\"name\":", 8);
	line_json_string(json, name);
	line_append(json, ",\"event\":", 9);
	line_json_string(json, event);
}

static void add_detail(struct line *text, struct line *json, const char *detail)
{
	if (detail != NULL && *detail != '\0') {
		line_append(text, ": ", 2);
		line_text(text, detail);
	} else {
		detail = NULL;
	}
	line_append(json, ",\"detail\":", 10);
	line_json_string(json, detail);
}

bool events_wanted(void)
{
	return server_has_subscribers();
}

void events_service(const struct service *service, const char *event, const char *detail)
{
	if (!server_has_subscribers())
		return;
	static struct line text, json; /* 4 KiB: off the stack of any caller */
	begin(&text, &json, "service");
	add_name_and_event(&text, &json, service->config->name, event);
	const char *state = service_state_name(service->state);
	const char *health = health_name(service_health(service));
	const char *ready = service->ready ? "yes" : "no";
	if (service->pid > 0)
		line_printf(&text, " %s pid=%ld ready=%s health=%s restarts=%u", state,
			    (long)service->pid, ready, health, service->restarts);
	else
		line_printf(&text, " %s pid=- ready=%s health=%s restarts=%u", state, ready, health,
			    service->restarts);
	line_printf(&json, ",\"state\":\"%s\"", state);
	if (service->pid > 0)
		line_printf(&json, ",\"pid\":%ld", (long)service->pid);
	else
		line_append(&json, ",\"pid\":null", 11);
	line_printf(&json, ",\"ready\":%s,\"health\":\"%s\",\"restarts\":%u",
		    service->ready ? "true" : "false", health, service->restarts);
	add_detail(&text, &json, detail);
	publish(&text, &json);
}

void events_group(const struct group *group, const char *event, const char *detail)
{
	/* The group that stops what a reload removed is not a group of the
	 * tree: its services' own events say what happens to them. */
	if (!server_has_subscribers() || reload_is_removed_group(group))
		return;
	static struct line text, json;
	begin(&text, &json, "group");
	add_name_and_event(&text, &json, group->config->name, event);
	const char *state = group_state_name(group->state);
	line_printf(&text, " %s ready=%s restarts=%u", state, group->ready ? "yes" : "no",
		    group->restarts);
	line_printf(&json, ",\"state\":\"%s\",\"ready\":%s,\"restarts\":%u", state,
		    group->ready ? "true" : "false", group->restarts);
	add_detail(&text, &json, detail);
	publish(&text, &json);
}

void events_tend(const char *event, const char *detail)
{
	if (!server_has_subscribers())
		return;
	static struct line text, json;
	begin(&text, &json, "tend");
	line_append(&text, " ", 1);
	line_text(&text, event);
	line_append(&json, ",\"event\":", 9);
	line_json_string(&json, event);
	add_detail(&text, &json, detail);
	publish(&text, &json);
}
