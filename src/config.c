/* config.c: loading the service tree (SPEC §2): the files and their
 * includes, the glue to inih, and problems reported as FILE:LINE.
 *
 * Why we do not hand inih the file itself: Debian's libinih is built with
 * INI_MAX_LINE 200 (longer lines are cut and the rest parsed as a new
 * line), INI_HANDLER_LINENO 0 (the handler is never told a line number),
 * ";" after whitespace as an inline comment everywhere (a quoted ";" in a
 * command would be cut) and ':' as a second key separator (`command =
 * a:b` would split at the wrong place for a key line without '='). We must
 * not redefine those macros: they change the ABI of the library we link.
 * So config_reader.c reads the physical lines itself, with its own limits
 * and comment rules, joins continuation lines, and gives inih only short
 * token lines ("[N]", "N=") that name entries in a side table holding the
 * real text and its line. inih still does the INI structure (sections and
 * key lines, in order, synchronously); every message carries its true line.
 *
 * The loading is in phases: read every file (main file, then each include
 * pattern's matches in sorted order) into pending sections, checking each
 * value at its key; then the checks that need the whole tree
 * (config_build.c); then, only when no problem was found, the model. Every
 * problem is reported, then they are sorted into file order.
 *
 * `include` may be given more than once in [tend]; the patterns are read
 * in the order given, the matches of each in sorted order. Included files
 * may hold [group:...] and [service:...] only, so they cannot include; a
 * file read once already (the main file matched by its own include glob,
 * or two patterns matching one file) is skipped, not read twice. */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_internal.h"
#include "pathmatch.h"
#include "util.h"

/* ---- diagnostics ---- */

static void diagnostics_add_v(struct diagnostics *diagnostics, const char *file, int line,
			      const char *format, va_list arguments)
{
	struct strbuf message = {0};
	if (line > 0)
		strbuf_printf(&message, "%s:%d: ", file, line);
	else
		strbuf_printf(&message, "%s: ", file);
	va_list copy;
	va_copy(copy, arguments);
	int length = vsnprintf(NULL, 0, format, copy);
	va_end(copy);
	char *text = length >= 0 ? malloc((size_t)length + 1) : NULL;
	if (text != NULL) {
		vsnprintf(text, (size_t)length + 1, format, arguments);
		strbuf_append(&message, text, (size_t)length);
	}
	free(text);
	char *built = strbuf_take(&message);
	if (built == NULL)
		return;
	if (diagnostics->count == diagnostics->capacity) {
		size_t capacity = diagnostics->capacity ? diagnostics->capacity * 2 : 8;
		char **grown = realloc(diagnostics->lines, capacity * sizeof *grown);
		if (grown == NULL) {
			free(built);
			return;
		}
		diagnostics->lines = grown;
		diagnostics->capacity = capacity;
	}
	diagnostics->lines[diagnostics->count++] = built;
}

void diagnostics_add(struct diagnostics *diagnostics, const char *file, int line,
		     const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	diagnostics_add_v(diagnostics, file, line, format, arguments);
	va_end(arguments);
}

void diagnostics_free(struct diagnostics *diagnostics)
{
	for (size_t i = 0; i < diagnostics->count; i++)
		free(diagnostics->lines[i]);
	free(diagnostics->lines);
	*diagnostics = (struct diagnostics){0};
}

/* Add a problem and remember where it sorts. */
static void loader_report(struct loader *loader, size_t file_index, int line,
			  const char *display_file, int display_line, const char *format,
			  va_list arguments)
{
	struct diagnostics *diagnostics = loader->diagnostics;
	size_t ours = diagnostics->count - loader->diagnostics_start;
	if (loader_grow(loader, (void **)&loader->positions, &loader->position_capacity, ours + 1,
			sizeof *loader->positions) < 0)
		return;
	diagnostics_add_v(diagnostics, display_file, display_line, format, arguments);
	if (diagnostics->count == loader->diagnostics_start + ours + 1)
		loader->positions[ours] = (struct diagnostic_position){file_index, line, ours};
}

void loader_error(struct loader *loader, int line, const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	loader_report(loader, loader->file_index, line, loader->config->files[loader->file_index],
		      line, format, arguments);
	va_end(arguments);
}

