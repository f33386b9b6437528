/* socketfile.c: the control socket's file (socketfile.h).
 *
 * Everything is done by path in a directory that may not be ours alone,
 * so each step checks it still deals with our socket: a path that is not
 * a socket is never removed, the mode and group are never applied through
 * a symlink, and the file is removed at exit only if it is the one we
 * bound. */
#include "socketfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

int socket_file_apply(const struct socket_file *file, const struct socket_file_settings *settings)
{
	struct stat status;
	if (lstat(file->path, &status) < 0 || !S_ISSOCK(status.st_mode) ||
	    status.st_dev != file->device || status.st_ino != file->inode) {
		log_error("the control socket %s was removed or replaced", file->path);
		return -1;
	}
	/* The group first, then the mode: never open to the wrong group. */
	gid_t group = settings->set_group ? settings->group : getegid();
	if (fchownat(AT_FDCWD, file->path, (uid_t)-1, group, AT_SYMLINK_NOFOLLOW) < 0) {
		log_error("cannot set the group of the control socket %s to %u: %s", file->path,
			  (unsigned)group, strerror(errno));
		return -1;
	}
	/* Never a chmod that follows a link: the path may have been swapped
	 * for a symlink since the check (a writable directory), and root's
	 * chmod would then open up its target. Where glibc cannot apply
	 * AT_SYMLINK_NOFOLLOW (no /proc, no fchmodat2) the mode is not set. */
	mode_t mode = (mode_t)settings->mode;
	if ((status.st_mode & 07777) != mode &&
	    fchmodat(AT_FDCWD, file->path, mode, AT_SYMLINK_NOFOLLOW) < 0) {
		log_error("cannot set the mode of the control socket %s: %s", file->path,
			  strerror(errno));
		return -1;
	}
	return 0;
}

/* An existing path: a stale socket of a dead tend is removed, anything
 * else stops us. Returns 0 (the path is free now) or -1 (logged). */
static int clear_stale(const char *path, const struct sockaddr_un *address)
{
	struct stat status;
	if (lstat(path, &status) < 0) {
		if (errno == ENOENT)
			return 0;
		log_error("cannot examine the control socket path %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(status.st_mode)) {
		log_error("control socket path %s exists and is not a socket; not removing it", path);
		return -1;
	}
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		log_error("cannot create a socket: %s", strerror(errno));
		return -1;
	}
	int result = connect(probe, (const struct sockaddr *)address, sizeof *address);
	int error = errno;
	close(probe);
	/* EAGAIN: it listens, its backlog is full: alive too. */
	if (result == 0 || error == EAGAIN || error == EINPROGRESS) {
		log_error("another tend is running with the control socket %s "
			  "(it accepts connections); not taking it over",
			  path);
		return -1;
	}
	if (error != ECONNREFUSED && error != ENOENT) {
		log_error("cannot check whether the control socket %s is in use: %s", path,
			  strerror(error));
		return -1;
	}
	/* Nobody listens: a tend that died without cleaning up left it. */
	if (unlink(path) < 0 && errno != ENOENT) {
		log_error("cannot remove the stale control socket %s: %s", path, strerror(errno));
		return -1;
	}
	log_info("removed the stale control socket %s", path);
	return 0;
}

static int make_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL || slash == path)
		return 0;
	char *directory = xstrndup(path, (size_t)(slash - path));
	if (directory == NULL)
		return -1;
	int result = make_directories(directory, 0755);
	if (result < 0)
		log_error("cannot create the control socket's directory %s: %s", directory,
			  strerror(errno));
	free(directory);
	return result;
}

/* Returns the bound socket, or -1 (logged). */
static int bind_socket(struct socket_file *file, const struct sockaddr_un *address)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error("cannot create the control socket: %s", strerror(errno));
		return -1;
	}
	/* Created 0600 whatever the umask says; the wanted group and mode
	 * come after, so the file is never more open than configured. */
	mode_t previous = umask(0177);
	int result = bind(fd, (const struct sockaddr *)address, sizeof *address);
	int error = errno;
	umask(previous);
	if (result < 0) {
		log_error("cannot bind the control socket %s: %s%s", file->path, strerror(error),
			  error == EADDRINUSE ? " (another tend started at the same time?)" : "");
		close(fd);
		return -1;
	}
	struct stat status;
	if (lstat(file->path, &status) < 0) {
		log_error("cannot examine the control socket %s: %s", file->path, strerror(errno));
		close(fd);
		return -1;
	}
	file->device = status.st_dev;
	file->inode = status.st_ino;
	return fd;
}

int socket_file_open(struct socket_file *file, const char *path,
		     const struct socket_file_settings *settings, int backlog)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	size_t length = strlen(path);
	if (length == 0 || length >= sizeof address.sun_path) {
		log_error("control socket path %s is too long (at most %zu bytes)", path,
			  sizeof address.sun_path - 1);
		return -1;
	}
	memcpy(address.sun_path, path, length + 1);
	file->path = xstrdup(path);
	if (file->path == NULL)
		return -1;
	int fd = -1;
	if (make_parent(path) < 0 || clear_stale(path, &address) < 0 ||
	    (fd = bind_socket(file, &address)) < 0) {
		free(file->path);
		file->path = NULL;
		return -1;
	}
	if (socket_file_apply(file, settings) == 0) {
		if (listen(fd, backlog) == 0)
			return fd;
		log_error("cannot listen on the control socket %s: %s", path, strerror(errno));
	}
	close(fd);
	socket_file_remove(file);
	return -1;
}

void socket_file_remove(struct socket_file *file)
{
	if (file->path == NULL)
		return;
	struct stat status;
	if (lstat(file->path, &status) == 0 && status.st_dev == file->device &&
	    status.st_ino == file->inode && unlink(file->path) < 0)
		log_warn("cannot remove the control socket %s: %s", file->path, strerror(errno));
	free(file->path);
	file->path = NULL;
}
