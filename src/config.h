/* config.h: the service tree as read from the INI files (SPEC §2): one
 * immutable model, built and validated as a whole before anything starts,
 * rebuilt from scratch on reload. Durations are milliseconds. */
#ifndef TEND_CONFIG_H
#define TEND_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

enum strategy { STRATEGY_ONE_FOR_ONE, STRATEGY_ONE_FOR_ALL, STRATEGY_REST_FOR_ONE };
enum order { ORDER_SEQUENTIAL, ORDER_PARALLEL };
enum quorum_kind { QUORUM_ALL, QUORUM_COUNT, QUORUM_PERCENT };
enum root_failure { ON_ROOT_FAILURE_EXIT, ON_ROOT_FAILURE_STAY };
enum service_type { SERVICE_SIMPLE, SERVICE_ONESHOT };
enum restart_policy { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER };
enum ready_mode { READY_STARTED, READY_NOTIFY, READY_FD, READY_CHECK };
enum check_action { CHECK_ACTION_RESTART, CHECK_ACTION_NONE };
enum output_mode { OUTPUT_INHERIT, OUTPUT_PREFIX, OUTPUT_NULL, OUTPUT_FILE };

enum limit_index {
	LIMIT_NOFILE, LIMIT_NPROC, LIMIT_CORE, LIMIT_MEMLOCK, LIMIT_AS, LIMIT_STACK,
	LIMIT_COUNT
};

struct backoff_policy {
	int64_t min_ms;    /* backoff-min, default 100 */
	int64_t max_ms;    /* backoff-max, default 30000 */
	double factor;     /* backoff-factor, default 2 */
	double jitter;     /* backoff-jitter, default 0.2, in [0, 1] */
	int64_t reset_ms;  /* backoff-reset, default 60000 */
};

/* Where a thing was written, for messages. file points into config->files. */
struct config_origin {
	const char *file;
	int line;
};

enum child_kind { CHILD_SERVICE, CHILD_GROUP };
struct config_child {
	enum child_kind kind;
	size_t index; /* into config->services or config->groups */
};

struct config_group {
	char *name;            /* full path: "web/workers"; "" for the root */
	struct config_origin origin;
	ssize_t parent;        /* index into config->groups; -1 for the root */
	enum strategy strategy;
	int max_restarts;      /* default 10, >= 0 */
	int64_t restart_period_ms; /* default 60000, > 0 */
	enum order start;      /* default sequential */
	enum order stop;       /* default sequential */
	enum quorum_kind quorum_kind; /* default all */
	int quorum_value;      /* N, or percent 0..100 */
	bool autostart;        /* default yes */
	struct backoff_policy backoff;
	struct config_child *children; /* in start order */
	size_t child_count;
};

struct output_setting {
	char *path;            /* OUTPUT_FILE */
	enum output_mode mode;
};

struct config_limit {
	bool set;
	struct rlimit value;   /* RLIM_INFINITY for "unlimited" */
};

struct config_service {
	/* Fields are ordered by size (pointers and 64-bit values, then 32-bit,
	 * then bytes) so the struct has no holes: it is paid once per service. */
	char *name;            /* full path with instance: "web/worker.2" */
	char *base_name;       /* without the instance suffix: "web/worker" */
	struct config_origin origin; /* the [service:...] line */
	size_t group;          /* index into config->groups (0 = root) */
	char **argv;           /* split command, %i expanded; NULL-terminated */
	int *success_codes;    /* besides 0 */
	size_t success_count;
	struct backoff_policy backoff;
	int64_t start_timeout_ms;  /* default 60000; 0 = none */
	char **check_argv;     /* NULL without `check` */
	int64_t check_interval_ms, check_timeout_ms, check_start_period_ms;
	int64_t watchdog_ms;   /* 0 = none */
	int64_t stop_timeout_ms; /* default 10000 */
	gid_t *groups;         /* supplementary groups (with `user`) */
	size_t group_count;
	char *user_name, *user_home; /* for HOME/USER/LOGNAME */
	char *directory;       /* default "/" */
	char **env;            /* final KEY=VALUE list from env-file then env
				  (later wins); applied on top of the base */
	uint64_t capabilities; /* bit n = capability n */
	struct config_limit *limits; /* NULL (none set) or LIMIT_COUNT entries:
				       out of line, as few services set any */
	struct output_setting stdout_setting, stderr_setting;
	int instance;          /* -1 without `instances` */
	enum service_type type;
	enum restart_policy restart;
	enum ready_mode ready;
	int ready_fd;          /* READY_FD: N >= 3 */
	int check_retries;
	enum check_action check_action;
	int stop_signal;       /* default SIGTERM */
	uid_t uid;
	gid_t gid;             /* `group`, else the user's primary group */
	int umask_value;       /* -1 = tend's */
	int oom_score_adj;
	bool main;
	bool ready_required;   /* default yes */
	bool kill_group;       /* default yes */
	bool set_user;         /* `user` given */
	bool set_group;        /* `group` given without `user` */
	bool env_clear;
	bool set_capabilities;
	bool no_new_privileges; /* default yes */
	bool set_oom_score;
	bool autostart;        /* default yes */
};

