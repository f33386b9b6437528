/* config_reader.c: the ini_reader we give inih. It reads the physical
 * lines itself, so that no line length, comment rule or line number is
 * left to the library's build options (see the top of config.c), and
 * hands inih one short token line per logical line:
 *
 *   a section header   ->  "[N]"  and then  "N="
 *   key = value        ->  "N="
 *
 * where N indexes reader->entries, which keep the real text and line. The
 * extra "N=" after a header makes inih call the handler for every section,
 * even one without keys, whichever INI_CALL_HANDLER_ON_NEW_SECTION it was
 * built with. Blank lines and comments are not handed on at all. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "util.h"

enum quote_state { QUOTE_NONE, QUOTE_SINGLE, QUOTE_DOUBLE };

struct physical_line {
	const char *start;
	size_t length;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_comment_start(char c)
{
	return c == ';' || c == '#';
}

/* The next physical line (without its "\n" or "\r\n"); false at the end. */
static bool next_physical_line(struct reader *reader, struct physical_line *line)
{
	if (reader->position >= reader->length)
		return false;
	const char *start = reader->text + reader->position;
	size_t rest = reader->length - reader->position;
	const char *newline = memchr(start, '\n', rest);
	size_t length = newline ? (size_t)(newline - start) : rest;
	reader->position += newline ? length + 1 : length;
	reader->line++;
	if (length > 0 && start[length - 1] == '\r')
		length--;
	*line = (struct physical_line){start, length};
	return true;
}

/* Lines we refuse outright; reported, then skipped. */
static bool line_is_unreadable(struct reader *reader, const struct physical_line *line)
{
	if (line->length > CONFIG_LINE_MAX) {
		loader_error(reader->loader, reader->line,
			     "line too long (more than %d characters)", CONFIG_LINE_MAX);
		return true;
	}
	if (memchr(line->start, '\0', line->length) != NULL) {
		loader_error(reader->loader, reader->line, "line contains a NUL byte");
		return true;
	}
	return false;
}

static size_t skip_blanks(const struct physical_line *line, size_t offset)
{
	while (offset < line->length && is_blank(line->start[offset]))
		offset++;
	return offset;
}

/* Where a comment starts in text[0, length): a ';' or '#' preceded by a
 * blank (or by the start, when after_blank). With quote_aware, not inside
 * quotes; *state carries the quoting across continuation lines. */
static size_t comment_start(const char *text, size_t length, bool after_blank,
			    bool quote_aware, enum quote_state *state)
{
	bool previous_blank = after_blank;
	for (size_t i = 0; i < length; i++) {
		char c = text[i];
		if (*state == QUOTE_NONE && previous_blank && is_comment_start(c))
			return i;
		previous_blank = is_blank(c);
		if (!quote_aware)
			continue;
		if (*state == QUOTE_SINGLE) {
			if (c == '\'')
				*state = QUOTE_NONE;
		} else if (c == '\\') {
			i++; /* the next character is escaped */
			previous_blank = false;
		} else if (c == '"') {
			*state = *state == QUOTE_DOUBLE ? QUOTE_NONE : QUOTE_DOUBLE;
		} else if (c == '\'' && *state == QUOTE_NONE) {
			*state = QUOTE_SINGLE;
		}
	}
	return length;
}

static size_t trim_end(const char *text, size_t length)
{
	while (length > 0 && is_blank(text[length - 1]))
		length--;
	return length;
}

static struct entry *add_entry(struct reader *reader, enum entry_kind kind, int line)
{
	if (loader_grow(reader->loader, (void **)&reader->entries, &reader->entry_capacity,
			reader->entry_count + 1, sizeof *reader->entries) < 0)
		return NULL;
	struct entry *entry = &reader->entries[reader->entry_count++];
	*entry = (struct entry){.kind = kind, .line = line, .section = reader->current_section};
	return entry;
}

/* Hand inih "[N]" now and "N=" on the next call. */
static char *emit_section(struct reader *reader, char *out, int size)
{
	size_t index = reader->entry_count - 1;
	reader->current_section = index;
	snprintf(out, (size_t)size, "[%zu]\n", index);
	snprintf(reader->pending, sizeof reader->pending, "%zu=\n", index);
	reader->has_pending = true;
	return out;
}

static char *read_section_header(struct reader *reader, const struct physical_line *line,
				 size_t offset, char *out, int size)
{
	const char *text = line->start + offset;
	enum quote_state state = QUOTE_NONE;
	size_t length = comment_start(text, line->length - offset, false, false, &state);
	length = trim_end(text, length);
	const char *close = memchr(text, ']', length);
	enum entry_kind kind = ENTRY_SECTION;
	if (close == NULL) {
		loader_error(reader->loader, reader->line, "missing ']' in the section header");
		kind = ENTRY_BAD_SECTION;
	} else if (close != text + length - 1) {
		loader_error(reader->loader, reader->line, "unexpected text after ']'");
		kind = ENTRY_BAD_SECTION;
	}
	struct entry *entry = add_entry(reader, kind, reader->line);
	if (entry == NULL)
		return NULL;
	if (kind == ENTRY_SECTION) {
		entry->text = xstrndup(text + 1, (size_t)(close - text - 1));
		if (entry->text == NULL)
			entry->kind = ENTRY_BAD_SECTION;
	}
	return emit_section(reader, out, size);
}

/* A backslash ending a command line before a continuation is a shell-style
 * line continuation: drop it instead of escaping the joining space. */
