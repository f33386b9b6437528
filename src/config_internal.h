/* config_internal.h: what the parts of the config loader share. The loader
 * is split by phase: config.c (files, includes, the inih glue),
 * config_reader.c (physical lines -> logical entries), config_keys.c (the
 * key table), config_sections.c (sections and key = value into pending
 * sections), config_build.c (whole-tree checks, then the final model) and
 * config_model.c (the model's public functions). */
#ifndef TEND_CONFIG_INTERNAL_H
#define TEND_CONFIG_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

#define CONFIG_LINE_MAX 16384        /* characters in one physical line */
#define CONFIG_VALUE_MAX 65536       /* characters in a value with its continuations */
#define CONFIG_FILE_MAX (4 << 20)    /* bytes in one INI or env file */
#define CONFIG_NAME_MAX 255          /* characters in a group or service name */
#define CONFIG_INSTANCES_MAX 10000
#define CONFIG_SERVICES_MAX 10000    /* services in the whole tree, instances expanded */
#define CONFIG_KEY_SLOTS 80          /* >= the number of rows in the key table */
#define CONFIG_EXCERPT_MAX 64        /* characters of user text quoted in a message */

/* ---- diagnostics, kept sortable into file order ---- */

struct diagnostic_position {
	size_t file_index;
	int line;
	size_t sequence;
};

enum section_kind { SECTION_TEND, SECTION_GROUP, SECTION_SERVICE };

/* An `env-file` key: the resolved path and the key's line. */
struct env_file_key {
	char *path;
	int line;
};

/* A service as written, before instances are expanded. */
struct pending_service {
	struct config_service settings; /* argv and names not yet set */
	char *command, *check;          /* raw text, split per instance */
	long instances;                 /* 0 when the key is absent */
	char **env;                     /* from `env` keys, in order */
	size_t env_count;
	char **env_file;                /* from `env-file`, in order */
	size_t env_file_count;
	struct env_file_key *env_files; /* read once the section's user is known */
	size_t env_file_key_count, env_file_key_capacity;
};

struct section {
	enum section_kind kind;
	char *name;                     /* "" for [tend] */
	struct config_origin origin;    /* the [section] line */
	size_t file_index;
	bool valid;                     /* the name is usable for tree checks */
	bool duplicate;                 /* a second [tend] */
	int key_lines[CONFIG_KEY_SLOTS];  /* line of each key given, 0 if not */
	struct config *globals;         /* [tend]: where global keys go */
	union {
		struct config_group group;      /* SECTION_TEND, SECTION_GROUP */
		struct pending_service service; /* SECTION_SERVICE */
	} u;
};

struct include_request {
	char *pattern;
	char *directory;                /* of the file that holds the include */
	size_t file_index;
	int line;
};

struct file_identity {
	dev_t device;
	ino_t inode;
};

struct loader {
	struct config *config;          /* globals and files; the rest is built last */
	struct diagnostics *diagnostics;
	size_t diagnostics_start;       /* lines before this were the caller's */
	struct diagnostic_position *positions; /* one per line we added */
	size_t position_capacity;
	/* the file being read */
	size_t file_index;
	bool main_file;
	char *directory;                /* for relative include and env-file paths */
	/* what has been read */
	struct section **sections;
	size_t section_count, section_capacity;
	struct section *current;        /* receives keys; NULL after a bad header */
	bool have_section;              /* a header was seen in this file */
	struct section *tend;           /* the first [tend] */
	struct include_request *includes;
	size_t include_count, include_capacity;
	struct file_identity *identities;
	size_t identity_count, identity_capacity;
	bool command_follows;           /* `-- CMD` will become root child main */
	bool out_of_memory;
};

