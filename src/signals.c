/* signals.c: signal names, tend's signalfd, and a child's reset. */
#include "signals.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* Names without "SIG", in place (no pointers: 7 bytes a signal); "" for
 * numbers without a name. */
static const char names[][7] = {
	[SIGHUP] = "HUP",   [SIGINT] = "INT",       [SIGQUIT] = "QUIT",   [SIGILL] = "ILL",
	[SIGTRAP] = "TRAP", [SIGABRT] = "ABRT",     [SIGBUS] = "BUS",     [SIGFPE] = "FPE",
	[SIGKILL] = "KILL", [SIGUSR1] = "USR1",     [SIGSEGV] = "SEGV",   [SIGUSR2] = "USR2",
	[SIGPIPE] = "PIPE", [SIGALRM] = "ALRM",     [SIGTERM] = "TERM",   [SIGSTKFLT] = "STKFLT",
	[SIGCHLD] = "CHLD", [SIGCONT] = "CONT",     [SIGSTOP] = "STOP",   [SIGTSTP] = "TSTP",
	[SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU",     [SIGURG] = "URG",     [SIGXCPU] = "XCPU",
	[SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF",   [SIGWINCH] = "WINCH",
	[SIGIO] = "IO",     [SIGPWR] = "PWR",       [SIGSYS] = "SYS",
};

static const struct {
	const char *alias;
	int number;
} aliases[] = { { "IOT", SIGABRT }, { "POLL", SIGIO }, { "CLD", SIGCHLD } };

/* "N" with nothing after it, within [minimum, maximum]; -1 otherwise. */
static int parse_small_number(const char *text, int minimum, int maximum)
{
	char *end;
	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	long value = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || value < minimum || value > maximum)
		return -1;
	return (int)value;
}

int signal_from_name(const char *name)
{
	if (name == NULL || *name == '\0')
		return -1;
	if (*name >= '0' && *name <= '9')
		return parse_small_number(name, 1, SIGRTMAX);
	if (ascii_ncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (int number = 1; number < (int)(sizeof names / sizeof names[0]); number++)
		if (names[number][0] != '\0' && ascii_casecmp(name, names[number]) == 0)
			return number;
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (ascii_casecmp(name, aliases[i].alias) == 0)
			return aliases[i].number;
	if (ascii_ncasecmp(name, "RTMIN", 5) == 0) {
		if (name[5] == '\0')
			return SIGRTMIN;
		if (name[5] != '+')
			return -1;
		int offset = parse_small_number(name + 6, 0, SIGRTMAX - SIGRTMIN);
		return offset < 0 ? -1 : SIGRTMIN + offset;
	}
	if (ascii_ncasecmp(name, "RTMAX", 5) == 0) {
		if (name[5] == '\0')
			return SIGRTMAX;
		if (name[5] != '-')
			return -1;
		int offset = parse_small_number(name + 6, 0, SIGRTMAX - SIGRTMIN);
		return offset < 0 ? -1 : SIGRTMAX - offset;
	}
	return -1;
}

const char *signal_name(int signal_number)
{
	static char buffer[24];
	if (signal_number > 0 && signal_number < (int)(sizeof names / sizeof names[0]) &&
	    names[signal_number][0] != '\0') {
		snprintf(buffer, sizeof buffer, "SIG%s", names[signal_number]);
		return buffer;
	}
	if (signal_number >= SIGRTMIN && signal_number <= SIGRTMAX) {
		snprintf(buffer, sizeof buffer, "SIGRTMIN+%d", signal_number - SIGRTMIN);
		return buffer;
	}
	snprintf(buffer, sizeof buffer, "SIG%d", signal_number);
	return buffer;
}

/* Every signal 1.._NSIG-1 in the kernel's own terms: glibc's sigfillset
 * would leave out the two it reserves. The kernel reads _NSIG / 8 bytes
 * of a sigset (it never blocks or delivers SIGKILL and SIGSTOP). */
enum { KERNEL_SIGSET_SIZE = _NSIG / 8 };

static void fill_all(sigset_t *set)
{
	memset(set, 0xff, sizeof *set);
}

/* What tend's caller left it, for single mode's child (SPEC §1.2): the
 * blocked mask and the ignored signals, bit n-1 for signal n. */
static struct {
	uint64_t mask;
	uint64_t ignored;
} inherited;

/* The kernel's struct sigaction, for the raw calls (handler, flags,
 * restorer, mask). */
struct raw_action {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

int signals_block_all(void)
{
	/* Every signal, also the two that glibc keeps for its threads (32 and
	 * 33): its sigfillset and sigprocmask leave them out, and unblocked at
	 * their default action they would kill tend when it is not PID 1 (as
	 * they kill tini and dumb-init), or be dropped when it is, instead of
	 * being forwarded. tend has no threads for glibc to signal. */
	sigset_t all;
	fill_all(&all);
	uint64_t old = 0;
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, KERNEL_SIGSET_SIZE) < 0) {
		log_error("cannot block signals: %s", strerror(errno));
		return -1;
	}
	inherited.mask = old;
	return 0;
}

int signals_open(void)
{
	sigset_t all;
	fill_all(&all);
	int fd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		log_error("cannot create signalfd: %s", strerror(errno));
	return fd;
}

int signals_wait(pid_t *sender)
{
	/* Raw, because glibc's sigtimedwait would take out the two signals it
	 * reserves, and those would then wait here unforwarded. */
	sigset_t all;
	fill_all(&all);
	siginfo_t info;
	long number;
	do
		number = syscall(SYS_rt_sigtimedwait, &all, &info, NULL, KERNEL_SIGSET_SIZE);
	while (number < 0 && errno == EINTR);
	if (number < 0)
		return -1;
	*sender = info.si_pid;
	return (int)number;
}

bool signals_drain(int signal_fd, void (*take)(const struct signalfd_siginfo *info))
{
	enum { BATCH = 16 };
	struct signalfd_siginfo infos[BATCH];
	bool children = false;
	for (;;) {
		ssize_t length = read(signal_fd, infos, sizeof infos);
		if (length < 0 && errno == EINTR)
			continue;
		int count = length > 0 ? (int)(length / (ssize_t)sizeof infos[0]) : 0;
		for (int i = 0; i < count; i++) {
			if (infos[i].ssi_signo == SIGCHLD)
				children = true;
			else
				take(&infos[i]);
		}
		if (count < BATCH)
			return children;
	}
}

void signals_reset_dispositions(void)
{
	/* Raw, for every signal alike: glibc keeps 32 and 33 for itself and
	 * refuses them, but an inherited SIG_IGN on them would survive exec.
	 * The old action says what the caller had ignored (no extra call). */
	for (int number = 1; number < NSIG && number <= 64; number++) {
		if (number == SIGKILL || number == SIGSTOP)
			continue;
		struct raw_action action = { SIG_DFL, 0, NULL, 0 }, old = { 0 };
		if (syscall(SYS_rt_sigaction, number, &action, &old, sizeof action.mask) == 0 &&
		    old.handler == SIG_IGN)
			inherited.ignored |= 1ULL << (number - 1);
	}
	/* 32 and 33 are the C library's own (no program linked with it can
	 * set them; make leaves them ignored): not the caller's wish to pass
	 * on, and tend forwards them, so the child gets them at default. */
	for (int number = 32; number <= 33; number++) {
		inherited.ignored &= ~(1ULL << (number - 1));
		inherited.mask &= ~(1ULL << (number - 1));
	}
}

void signals_child_unblock(void)
{
	uint64_t none = 0;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, KERNEL_SIGSET_SIZE);
}

void signals_child_restore_inherited(void)
{
	for (int number = 1; number <= 64; number++) {
		if (!(inherited.ignored & (1ULL << (number - 1))))
			continue;
		struct raw_action action = { SIG_IGN, 0, NULL, 0 };
		syscall(SYS_rt_sigaction, number, &action, NULL, sizeof action.mask);
	}
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &inherited.mask, NULL, KERNEL_SIGSET_SIZE);
}