static void drop_line_continuation(struct strbuf *value, enum quote_state state)
{
	if (state == QUOTE_SINGLE || value->length == 0)
		return;
	size_t backslashes = 0;
	while (backslashes < value->length &&
	       value->data[value->length - 1 - backslashes] == '\\')
		backslashes++;
	if (backslashes % 2 == 1)
		value->data[--value->length] = '\0';
}

/* Append the continuation lines that follow (lines beginning with a blank;
 * comment lines among them are skipped; a blank line ends the value). */
static void read_continuations(struct reader *reader, struct strbuf *value,
			       bool quote_aware, enum quote_state *state)
{
	for (;;) {
		size_t saved_position = reader->position;
		int saved_line = reader->line;
		struct physical_line line;
		if (!next_physical_line(reader, &line))
			return;
		if (line.length == 0 || !is_blank(line.start[0])) {
			reader->position = saved_position;
			reader->line = saved_line;
			return;
		}
		if (line_is_unreadable(reader, &line))
			continue;
		size_t offset = skip_blanks(&line, 0);
		if (offset == line.length)
			return;
		if (is_comment_start(line.start[offset]))
			continue;
		const char *text = line.start + offset;
		size_t length = comment_start(text, line.length - offset, true, quote_aware, state);
		length = trim_end(text, length);
		if (quote_aware)
			drop_line_continuation(value, *state);
		if (value->length > 0 && length > 0)
			strbuf_append(value, " ", 1);
		strbuf_append(value, text, length);
	}
}

static bool key_is_command_line(const char *key)
{
	return strcmp(key, "command") == 0 || strcmp(key, "check") == 0;
}

static char *read_key_line(struct reader *reader, const struct physical_line *line,
			   size_t offset, char *out, int size)
{
	int key_line = reader->line;
	const char *text = line->start + offset;
	size_t length = line->length - offset;
	enum quote_state state = QUOTE_NONE;
	size_t key_end = comment_start(text, length, false, false, &state);
	const char *equals = memchr(text, '=', key_end);
	if (equals == NULL) {
		loader_error(reader->loader, key_line, "expected 'key = value' or a [section] header");
		return NULL;
	}
	size_t key_length = trim_end(text, (size_t)(equals - text));
	if (key_length == 0) {
		loader_error(reader->loader, key_line, "missing key before '='");
		return NULL;
	}
	char *key = xstrndup(text, key_length);
	if (key == NULL) {
		loader_out_of_memory(reader->loader);
		return NULL;
	}
	bool quote_aware = key_is_command_line(key);
	const char *value_text = equals + 1;
	size_t value_length = length - (size_t)(value_text - text);
	size_t skipped = 0;
	while (skipped < value_length && is_blank(value_text[skipped]))
		skipped++;
	value_length = comment_start(value_text + skipped, value_length - skipped, skipped > 0,
				     quote_aware, &state);
	struct strbuf value = {0};
	strbuf_append(&value, value_text + skipped, trim_end(value_text + skipped, value_length));
	read_continuations(reader, &value, quote_aware, &state);
	if (value.length > CONFIG_VALUE_MAX) {
		loader_error(reader->loader, key_line,
			     "value of '%.64s' too long (more than %d characters)", key,
			     CONFIG_VALUE_MAX);
		strbuf_free(&value);
		free(key);
		return NULL;
	}
	char *value_copy = strbuf_take(&value);
	struct entry *entry = value_copy ? add_entry(reader, ENTRY_KEY, key_line) : NULL;
	if (entry == NULL) {
		loader_out_of_memory(reader->loader);
		free(value_copy);
		free(key);
		return NULL;
	}
	entry->text = key;
	entry->value = value_copy;
	snprintf(out, (size_t)size, "%zu=\n", reader->entry_count - 1);
	return out;
}

/* One logical line to a token in out; NULL when the line gave nothing to
 * hand on (blank, comment, or an error already reported). */
static char *read_logical_line(struct reader *reader, const struct physical_line *line,
			       char *out, int size)
{
	if (line_is_unreadable(reader, line))
		return NULL;
	size_t offset = skip_blanks(line, 0);
	if (offset == line->length || is_comment_start(line->start[offset]))
		return NULL;
	if (line->start[offset] == '[')
		return read_section_header(reader, line, offset, out, size);
	return read_key_line(reader, line, offset, out, size);
}

char *reader_next_line(char *line, int size, void *stream)
{
	struct reader *reader = stream;
	if (size < (int)sizeof reader->pending)
		return NULL;
	if (reader->has_pending) {
		reader->has_pending = false;
		memcpy(line, reader->pending, sizeof reader->pending);
		return line;
	}
	struct physical_line physical;
	while (next_physical_line(reader, &physical)) {
		char *token = read_logical_line(reader, &physical, line, size);
		if (token != NULL)
			return token;
	}
	return NULL;
}

const struct entry *reader_entry(const struct reader *reader, const char *token)
{
	char *end;
	unsigned long long index = strtoull(token, &end, 10);
	if (end == token || *end != '\0' || index >= reader->entry_count)
		return NULL;
	return &reader->entries[index];
}

void reader_free(struct reader *reader)
{
	for (size_t i = 0; i < reader->entry_count; i++) {
		free(reader->entries[i].text);
		free(reader->entries[i].value);
	}
	free(reader->entries);
	reader->entries = NULL;
	reader->entry_count = reader->entry_capacity = 0;
}
