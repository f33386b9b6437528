/* spawn.c: fork, child setup, exec, with every failure reported by stage.
 *
 * The child never returns into tend's code: each stage either succeeds or
 * writes {stage, errno} to the report pipe (close-on-exec, so a successful
 * exec closes it and the parent reads end of file) and _exits. The parent
 * does not wait here: it reads the pipe from the loop, or after reaping the
 * child, when any report is already in the pipe. */
#include "autoconfig.h"
#include "spawn.h"

#include <dirent.h>
#include <grp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capability.h"
#include "signals.h"

extern char **environ;

#ifdef HAVE__FORK
#define spawn_fork _Fork
#else
#define spawn_fork fork
#endif

static const char *const stage_names[] = {
	[SPAWN_STAGE_NONE] = "none",
	[SPAWN_STAGE_FORK] = "fork",
	[SPAWN_STAGE_SESSION] = "session",
	[SPAWN_STAGE_TERMINAL] = "terminal",
	[SPAWN_STAGE_DIRECTORY] = "directory",
	[SPAWN_STAGE_LIMITS] = "limits",
	[SPAWN_STAGE_OOM_SCORE] = "oom-score-adj",
	[SPAWN_STAGE_GROUPS] = "groups",
	[SPAWN_STAGE_USER] = "user",
	[SPAWN_STAGE_CAPABILITIES] = "capabilities",
	[SPAWN_STAGE_NO_NEW_PRIVILEGES] = "no-new-privileges",
	[SPAWN_STAGE_STDOUT] = "stdout",
	[SPAWN_STAGE_STDERR] = "stderr",
	[SPAWN_STAGE_FILES] = "files",
	[SPAWN_STAGE_EXEC] = "exec",
};

const char *spawn_stage_name(enum spawn_stage stage)
{
	if ((size_t)stage < sizeof stage_names / sizeof stage_names[0])
		return stage_names[stage];
	return "unknown";
}

void spawn_request_init(struct spawn_request *request)
{
	memset(request, 0, sizeof *request);
	request->isolation = SPAWN_SESSION;
	request->umask_value = -1;
	request->stdin_fd = request->stdout_fd = request->stderr_fd = -1;
	request->notify_source_fd = request->notify_target_fd = -1;
}

/* In the child: report the failed stage and end. */
static _Noreturn void child_fail(int report_fd, enum spawn_stage stage)
{
	int report[2] = { (int)stage, errno };
	ssize_t ignored = write(report_fd, report, sizeof report);
	(void)ignored;
	_exit(stage == SPAWN_STAGE_EXEC && report[1] == ENOENT ? 127 : 126);
}

static int close_from(unsigned int first, unsigned int last)
{
	if (first > last)
		return 0;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, first, last, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
#endif
	/* Old kernel: walk the open fds instead of looping up to RLIMIT_NOFILE,
	 * which may be a billion in a container. */
	DIR *directory = opendir("/proc/self/fd");
	if (directory == NULL)
		return -1;
	int own = dirfd(directory);
	struct dirent *entry;
	while ((entry = readdir(directory)) != NULL) {
		long fd = strtol(entry->d_name, NULL, 10);
		if (fd >= (long)first && fd <= (long)last && fd != own)
			close((int)fd);
	}
	closedir(directory);
	return 0;
}

/* Close every fd from 3 up except keep_a and keep_b (-1: none). */
static int close_all_except(int keep_a, int keep_b)
{
	if (keep_a > keep_b) {
		int swap = keep_a;
		keep_a = keep_b;
		keep_b = swap;
	}
	unsigned int next = 3;
	const int keeps[2] = { keep_a, keep_b };
	for (int i = 0; i < 2; i++) {
		if (keeps[i] < (int)next)
			continue;
		if (close_from(next, (unsigned int)keeps[i] - 1) < 0)
			return -1;
		next = (unsigned int)keeps[i] + 1;
	}
	return close_from(next, ~0U);
}

/* Put the requested fds in place and close all others but the report pipe
 * (close-on-exec: exec closes it). *report_fd may move out of the way. */
