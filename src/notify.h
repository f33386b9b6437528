/* notify.h: the sd_notify socket (SPEC §2.3 ready = notify).
 *
 * One datagram socket for the whole tree, created only when some service
 * has ready = notify: `notify` in health-dir (NOTIFY_SOCKET=/path), or, when
 * that cannot be bound, an abstract socket with a kernel-chosen unique name
 * (NOTIFY_SOCKET=@name). Each message is attributed by its SCM_CREDENTIALS
 * pid to the service whose session (the main service: process group) holds
 * that pid, so one service can never speak for another, and a message from
 * anyone else is dropped. File descriptors that arrive with a message are
 * closed at once (systemd-notify waits for that after BARRIER=1). */
#ifndef TEND_NOTIFY_H
#define TEND_NOTIFY_H

struct health_state;

/* Create and watch the socket. Returns 0 or -1 (logged). */
int notify_open(const char *dir);
/* What NOTIFY_SOCKET says, or NULL when there is no socket. */
const char *notify_socket_name(void);
/* A notify service's process started (state->session set) or ended. */
void notify_register(struct health_state *state);
void notify_unregister(struct health_state *state);
/* Close the socket and remove its file. */
void notify_close(void);

#endif
