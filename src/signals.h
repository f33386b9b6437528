/* signals.h: signal names and numbers, tend's own signal setup (everything
 * blocked and read from a signalfd), and the reset a child needs before it
 * execs (default dispositions, empty mask). */
#ifndef TEND_SIGNALS_H
#define TEND_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* "TERM", "SIGTERM", "term", "15" -> 15; -1 if not a valid signal (0 is
 * not valid). Real-time signals as "RTMIN+3" / "SIGRTMIN+3". */
int signal_from_name(const char *name);
/* "SIGTERM"; "SIGRTMIN+3"; "SIG200" for a number without a name. Static
 * storage. */
const char *signal_name(int signal_number);

/* Block every signal that can be blocked (1-64, also the two glibc keeps
 * for itself), remembering the mask tend was started with. Returns 0, or
 * -1 on failure (logged). Nothing is set to SIG_IGN: a blocked signal is
 * never acted on, so job control (SIGTSTP, SIGTTIN, SIGTTOU) cannot stop
 * tend either. The first thing main does: a signal that came before it
 * would meet the default action (as PID 1: be dropped). */
int signals_block_all(void);
/* A signalfd (O_CLOEXEC|O_NONBLOCK) that reads every signal; -1 on
 * failure (logged). */
int signals_open(void);

struct signalfd_siginfo;
/* Read every pending signal from the signalfd, 16 at a time (a short read
 * means none are left, so the read that would only say EAGAIN is saved),
 * and pass each one except SIGCHLD to take. Returns true when SIGCHLD was
 * among them: children have exited. */
bool signals_drain(int signal_fd, void (*take)(const struct signalfd_siginfo *info));
/* Wait for the next signal and take it (rt_sigtimedwait on every signal,
 * as tini and dumb-init wait): the loop's wait when it has nothing else to
 * wait for (LOOP_MAY_BLOCK). Cheaper than a blocking read of a signalfd,
 * which goes through the fd's wait queue. Returns the signal number and
 * stores the sender's pid, or -1 on failure (errno set; EINTR retried). */
int signals_wait(pid_t *sender);

/* Every disposition back to SIG_DFL (SIGKILL and SIGSTOP aside), also the
 * ones glibc reserves, noting which ones were ignored (for
 * signals_child_restore_inherited). tend calls it once at startup, after blocking: it
 * installs no handler of its own, so from then on every child it forks
 * inherits default dispositions (exec keeps an inherited SIG_IGN, which
 * A18 in the reference calls the biggest leak risk) without resetting 62
 * signals itself. Safe while blocked: the kernel never discards a blocked
 * signal as ignored, and a blocked SIG_DFL signal just waits in the
 * signalfd. Async-signal-safe. */
void signals_reset_dispositions(void);
/* In a child: an empty mask (tree-mode services start with defaults). */
void signals_child_unblock(void);
/* In single mode's child: the mask and the ignored signals tend was
 * started with (SPEC §1.2: `nohup tend -- CMD` keeps SIGHUP ignored for
 * CMD, as tini does), recorded by signals_block_all and
 * signals_reset_dispositions before they changed anything.
 * Async-signal-safe. */
void signals_child_restore_inherited(void);

#endif