static int setup_files(const struct spawn_request *request, int *report_fd)
{
	const int sources[3] = { request->stdin_fd, request->stdout_fd, request->stderr_fd };
	for (int target = 0; target < 3; target++)
		if (sources[target] >= 0 && sources[target] != target &&
		    dup2(sources[target], target) < 0)
			return -1;
	int keep = request->notify_target_fd;
	if (request->notify_source_fd < 0)
		return close_all_except(*report_fd, -1);
	if (*report_fd == keep) {
		int moved = fcntl(*report_fd, F_DUPFD_CLOEXEC, keep + 1);
		if (moved < 0)
			return -1;
		*report_fd = moved;
	}
	if (request->notify_source_fd == keep) {
		if (fcntl(keep, F_SETFD, 0) < 0)
			return -1;
	} else if (dup2(request->notify_source_fd, keep) < 0) {
		return -1;
	}
	return close_all_except(*report_fd, keep);
}

/* A file: output, opened for appending. O_NONBLOCK so that a FIFO without
 * a reader fails the start (ENXIO) instead of hanging it; then cleared, so
 * the service gets the blocking stream it expects. */
static int open_output(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		return -1;
	return fd;
}

static const char *environment_path(char *const *envp)
{
	for (char *const *item = envp; item != NULL && *item != NULL; item++)
		if (strncmp(*item, "PATH=", 5) == 0)
			return *item + 5;
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/* execve argv[0], searching PATH from the child's own environment. Returns
 * only on failure, with errno (EACCES if any candidate was not executable). */
static void exec_searching(char *const *argv, char *const *envp)
{
	const char *file = argv[0];
	if (strchr(file, '/') != NULL) {
		execve(file, argv, envp);
		return;
	}
	const char *path = environment_path(envp);
	bool denied = false;
	char candidate[PATH_MAX];
	for (const char *start = path;; start++) {
		const char *end = strchrnul(start, ':');
		size_t directory_length = (size_t)(end - start);
		if (directory_length + strlen(file) + 2 <= sizeof candidate) {
			memcpy(candidate, start, directory_length);
			size_t length = directory_length;
			if (length == 0)
				candidate[length++] = '.';
			candidate[length++] = '/';
			strcpy(candidate + length, file);
			execve(candidate, argv, envp);
			if (errno == EACCES)
				denied = true;
			else if (errno != ENOENT && errno != ENOTDIR)
				return;
		}
		if (*end == '\0')
			break;
		start = end;
	}
	errno = denied ? EACCES : ENOENT;
}

static _Noreturn void child_run(const struct spawn_request *request, int report_fd)
{
	/* Dispositions are already the defaults: tend reset its own at start
	 * and installs no handlers (signals_reset_dispositions). Only the mask
	 * is left, unblocked just before exec. */
	if (request->isolation == SPAWN_SESSION ? setsid() < 0 : setpgid(0, 0) < 0)
		child_fail(report_fd, SPAWN_STAGE_SESSION);
	/* SIGTTOU is still blocked here, so a background tend may hand over the
	 * terminal without being stopped. */
	if (request->take_terminal && tcsetpgrp(STDIN_FILENO, getpid()) < 0 &&
	    errno != ENOTTY && errno != ENXIO)
		child_fail(report_fd, SPAWN_STAGE_TERMINAL);
	if (request->umask_value >= 0)
		umask((mode_t)request->umask_value);
	for (int i = 0; i < request->limit_count; i++)
		if (setrlimit(request->limits[i].resource, &request->limits[i].value) < 0)
			child_fail(report_fd, SPAWN_STAGE_LIMITS);
	if (request->set_oom_score) {
		char text[16];
		int length = snprintf(text, sizeof text, "%d\n", request->oom_score_adj);
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, text, (size_t)length) != length)
			child_fail(report_fd, SPAWN_STAGE_OOM_SCORE);
		close(fd);
	}
	if (request->set_group && !request->set_user &&
	    (setgroups(1, &request->gid) < 0 || setgid(request->gid) < 0))
		child_fail(report_fd, SPAWN_STAGE_GROUPS);
	if (request->set_user) {
		if (setgroups((size_t)request->group_count, request->groups) < 0 ||
		    setgid(request->gid) < 0)
			child_fail(report_fd, SPAWN_STAGE_GROUPS);
		/* keep the permitted set across setuid: the capabilities
		 * stage needs it (CAP_SETPCAP, and the ones to keep) */
		bool keep = request->set_capabilities && request->uid != 0;
		if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			child_fail(report_fd, SPAWN_STAGE_CAPABILITIES);
		if (setuid(request->uid) < 0)
			child_fail(report_fd, SPAWN_STAGE_USER);
	}
	if (request->set_capabilities &&
	    capability_keep_only(request->capabilities, request->no_new_privileges) < 0)
		child_fail(report_fd, SPAWN_STAGE_CAPABILITIES);
	if (request->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(report_fd, SPAWN_STAGE_NO_NEW_PRIVILEGES);
	/* From here on the kernel checks every path as the service: tend is
	 * root, the service may not be, and it may own these paths (a log it
	 * swapped for a link to a root-only file, a FIFO nobody reads). */
	/* file: first, while the cwd is still tend's "/": a relative PATH
	 * means the same for every service */
	struct spawn_request files = *request;
	if (request->stdout_path != NULL &&
	    (files.stdout_fd = open_output(request->stdout_path)) < 0)
		child_fail(report_fd, SPAWN_STAGE_STDOUT);
	if (request->stderr_path != NULL &&
	    (files.stderr_fd = open_output(request->stderr_path)) < 0)
		child_fail(report_fd, SPAWN_STAGE_STDERR);
	if (request->directory != NULL && chdir(request->directory) < 0)
		child_fail(report_fd, SPAWN_STAGE_DIRECTORY);
	if (setup_files(&files, &report_fd) < 0)
		child_fail(report_fd, SPAWN_STAGE_FILES);
	char *const *envp = request->envp != NULL ? request->envp : environ;
	if (request->child_pid_text != NULL) /* scratch text the parent rebuilds per spawn */
		snprintf(request->child_pid_text, 12, "%d", (int)getpid());
	if (request->inherit_signals)
		signals_child_restore_inherited();
	else
		signals_child_unblock();
	exec_searching(request->argv, envp);
	child_fail(report_fd, SPAWN_STAGE_EXEC);
}