void loader_error_in(struct loader *loader, size_t file_index, int line, const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	loader_report(loader, file_index, line, loader->config->files[file_index], line, format,
		      arguments);
	va_end(arguments);
}

void loader_error_elsewhere(struct loader *loader, size_t file_index, int line,
			    const char *display_file, int display_line, const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	loader_report(loader, file_index, line, display_file, display_line, format,
		      arguments);
	va_end(arguments);
}

void loader_out_of_memory(struct loader *loader)
{
	loader->out_of_memory = true;
}

static int compare_positions(const void *left, const void *right)
{
	const struct diagnostic_position *a = left, *b = right;
	if (a->file_index != b->file_index)
		return a->file_index < b->file_index ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->sequence < b->sequence ? -1 : a->sequence > b->sequence;
}

/* Our problems in file order (they were found phase by phase). */
static void sort_diagnostics(struct loader *loader)
{
	struct diagnostics *diagnostics = loader->diagnostics;
	size_t count = diagnostics->count - loader->diagnostics_start;
	char **ours = diagnostics->lines + loader->diagnostics_start;
	char **sorted = xcalloc(count, sizeof *sorted);
	if (sorted == NULL)
		return;
	qsort(loader->positions, count, sizeof *loader->positions, compare_positions);
	for (size_t i = 0; i < count; i++)
		sorted[i] = ours[loader->positions[i].sequence];
	memcpy(ours, sorted, count * sizeof *sorted);
	free(sorted);
}

/* ---- small helpers ---- */

int loader_grow(struct loader *loader, void **array, size_t *capacity, size_t needed,
		size_t element_size)
{
	if (needed <= *capacity)
		return 0;
	size_t grown_capacity = *capacity ? *capacity * 2 : 8;
	while (grown_capacity < needed)
		grown_capacity *= 2;
	void *grown = realloc(*array, grown_capacity * element_size);
	if (grown == NULL) {
		loader_out_of_memory(loader);
		return -1;
	}
	*array = grown;
	*capacity = grown_capacity;
	return 0;
}

void text_excerpt(char *out, size_t size, const char *text)
{
	size_t length = strlen(text);
	size_t shown = length > CONFIG_EXCERPT_MAX ? CONFIG_EXCERPT_MAX : length;
	if (shown + 4 > size)
		shown = size > 4 ? size - 4 : 0;
	size_t i = 0;
	for (; i < shown; i++) {
		unsigned char c = (unsigned char)text[i];
		out[i] = c >= 0x20 && c != 0x7f ? (char)c : '?';
	}
	if (shown < length)
		for (int dot = 0; dot < 3; dot++)
			out[i++] = '.';
	out[i] = '\0';
}

char *resolve_path(const char *directory, const char *path)
{
	if (directory == NULL || path[0] == '/')
		return xstrdup(path);
	struct strbuf joined = {0};
	strbuf_printf(&joined, "%s/%s", directory, path);
	return strbuf_take(&joined);
}

/* The directory part of path, or NULL for a bare file name (relative
 * paths in it then stay relative to the current directory). */
static char *directory_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return NULL;
	return xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
}

static int read_all(int fd, char **text, size_t *length)
{
	struct strbuf buffer = {0};
	char chunk[8192];
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			strbuf_free(&buffer);
			return -1;
		}
		if (got == 0)
			break;
		if (buffer.length + (size_t)got > CONFIG_FILE_MAX) {
			strbuf_free(&buffer);
			errno = EFBIG;
			return -1;
		}
		strbuf_append(&buffer, chunk, (size_t)got);
	}
	*length = buffer.length;
	*text = strbuf_take(&buffer);
	if (*text == NULL)
		errno = ENOMEM;
	return *text ? 0 : -1;
}

int read_whole_file(const char *path, char **text, size_t *length, struct file_identity *identity)
{
#ifdef TEND_FUZZ
	/* The fuzzer feeds us any path: it must not read the host's files. */
	(void)path;
	(void)text;
	(void)length;
	(void)identity;
	errno = EPERM;
	return -1;
#else
	/* O_NONBLOCK: a FIFO named by mistake must not hang the open */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	struct stat status;
	int result = fstat(fd, &status);
	if (result == 0 && !S_ISREG(status.st_mode)) {
		errno = S_ISDIR(status.st_mode) ? EISDIR : EINVAL;
		result = -1;
	}
	if (result == 0)
		result = read_all(fd, text, length);
	if (result == 0 && identity != NULL)
		*identity = (struct file_identity){status.st_dev, status.st_ino};
	int saved = errno;
	close(fd);
	errno = saved;
	return result;
#endif
}

