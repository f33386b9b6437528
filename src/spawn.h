/* spawn.h: fork a child, set it up, exec. The child runs its setup stages
 * in order and, on the first failure, writes {stage, errno} to a close-on-exec
 * pipe and _exits; end of file on the pipe means exec succeeded. The parent
 * never waits for the child here: it watches the pipe in the loop (or reads
 * it once the child has been reaped, when the report is already there). */
#ifndef TEND_SPAWN_H
#define TEND_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

enum spawn_stage {
	SPAWN_STAGE_NONE = 0, /* no failure */
	SPAWN_STAGE_FORK,
	SPAWN_STAGE_SESSION,
	SPAWN_STAGE_TERMINAL,
	SPAWN_STAGE_DIRECTORY,
	SPAWN_STAGE_LIMITS,
	SPAWN_STAGE_OOM_SCORE,
	SPAWN_STAGE_GROUPS,
	SPAWN_STAGE_USER,
	SPAWN_STAGE_CAPABILITIES,
	SPAWN_STAGE_NO_NEW_PRIVILEGES,
	SPAWN_STAGE_STDOUT,
	SPAWN_STAGE_STDERR,
	SPAWN_STAGE_FILES,
	SPAWN_STAGE_EXEC,
};

/* "exec", "directory", ... for messages. */
const char *spawn_stage_name(enum spawn_stage stage);

enum spawn_isolation {
	SPAWN_PROCESS_GROUP, /* setpgid(0, 0): its own group in tend's session */
	SPAWN_SESSION,       /* setsid(): its own session and group */
};

struct spawn_limit {
	int resource; /* RLIMIT_* */
	struct rlimit value;
};

struct spawn_request {
	char *const *argv;      /* argv[0] is searched in PATH unless it has a '/' */
	char *const *envp;      /* NULL: tend's own environment */
	enum spawn_isolation isolation;
	bool take_terminal;     /* make the child's group the tty's foreground */
	bool inherit_signals;   /* the caller's mask and ignored set (single mode) */
	const char *directory;  /* NULL: stay in tend's; entered as the service */
	int umask_value;        /* -1: keep */
	const struct spawn_limit *limits;
	int limit_count;
	bool set_oom_score;
	int oom_score_adj;
	bool set_user;          /* switch to uid/gid with groups */
	bool set_group;         /* only switch to gid (no user switch) */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	int group_count;
	bool set_capabilities;  /* keep only capabilities (bitmask of CAP_*) */
	uint64_t capabilities;
	bool no_new_privileges;
	int stdin_fd;           /* -1: inherit tend's; otherwise dup2'd to 0 */
	int stdout_fd;          /* -1: inherit (or stdout_path) */
	int stderr_fd;          /* -1: inherit (or stderr_path) */
	const char *stdout_path; /* file: output, opened as the service; NULL: none */
	const char *stderr_path;
	bool share_memory;      /* vfork: the child runs in tend's memory until
				   exec, so its setup must not allocate or
				   write anything but its own stack: only
				   without set_capabilities (libcap allocates) */
	char *child_pid_text;   /* NULL, or room for 11 digits: the child writes
				   its pid there before exec (WATCHDOG_PID) */
	int notify_source_fd;   /* -1: none; else dup2'd to notify_target_fd */
	int notify_target_fd;
};

struct spawn_result {
	pid_t pid;         /* > 0 when fork succeeded */
	int report_fd;     /* read end of the report pipe (O_CLOEXEC|O_NONBLOCK) */
	enum spawn_stage failed_stage; /* SPAWN_STAGE_FORK when fork failed */
	int error;         /* errno of the failure */
};

/* Initialise a request with "inherit everything" defaults. */
void spawn_request_init(struct spawn_request *request);

/* Fork and start setting up the child. Returns 0 when a child exists
 * (result->pid, result->report_fd), -1 when fork or pipe failed
 * (result->failed_stage/error set). Never blocks on the child. */
int spawn_start(const struct spawn_request *request, struct spawn_result *result);

/* Read the child's report without blocking. Returns 1 and fills stage/error
 * when the child reported a failure, 0 at end of file (exec succeeded),
 * -1 when nothing has arrived yet (EAGAIN). */
int spawn_read_report(int report_fd, enum spawn_stage *stage, int *error);

#endif