int spawn_start(const struct spawn_request *request, struct spawn_result *result)
{
	int report[2];
	memset(result, 0, sizeof *result);
	result->report_fd = -1;
	if (pipe2(report, O_CLOEXEC | O_NONBLOCK) < 0) {
		result->failed_stage = SPAWN_STAGE_FORK;
		result->error = errno;
		return -1;
	}
	/* _Fork (glibc >= 2.34): the fork syscall without atfork handlers (we register none), which
	 * also keeps glibc's atfork machinery (5 KB) out of the static binary. */
	/* share_memory: the parent waits (microseconds) until the child has
	 * exec'd or failed, and pays neither the copy of its page tables nor
	 * a copy-on-write fault for every page it writes while the child has
	 * not exec'd yet: most of the cost of a spawn for tend, which runs a
	 * health check every few seconds. */
	pid_t pid = request->share_memory ? vfork() : spawn_fork();
	if (pid < 0) {
		result->failed_stage = SPAWN_STAGE_FORK;
		result->error = errno;
		close(report[0]);
		close(report[1]);
		return -1;
	}
	if (pid == 0) {
		close(report[0]);
		child_run(request, report[1]);
	}
	close(report[1]);
	/* Also from the parent, so that a signal to the group right after the
	 * fork cannot miss the child (EACCES once it has exec'd is fine). */
	if (request->isolation == SPAWN_PROCESS_GROUP)
		setpgid(pid, pid);
	result->pid = pid;
	result->report_fd = report[0];
	return 0;
}

int spawn_read_report(int report_fd, enum spawn_stage *stage, int *error)
{
	int report[2];
	ssize_t length;
	do
		length = read(report_fd, report, sizeof report);
	while (length < 0 && errno == EINTR);
	if (length < 0)
		return -1;
	if (length == (ssize_t)sizeof report) {
		*stage = (enum spawn_stage)report[0];
		*error = report[1];
		return 1;
	}
	if (length == 0)
		return 0;
	*stage = SPAWN_STAGE_EXEC; /* a torn report: treat as failed exec */
	*error = EIO;
	return 1;
}