const char *read_failure(int error)
{
	if (error == EINVAL)
		return "not a regular file";
	if (error == EFBIG)
		return "larger than 4 MiB";
	return strerror(error);
}

/* ---- reading one file ---- */

/* inih's handler: resolve the token back to its entry. The section token
 * inih passes is redundant (the entry knows its header). */
static int handle_entry(void *user, const char *section, const char *name, const char *value)
{
	(void)section;
	(void)value;
	struct reader *reader = user;
	/* builds with INI_CALL_HANDLER_ON_NEW_SECTION also call with NULL */
	const struct entry *entry = name ? reader_entry(reader, name) : NULL;
	if (entry == NULL)
		return 1;
	switch (entry->kind) {
	case ENTRY_SECTION:
		loader_begin_section(reader->loader, entry->text, entry->line);
		break;
	case ENTRY_BAD_SECTION:
		loader_begin_section(reader->loader, NULL, entry->line);
		break;
	case ENTRY_KEY:
		loader_apply_key(reader->loader, entry->text, entry->value, entry->line);
		break;
	}
	return 1;
}

static void parse_text(struct loader *loader, const char *text, size_t length)
{
	static const char byte_order_mark[] = "\xEF\xBB\xBF";
	if (length >= 3 && memcmp(text, byte_order_mark, 3) == 0) {
		text += 3;
		length -= 3;
	}
	struct reader reader = {
		.loader = loader,
		.text = text,
		.length = length,
		.current_section = SIZE_MAX,
	};
	loader->current = NULL;
	loader->have_section = false;
	ini_parse_stream(reader_next_line, &reader, handle_entry, &reader);
	reader_free(&reader);
}

/* Make path the file being read. */
static int enter_file(struct loader *loader, const char *path, bool main_file)
{
	struct config *config = loader->config;
	char *copy = xstrdup(path);
	char **grown = copy ? realloc(config->files, (config->file_count + 1) * sizeof *grown) : NULL;
	if (grown == NULL) {
		free(copy);
		loader_out_of_memory(loader);
		return -1;
	}
	config->files = grown;
	config->files[config->file_count++] = copy;
	loader->file_index = config->file_count - 1;
	loader->main_file = main_file;
	free(loader->directory);
	loader->directory = directory_of(path);
	return 0;
}

/* Remember a file as read; false when it was read already. */
static bool first_reading(struct loader *loader, struct file_identity identity)
{
	for (size_t i = 0; i < loader->identity_count; i++)
		if (loader->identities[i].device == identity.device &&
		    loader->identities[i].inode == identity.inode)
			return false;
	if (loader_grow(loader, (void **)&loader->identities, &loader->identity_capacity,
			loader->identity_count + 1, sizeof *loader->identities) == 0)
		loader->identities[loader->identity_count++] = identity;
	return true;
}

static void load_included_file(struct loader *loader, const struct include_request *request,
			       const char *path)
{
	char *text = NULL;
	size_t length;
	struct file_identity identity;
	if (read_whole_file(path, &text, &length, &identity) < 0) {
		loader_error_in(loader, request->file_index, request->line,
				"cannot read included file '%s': %s", path, read_failure(errno));
		return;
	}
	if (first_reading(loader, identity) && enter_file(loader, path, false) == 0)
		parse_text(loader, text, length);
	free(text);
}

static void load_include(struct loader *loader, const struct include_request *request)
{
	char *pattern = resolve_path(request->directory, request->pattern);
	if (pattern == NULL) {
		loader_out_of_memory(loader);
		return;
	}
	/* A literal path must exist; a pattern may match nothing. */
	if (!has_wildcards(request->pattern)) {
		load_included_file(loader, request, pattern);
		free(pattern);
		return;
	}
	char **matches;
	size_t count;
	if (path_expand(pattern, &matches, &count) < 0) {
		loader_error_in(loader, request->file_index, request->line,
				"cannot expand include pattern '%s'", pattern);
		free(pattern);
		return;
	}
	for (size_t i = 0; i < count; i++)
		load_included_file(loader, request, matches[i]);
	string_vector_free(matches);
	free(pattern);
}

