/* socketfile.h: the control socket's file (SPEC §2.1, §3, §6): made
 * safely in its directory, given its mode and group, removed at exit only
 * if it is still ours. The server (server.c) owns what happens on it. */
#ifndef TEND_SOCKETFILE_H
#define TEND_SOCKETFILE_H

#include <stdbool.h>
#include <sys/types.h>

struct socket_file {
	char *path;
	dev_t device; /* the file we bound, to know it is still ours */
	ino_t inode;
};

/* The file's settings: mode, and the group (socket-group, else
 * admin-group; without either, tend's own). */
struct socket_file_settings {
	int mode;
	bool set_group;
	gid_t group;
};

/* Make the directory (missing parents, 0755), replace a stale socket of a
 * dead tend, refuse a live one or anything that is not a socket, bind
 * (0600 at first), apply settings, listen with backlog. Returns the
 * listening fd (non-blocking, close-on-exec), or -1 after logging why. */
int socket_file_open(struct socket_file *file, const char *path,
		     const struct socket_file_settings *settings, int backlog);
/* Apply settings again (a reload). Returns 0 or -1 (logged). */
int socket_file_apply(const struct socket_file *file, const struct socket_file_settings *settings);
/* Remove the file if it is still the one we bound; forget the path. */
void socket_file_remove(struct socket_file *file);

#endif
