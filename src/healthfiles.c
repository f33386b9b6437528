/* healthfiles.c: `live` and `ready` in health-dir (healthfiles.h).
 *
 * What the files should say (wanted) is kept apart from what is on disk
 * (present): every change and every heartbeat brings the disk in line, so a
 * write that failed (read-only, ENOSPC, the directory removed) is simply
 * tried again at the next one, and the failure is logged once, not at every
 * attempt. */
#include "healthfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "util.h"

enum file_kind { FILE_LIVE, FILE_READY, FILE_COUNT };

struct health_file {
	const char *name;
	char *path, *temporary;
	bool wanted, present;
	int failed_errno; /* of the last failed attempt, 0 after a success */
};

static struct {
	const char *dir;
	bool open;
	int64_t heartbeat_ms;
	struct timer heartbeat;
	struct health_file files[FILE_COUNT];
} health_files; /* zero-initialised: no room in the binary's initialised data */

static char *join(const char *dir, const char *prefix, const char *name)
{
	size_t size = strlen(dir) + strlen(prefix) + strlen(name) + 2;
	char *path = malloc(size);
	if (path != NULL)
		snprintf(path, size, "%s/%s%s", dir, prefix, name);
	return path;
}

/* Log a failure when it starts or changes, not at every retry. */
static void failed(struct health_file *file, const char *action)
{
	int error = errno;
	if (file->failed_errno != error)
		log_event(LOG_LEVEL_ERROR, NULL, "health-file",
			  "cannot %s %s: %s (tried again at the next change)", action, file->path,
			  strerror(error));
	file->failed_errno = error;
}

static void succeeded(struct health_file *file)
{
	if (file->failed_errno != 0)
		log_event(LOG_LEVEL_INFO, NULL, "health-file", "%s written again", file->path);
	file->failed_errno = 0;
}

/* Write the file under a temporary name, then rename it into place. */
static int write_file(struct health_file *file)
{
	int fd = open(file->temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno == ENOENT && make_directories(health_files.dir, 0755) == 0)
		fd = open(file->temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	char text[32];
	int length = snprintf(text, sizeof text, "%s\n", file->name);
	ssize_t written = write(fd, text, (size_t)length);
	int error = written == length ? 0 : written < 0 ? errno : ENOSPC;
	if (close(fd) < 0 && error == 0 && errno != EINTR)
		error = errno;
	if (error == 0 && rename(file->temporary, file->path) < 0)
		error = errno;
	if (error != 0) {
		unlink(file->temporary);
		errno = error;
		return -1;
	}
	return 0;
}

static void sync_file(struct health_file *file)
{
	if (!health_files.open || file->path == NULL || file->wanted == file->present)
		return;
	if (file->wanted) {
		if (write_file(file) < 0) {
			failed(file, "write");
			return;
		}
	} else if (unlink(file->path) < 0 && errno != ENOENT) {
		failed(file, "remove");
		return;
	}
	file->present = file->wanted;
	succeeded(file);
}

/* One wake-up per heartbeat: refresh live's mtime (or write it again if
 * it went missing), and retry whatever failed before. */
static void on_heartbeat(struct timer *timer)
{
	struct health_file *live = &health_files.files[FILE_LIVE];
	if (live->present && utimensat(AT_FDCWD, live->path, NULL, 0) < 0) {
		if (errno == ENOENT)
			live->present = false;
		else
			failed(live, "refresh");
	}
	for (int i = 0; i < FILE_COUNT; i++)
		sync_file(&health_files.files[i]);
	loop_timer_set(timer, loop_now() + health_files.heartbeat_ms);
}

void healthfiles_open(const char *dir, int64_t heartbeat_ms)
{
	health_files.dir = dir;
	health_files.heartbeat_ms = heartbeat_ms;
	health_files.heartbeat = (struct timer){ .callback = on_heartbeat };
	if (make_directories(dir, 0755) < 0)
		log_event(LOG_LEVEL_ERROR, NULL, "health-file", "cannot create %s: %s (tried again at the next change)",
			  dir, strerror(errno));
	static const char *const names[FILE_COUNT] = { [FILE_LIVE] = "live", [FILE_READY] = "ready" };
	for (int i = 0; i < FILE_COUNT; i++) {
		struct health_file *file = &health_files.files[i];
		file->name = names[i];
		file->path = join(dir, "", file->name);
		file->temporary = join(dir, ".", file->name);
		if (file->path == NULL || file->temporary == NULL) {
			log_error("out of memory for the health files");
			continue;
		}
		/* Stale files of an earlier run say nothing about this one. */
		if (unlink(file->path) < 0 && errno != ENOENT && errno != ENOTDIR)
			failed(file, "remove stale");
		unlink(file->temporary);
		file->present = false;
	}
	health_files.open = true;
	healthfiles_set_live(true);
	if (heartbeat_ms > 0)
		loop_timer_set(&health_files.heartbeat, loop_now() + heartbeat_ms);
}

static void set(enum file_kind kind, bool wanted)
{
	health_files.files[kind].wanted = wanted;
	/* A change is also the moment to retry the other file. */
	for (int i = 0; i < FILE_COUNT; i++)
		sync_file(&health_files.files[i]);
}

void healthfiles_set_ready(bool ready) { set(FILE_READY, ready); }

void healthfiles_set_live(bool live) { set(FILE_LIVE, live); }

void healthfiles_close(void)
{
	if (!health_files.open)
		return;
	healthfiles_set_ready(false);
	healthfiles_set_live(false);
	loop_timer_cancel(&health_files.heartbeat);
	health_files.open = false;
	for (int i = 0; i < FILE_COUNT; i++) {
		free(health_files.files[i].path);
		free(health_files.files[i].temporary);
		health_files.files[i].path = health_files.files[i].temporary = NULL;
	}
}