/* Report a problem at line of the file being read. */
void loader_error(struct loader *loader, int line, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
/* Report a problem at line of an earlier file. */
void loader_error_in(struct loader *loader, size_t file_index, int line, const char *format, ...)
	__attribute__((format(printf, 4, 5)));
/* Report a problem in another file (an env-file), sorted as if it were at
 * line of file file_index. */
void loader_error_elsewhere(struct loader *loader, size_t file_index, int line,
			    const char *display_file, int display_line, const char *format, ...)
	__attribute__((format(printf, 6, 7)));
/* Read the env-files of a service section, as its user (once `user` and
 * its groups are known), into its pending environment. */
void read_env_files(struct loader *loader, struct section *section);
/* Note a failed allocation; reported once at the end. */
void loader_out_of_memory(struct loader *loader);
/* Append to a growable array of element_size items; -1 (noted) on failure. */
int loader_grow(struct loader *loader, void **array, size_t *capacity, size_t needed,
		size_t element_size);
/* Read a whole regular file of at most CONFIG_FILE_MAX bytes into a malloc'd
 * buffer (NUL-terminated). Returns 0, or -1 with errno. */
int read_whole_file(const char *path, char **text, size_t *length, struct file_identity *identity);
/* Why read_whole_file failed, in words (its errno). */
const char *read_failure(int error);
/* path, or directory/path when path is relative; NULL on no memory. */
char *resolve_path(const char *directory, const char *path);

/* A copy of user text for a message: at most CONFIG_EXCERPT_MAX characters,
 * "..." when cut, non-printable bytes as '?'. */
void text_excerpt(char *out, size_t size, const char *text);
#define EXCERPT_SIZE (CONFIG_EXCERPT_MAX + 4)

/* ---- the reader: physical lines to short tokens for inih ---- */

enum entry_kind { ENTRY_SECTION, ENTRY_BAD_SECTION, ENTRY_KEY };
struct entry {
	enum entry_kind kind;
	int line;
	char *text;                     /* the text in [ ], or the key */
	char *value;                    /* ENTRY_KEY */
	size_t section;                 /* ENTRY_KEY: entry index of its header, or SIZE_MAX */
};

struct reader {
	struct loader *loader;
	const char *text;
	size_t length, position;
	int line;                       /* physical lines consumed */
	struct entry *entries;
	size_t entry_count, entry_capacity;
	size_t current_section;         /* SIZE_MAX before the first header */
	char pending[32];               /* a token line to hand out next */
	bool has_pending;
};

/* The ini_reader: hands inih the next token line, NULL at the end. */
char *reader_next_line(char *line, int size, void *stream);
/* The entry a token names; NULL if it names none. */
const struct entry *reader_entry(const struct reader *reader, const char *token);
void reader_free(struct reader *reader);

/* ---- sections and keys ---- */

#define IN_TEND (1u << SECTION_TEND)
#define IN_GROUP (1u << SECTION_GROUP)
#define IN_SERVICE (1u << SECTION_SERVICE)

enum key_target { TARGET_GLOBAL, TARGET_GROUP, TARGET_SERVICE, TARGET_BACKOFF };
enum key_kind {
	KIND_DURATION, KIND_BOOLEAN, KIND_INTEGER, KIND_NUMBER, KIND_CHOICE, KIND_MODE,
	KIND_LIMIT, KIND_CUSTOM
};

/* A word a key may take. The name is in the row rather than behind a
 * pointer: 14 bytes a row instead of 16 and the string. */
struct choice {
	char name[13];                  /* the longest is "rest-for-one" */
	unsigned char value;
};

struct key_context {
	struct loader *loader;
	struct section *section;
	int line;
	char message[160];              /* for an error built from a table */
};

/* One row of the key table, kept small: the table is the largest piece of
 * data in the binary. 24 bytes: the name, the apply function or choices,
 * and every small field packed into one 64-bit word. */
struct key_spec {
	const char *name;
	union {
		int (*apply)(struct key_context *context, void *target, const char *value,
			     const char **error);   /* KIND_CUSTOM */
		const struct choice *choices;   /* KIND_CHOICE: ends at an empty name */
	};
	enum key_kind kind : 3;
	enum key_target target : 2;
	unsigned sections : 3;          /* IN_ bits */
	bool repeatable : 1;            /* env, env-file, include */
	bool allow_empty : 1;           /* capabilities = (keep none) */
	unsigned offset : 9;            /* of the field in the target */
	/* integers, numbers and modes; a duration's minimum (ms: 0 or 1) only;
	 * for a limit, minimum is its LIMIT_ index */
	long minimum : 21, maximum : 21;
};
_Static_assert(sizeof(struct key_spec) == 24, "a key table row is 24 bytes");

/* Every key of every section (config_keys.c). */
extern const struct key_spec config_keys[];
extern const size_t config_key_count;


/* A [header] was read: start a section (or ignore keys after a bad one). */
void loader_begin_section(struct loader *loader, const char *header, int line);
/* key = value in the current section. */
void loader_apply_key(struct loader *loader, const char *key, const char *value, int line);
/* The line where key was given in section; 0 when it was not. */
int section_key_line(const struct section *section, const char *key);
const char *section_kind_name(enum section_kind kind);
/* "[service:web]" (the name shortened if it is long) into out. */
void section_label(const struct section *section, char *out, size_t size);
void section_free(struct section *section);
/* Set the documented defaults. */
void config_group_defaults(struct config_group *group);
void config_service_defaults(struct config_service *service);
int config_global_defaults(struct config *config);
/* Why name is not a valid group/service name, or NULL when it is. */
const char *config_name_problem(const char *name);

/* ---- the whole tree ---- */

/* Checks that need every section; reports problems. */
void loader_check_tree(struct loader *loader);
/* Move the pending sections into the final model (groups, services,
 * children). Returns -1 after reporting a problem. */
int loader_build(struct loader *loader);

/* Free every heap field of a service (not the struct). */
void config_service_release(struct config_service *service);
void config_group_release(struct config_group *group);
/* A deep copy of src's settings into dst (names too). Returns 0 or -1. */
int config_service_copy(struct config_service *dst, const struct config_service *src);
/* A copy of a NULL-terminated vector; NULL on no memory. */
char **string_vector_copy(char *const *vector);

#endif
