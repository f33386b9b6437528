/* argv.c: split a command line into words like a POSIX shell, without a
 * shell. Only quoting and backslashes are interpreted; $, ~, globs, ;, |
 * and the rest are ordinary characters, because no shell runs. %i and %%
 * are expanded everywhere in a word, inside quotes too, so a quoted
 * argument can carry the instance number; any other % is kept. */
#include "argv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum quote_state { QUOTE_NONE, QUOTE_SINGLE, QUOTE_DOUBLE };

struct splitter {
	const char *cursor;
	int instance;
	struct strbuf word;
	bool in_word;        /* a word has started (even an empty "" one) */
	char **words;
	size_t count, capacity;
	const char **error;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Words are copied out at their exact size (the model keeps them for as
 * long as tend runs); the builder is reused for the next word. */
static int finish_word(struct splitter *splitter)
{
	if (!splitter->in_word)
		return 0;
	splitter->in_word = false;
	struct strbuf *builder = &splitter->word;
	char *word = builder->failed ? NULL : xstrndup(builder->data ? builder->data : "",
							 builder->length);
	builder->length = 0;
	if (word == NULL)
		goto out_of_memory;
	if (splitter->count + 2 > splitter->capacity) {
		size_t capacity = splitter->capacity ? splitter->capacity * 2 : 4;
		char **grown = realloc(splitter->words, capacity * sizeof *grown);
		if (grown == NULL) {
			free(word);
			goto out_of_memory;
		}
		splitter->words = grown;
		splitter->capacity = capacity;
	}
	splitter->words[splitter->count++] = word;
	splitter->words[splitter->count] = NULL;
	return 0;
out_of_memory:
	*splitter->error = "out of memory";
	return -1;
}

/* The %-escape at cursor (which points at the '%'): %i and %% are
 * expanded; any other '%' is kept as written (SPEC §2.3), so `date +%s`
 * and `printf %s` need no escaping. */
static void expand_percent(struct splitter *splitter)
{
	char next = splitter->cursor[1];
	if (next == 'i') {
		strbuf_printf(&splitter->word, "%d", splitter->instance);
	} else if (next == '%') {
		strbuf_append(&splitter->word, "%", 1);
	} else {
		strbuf_append(&splitter->word, "%", 1);
		splitter->cursor++;
		return;
	}
	splitter->cursor += 2;
}

/* In double quotes a backslash escapes only these (POSIX). */
static bool escapable_in_double_quotes(char c)
{
	return c == '"' || c == '\\' || c == '$' || c == '`' || c == '\n';
}

/* One character (or escape) in the current quoting state. */
static int split_step(struct splitter *splitter, enum quote_state *state)
{
	char c = *splitter->cursor;
	if (c == '%') {
		expand_percent(splitter);
		return 0;
	}
	if (*state == QUOTE_SINGLE) {
		if (c == '\'')
			*state = QUOTE_NONE;
		else
			strbuf_append(&splitter->word, &c, 1);
		splitter->cursor++;
		return 0;
	}
	if (c == '\\') {
		char next = splitter->cursor[1];
		if (next == '\0') {
			*splitter->error = *state == QUOTE_DOUBLE ? "unterminated double quote"
								  : "trailing backslash";
			return -1;
		}
		if (*state == QUOTE_DOUBLE && !escapable_in_double_quotes(next))
			strbuf_append(&splitter->word, "\\", 1);
		/* backslash-newline is a line continuation: it vanishes */
		if (next != '\n')
			strbuf_append(&splitter->word, &next, 1);
		splitter->cursor += 2;
		return 0;
	}
	if (c == '"')
		*state = *state == QUOTE_DOUBLE ? QUOTE_NONE : QUOTE_DOUBLE;
	else if (c == '\'' && *state == QUOTE_NONE)
		*state = QUOTE_SINGLE;
	else
		strbuf_append(&splitter->word, &c, 1);
	splitter->cursor++;
	return 0;
}

static int split_all(struct splitter *splitter)
{
	enum quote_state state = QUOTE_NONE;
	while (*splitter->cursor != '\0') {
		/* backslash-newline vanishes before words are formed (POSIX) */
		if (state == QUOTE_NONE && splitter->cursor[0] == '\\' &&
		    splitter->cursor[1] == '\n') {
			splitter->cursor += 2;
			continue;
		}
		if (state == QUOTE_NONE && is_blank(*splitter->cursor)) {
			if (finish_word(splitter) < 0)
				return -1;
			splitter->cursor++;
			continue;
		}
		splitter->in_word = true;
		if (split_step(splitter, &state) < 0)
			return -1;
	}
	if (state != QUOTE_NONE) {
		*splitter->error = state == QUOTE_SINGLE ? "unterminated single quote"
							 : "unterminated double quote";
		return -1;
	}
	if (finish_word(splitter) < 0)
		return -1;
	if (splitter->count == 0) {
		*splitter->error = "empty command";
		return -1;
	}
	if (splitter->words[0][0] == '\0') {
		/* `command = ""` is one empty word: nothing could ever run it */
		*splitter->error = "empty program name (the first word is \"\")";
		return -1;
	}
	return 0;
}

char **argv_split(const char *text, int instance, const char **error)
{
	struct splitter splitter = {
		.cursor = text,
		.instance = instance,
		.error = error,
	};
	int result = split_all(&splitter);
	strbuf_free(&splitter.word);
	if (result < 0) {
		string_vector_free(splitter.words);
		return NULL;
	}
	/* give back the vector's spare room */
	char **exact = realloc(splitter.words, (splitter.count + 1) * sizeof *exact);
	return exact ? exact : splitter.words;
}