struct config {
	char **files;          /* every file read, main file first */
	size_t file_count;
	/* [tend] */
	char *socket_path;     /* NULL when `none`; default /run/tend/tend.sock */
	int socket_mode;       /* default 0600 */
	bool set_socket_group, set_admin_group;
	gid_t socket_group, admin_group;
	char *health_dir;      /* default /run/tend */
	int64_t heartbeat_ms;  /* default 10000; 0 = never */
	int64_t shutdown_drain_ms;   /* default 0 */
	int64_t shutdown_timeout_ms; /* default 25000 */
	enum root_failure on_root_failure;
	int log_format;        /* enum log_format; -1 when not set in the file */
	int log_level;         /* enum log_level; -1 when not set in the file */
	/* groups[0] is always the root supervisor (name "") */
	struct config_group *groups;
	size_t group_count;
	struct config_service *services; /* instances expanded */
	size_t service_count;
	ssize_t main_service;  /* index of the `main = yes` service, or -1 */
	void *packed;          /* after config_compact: the services' strings
				  and arrays, all in this one block */
};

/* The problems found, each one line "FILE:LINE: message" (in file order). */
struct diagnostics {
	char **lines;
	size_t count;
	size_t capacity;
};
void diagnostics_add(struct diagnostics *diagnostics, const char *file, int line,
		     const char *format, ...) __attribute__((format(printf, 4, 5)));
void diagnostics_free(struct diagnostics *diagnostics);

/* Read and validate the tree in path (and its includes). Returns the model,
 * or NULL with every problem in diagnostics (never only the first). */
struct config *config_load(const char *path, struct diagnostics *diagnostics);
/* The same from a string; `name` stands for the file name in messages;
 * includes are resolved relative to the current directory. For tests and
 * the fuzzer. */
struct config *config_load_string(const char *name, const char *text,
				  struct diagnostics *diagnostics);
/* config_load / config_load_string for `-c FILE -- CMD`: a root child
 * named main or a `main = yes` service is reported with every other
 * problem, and without problems CMD is added (config_add_main_command). */
struct config *config_load_command(const char *path, char *const *argv,
				   struct diagnostics *diagnostics);
struct config *config_load_string_command(const char *name, const char *text,
					  char *const *argv, struct diagnostics *diagnostics);
/* Add `-- CMD` as the root's last child "main" (main = yes, restart =
 * never). Returns 0, or -1 with a diagnostic when the tree already has a
 * root child named main or a main service. */
int config_add_main_command(struct config *config, char *const *argv,
			    struct diagnostics *diagnostics);
/* Move the services' strings and arrays into one block (and the services
 * into a fresh array) and free the originals, so that after malloc_trim the
 * loader's scratch space goes back to the kernel instead of being pinned by
 * small live objects between its holes (part of keeping a service under
 * 1 KiB). An empty env or argv-like vector becomes NULL. Afterwards the
 * services must not be released one by one (config_free knows). Returns 0,
 * or -1 (unchanged) when memory ran out. */
int config_compact(struct config *config);
void config_free(struct config *config);

/* Lookups by full name; NULL when absent. */
const struct config_service *config_find_service(const struct config *config, const char *name);
const struct config_group *config_find_group(const struct config *config, const char *name);
/* True when two services' settings are the same (reload leaves it alone). */
bool config_service_equal(const struct config_service *a, const struct config_service *b);
bool config_group_equal(const struct config *config_a, const struct config_group *a,
			const struct config *config_b, const struct config_group *b);

#endif