/* ---- the whole load ---- */

static int loader_start(struct loader *loader, struct diagnostics *diagnostics)
{
	*loader = (struct loader){
		.diagnostics = diagnostics,
		.diagnostics_start = diagnostics->count,
	};
	loader->config = xcalloc(1, sizeof *loader->config);
	if (loader->config == NULL)
		return -1;
	return config_global_defaults(loader->config);
}

static void loader_release(struct loader *loader)
{
	for (size_t i = 0; i < loader->section_count; i++)
		section_free(loader->sections[i]);
	free(loader->sections);
	for (size_t i = 0; i < loader->include_count; i++) {
		free(loader->includes[i].pattern);
		free(loader->includes[i].directory);
	}
	free(loader->includes);
	free(loader->identities);
	free(loader->positions);
	free(loader->directory);
}

static struct config *loader_finish(struct loader *loader)
{
#ifndef TEND_FUZZ
	for (size_t i = 0; i < loader->include_count; i++)
		load_include(loader, &loader->includes[i]);
#endif
	if (!loader->out_of_memory)
		loader_check_tree(loader);
	bool clean = loader->diagnostics->count == loader->diagnostics_start;
	if (clean && !loader->out_of_memory && loader_build(loader) == 0 && !loader->out_of_memory) {
		loader_release(loader);
		return loader->config;
	}
	if (loader->out_of_memory)
		loader_error_in(loader, 0, 0, "out of memory while reading the configuration");
	sort_diagnostics(loader);
	loader_release(loader);
	config_free(loader->config);
	return NULL;
}

static struct config *load_file(const char *path, bool command_follows,
				struct diagnostics *diagnostics)
{
	struct loader loader;
	if (loader_start(&loader, diagnostics) < 0 || enter_file(&loader, path, true) < 0) {
		diagnostics_add(diagnostics, path, 0, "out of memory");
		config_free(loader.config);
		loader_release(&loader);
		return NULL;
	}
	loader.command_follows = command_follows;
	char *text = NULL;
	size_t length;
	struct file_identity identity;
	if (read_whole_file(path, &text, &length, &identity) < 0) {
		loader_error(&loader, 0, "cannot read: %s", read_failure(errno));
	} else {
		first_reading(&loader, identity);
		parse_text(&loader, text, length);
	}
	free(text);
	return loader_finish(&loader);
}

static struct config *load_string(const char *name, const char *text, bool command_follows,
				  struct diagnostics *diagnostics)
{
	struct loader loader;
	if (loader_start(&loader, diagnostics) < 0 || enter_file(&loader, name, true) < 0) {
		diagnostics_add(diagnostics, name, 0, "out of memory");
		config_free(loader.config);
		loader_release(&loader);
		return NULL;
	}
	loader.command_follows = command_follows;
	/* includes are relative to the current directory, as documented */
	free(loader.directory);
	loader.directory = NULL;
	parse_text(&loader, text, strlen(text));
	return loader_finish(&loader);
}

static struct config *with_command(struct config *config, char *const *argv,
				   struct diagnostics *diagnostics)
{
	if (config != NULL && config_add_main_command(config, argv, diagnostics) < 0) {
		config_free(config);
		return NULL;
	}
	return config;
}

struct config *config_load(const char *path, struct diagnostics *diagnostics)
{
	return load_file(path, false, diagnostics);
}

struct config *config_load_string(const char *name, const char *text,
				  struct diagnostics *diagnostics)
{
	return load_string(name, text, false, diagnostics);
}

struct config *config_load_command(const char *path, char *const *argv,
				   struct diagnostics *diagnostics)
{
	return with_command(load_file(path, true, diagnostics), argv, diagnostics);
}

struct config *config_load_string_command(const char *name, const char *text,
					  char *const *argv, struct diagnostics *diagnostics)
{
	return with_command(load_string(name, text, true, diagnostics), argv, diagnostics);
}
