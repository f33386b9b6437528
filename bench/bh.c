/* bh.c — helper programs for the tend benchmarks (bench/single, bench/tree).
 *
 * Compiled by the benchmark scripts into a temporary directory; not part of
 * tend.  One binary, several sub-commands:
 *
 *   bh orphans N CAP         (runs as the child of the init, inside the PID
 *                            namespace) create N orphans as fast as possible:
 *                            fork an intermediate that forks a grandchild and
 *                            exits at once; the grandchild _exit(0)s at once
 *                            and is re-parented to PID 1.  At most CAP orphans
 *                            are left unreaped at any time (a safety valve so
 *                            that a broken init cannot exhaust pid_max on a
 *                            shared machine).  Waits until every orphan is
 *                            gone (reaped by PID 1), then prints
 *                              elapsed_ns cpu_ns cpu_source throttled wakeups
 *                            where cpu_ns is PID 1's own on-CPU time during
 *                            the run (/proc/1/schedstat, else /proc/1/stat)
 *                            and wakeups its voluntary context switches.
 *   bh sigrecv FIFO [CPU]    (pinned to CPU if given) block SIGUSR1, write "R" to FIFO, then for every
 *                            SIGUSR1 taken with sigwaitinfo() write the
 *                            CLOCK_MONOTONIC ns (8 bytes) to FIFO.
 *   bh sigsend PID FIFO N W  wait for the receiver's "R", then N+W times:
 *                            t0 = now; kill(PID, SIGUSR1); read the receiver's
 *                            stamp; print stamp - t0 (ns), one per line (the
 *                            first W are warm-up and not printed).  With
 *                            N = -1, after the warm-up: for every line K read
 *                            from stdin, time K more signals (interleaving).
 *   bh forkexec N PROG...    N times fork + execv(PROG) + waitpid; prints the
 *                            mean ns per iteration.
 *   bh floorinit N PROG...   a trivial PID 1: fork N children at once, each
 *                            execv(PROG...), then reap forever.
 *   bh relay [-s] PROG...    the least a forwarding init can do (a floor): run
 *                            PROG as its child, forward every signal it gets
 *                            (sigwaitinfo + kill) and reap; exit with the
 *                            child's status.  -s: the child calls setsid() (as
 *                            under dumb-init), so with autogroup scheduling it
 *                            runs in a task group of its own.
 *   bh count INITPID COMM N TIMEOUT_MS
 *                            poll the host's /proc until N processes whose
 *                            comm is COMM live in INITPID's PID namespace;
 *                            prints "ok T_NS COUNT" (CLOCK_MONOTONIC when the
 *                            count was reached) or "timeout T_NS COUNT" or
 *                            "died T_NS COUNT" (the init exited).
 *   bh stamp FILE            append CLOCK_MONOTONIC ns as a decimal line to
 *                            FILE, then _exit(1).  Invoked as "run" (s6 and
 *                            runit run files symlinked to it) with no
 *                            argument it appends to ./stamps.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void nap_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}

/* PID 1's on-CPU time in ns: schedstat (ns resolution) or utime+stime. */
static int64_t init_cpu_ns(const char **source)
{
	char buf[4096];
	if (read_file("/proc/1/schedstat", buf, sizeof buf) > 0) {
		*source = "schedstat";
		return strtoll(buf, NULL, 10);
	}
	if (read_file("/proc/1/stat", buf, sizeof buf) > 0) {
		char *p = strrchr(buf, ')');
		if (p) {
			/* fields after ") ": state(3) ... utime(14) stime(15) */
			unsigned long long ut = 0, st = 0;
			int field = 2;
			char *tok = strtok(p + 1, " ");
			while (tok) {
				field++;
				if (field == 14)
					ut = strtoull(tok, NULL, 10);
				if (field == 15) {
					st = strtoull(tok, NULL, 10);
					break;
				}
				tok = strtok(NULL, " ");
			}
			*source = "stat";
			return (int64_t)(ut + st) * (1000000000LL / sysconf(_SC_CLK_TCK));
		}
	}
	*source = "none";
	return -1;
}

/* PID 1's voluntary context switches (its wake-ups, roughly). */
static long init_vcsw(void)
{
	char buf[4096];
	if (read_file("/proc/1/status", buf, sizeof buf) <= 0)
		return -1;
	char *p = strstr(buf, "\nvoluntary_ctxt_switches:");
	return p ? atol(p + 26) : -1;
}

static int cmd_orphans(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	long n = atol(argv[0]), cap = atol(argv[1]);
	pid_t *gp = mmap(NULL, (size_t)n * sizeof(pid_t), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (gp == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	const char *src;
	long head = 0, throttled = 0;
	long csw0 = init_vcsw();
	int64_t cpu0 = init_cpu_ns(&src);
	int64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		gp[i] = 0;
		while (i - head >= cap) {
			if (gp[head] <= 0 || (kill(gp[head], 0) < 0 && errno == ESRCH))
				head++;
			else {
				throttled++;
				sched_yield();
			}
		}
		pid_t p = fork();
		if (p < 0) {
			perror("fork");
			nap_us(1000);
			i--;
			continue;
		}
		if (p == 0) {
			pid_t g = fork();
			if (g == 0)
				_exit(0);
			gp[i] = g;
			_exit(0);
		}
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
	}
	/* Wait (bounded: 60 s) until every orphan has been reaped by PID 1.
	 * A zombie still answers kill(pid, 0); a reaped pid gives ESRCH. */
	int64_t deadline = now_ns() + 60000000000LL;
	while (head < n) {
		if (gp[head] <= 0 || (kill(gp[head], 0) < 0 && errno == ESRCH)) {
			head++;
			continue;
		}
		if (now_ns() > deadline) {
			printf("timeout %ld\n", n - head);
			return 1;
		}
		nap_us(50);
	}
	int64_t t1 = now_ns();
	int64_t cpu1 = init_cpu_ns(&src);
	long csw1 = init_vcsw();
	printf("%lld %lld %s %ld %ld\n", (long long)(t1 - t0), (long long)(cpu1 - cpu0), src,
	       throttled, csw0 >= 0 && csw1 >= 0 ? csw1 - csw0 : -1);
	return 0;
}

static int cmd_sigrecv(int argc, char **argv)
{
	if (argc < 1)
		return 2;
	if (argc > 1) {
		cpu_set_t cs;
		CPU_ZERO(&cs);
		CPU_SET(atoi(argv[1]), &cs);
		sched_setaffinity(0, sizeof cs, &cs);
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int fd = open(argv[0], O_WRONLY);
	if (fd < 0) {
		perror("sigrecv: open");
		return 1;
	}
	if (write(fd, "R", 1) != 1)
		return 1;
	for (;;) {
		siginfo_t si;
		if (sigwaitinfo(&set, &si) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		int64_t t = now_ns();
		if (write(fd, &t, sizeof t) != sizeof t)
			return 0;
	}
}

/* One signal: kill, then wait (up to 1 s) for the receiver's stamp. */
static int sig_once(pid_t target, struct pollfd *pfd, int64_t *lat)
{
	int64_t t0 = now_ns(), t1;
	if (kill(target, SIGUSR1) < 0) {
		printf("killfailed %d\n", errno);
		return -1;
	}
	size_t got = 0;
	char *p = (char *)&t1;
	while (got < sizeof t1) {
		if (poll(pfd, 1, 1000) == 0) {
			printf("timeout\n");
			return -1;
		}
		ssize_t r = read(pfd->fd, p + got, sizeof t1 - got);
		if (r > 0)
			got += (size_t)r;
		else if (r == 0) {
			printf("eof\n");
			return -1;
		} else if (errno != EAGAIN && errno != EINTR) {
			printf("readerr\n");
			return -1;
		}
	}
	if (lat)
		*lat = t1 - t0;
	return 0;
}

static int sig_batch(pid_t target, struct pollfd *pfd, long n)
{
	for (long i = 0; i < n; i++) {
		int64_t lat;
		if (sig_once(target, pfd, &lat) < 0) {
			fflush(stdout);
			return -1;
		}
		printf("%lld\n", (long long)lat);
	}
	fflush(stdout);
	return 0;
}

static int cmd_sigsend(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	pid_t target = atoi(argv[0]);
	long n = atol(argv[2]), warm = atol(argv[3]);
	int fd = open(argv[1], O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		perror("sigsend: open");
		return 1;
	}
	struct pollfd pfd = { fd, POLLIN, 0 };
	char c;
	/* The receiver's "R": up to 5 s. */
	int64_t deadline = now_ns() + 5000000000LL;
	for (;;) {
		ssize_t r = read(fd, &c, 1);
		if (r == 1)
			break;
		if (now_ns() > deadline) {
			printf("noreceiver\n");
			return 1;
		}
		nap_us(1000);
	}
	for (long i = 0; i < warm; i++)
		if (sig_once(target, &pfd, NULL) < 0)
			return 1;
	if (n >= 0)
		return sig_batch(target, &pfd, n);
	/* n < 0: batches on demand, one count per line of stdin (interleaving) */
	char line[64];
	while (fgets(line, sizeof line, stdin))
		if (sig_batch(target, &pfd, atol(line)) < 0)
			return 1;
	return 0;
}

static int cmd_forkexec(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	long n = atol(argv[0]);
	int64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			execv(argv[1], argv + 1);
			_exit(127);
		}
		int st;
		while (waitpid(p, &st, 0) < 0 && errno == EINTR)
			;
	}
	printf("%lld\n", (long long)((now_ns() - t0) / n));
	return 0;
}

static int cmd_floorinit(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	long n = atol(argv[0]);
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			execv(argv[1], argv + 1);
			_exit(127);
		}
	}
	for (;;) {
		if (wait(NULL) < 0 && errno == ECHILD)
			pause();
	}
}

static int cmd_relay(int argc, char **argv)
{
	int own_session = argc > 0 && !strcmp(argv[0], "-s");
	argc -= own_session;
	argv += own_session;
	if (argc < 1)
		return 2;
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t child = fork();
	if (child == 0) {
		if (own_session)
			setsid();
		sigprocmask(SIG_SETMASK, &old, NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			if (p == child)
				return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
}

static int cmd_count(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	int init = atoi(argv[0]);
	const char *comm = argv[1];
	long want = atol(argv[2]);
	int64_t deadline = now_ns() + atoll(argv[3]) * 1000000LL;
	char path[64], ns[128], buf[256];
	snprintf(path, sizeof path, "/proc/%d/ns/pid", init);
	ssize_t l = readlink(path, ns, sizeof ns - 1);
	if (l < 0) {
		printf("died %lld 0\n", (long long)now_ns());
		return 1;
	}
	ns[l] = 0;
	long pidmax = 4194304;
	if (read_file("/proc/sys/kernel/pid_max", buf, sizeof buf) > 0)
		pidmax = atol(buf) + 1;
	unsigned char *seen = calloc((size_t)pidmax, 1);
	long count = 0;
	size_t clen = strlen(comm);
	for (;;) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] < '1' || e->d_name[0] > '9')
				continue;
			long pid = atol(e->d_name);
			if (pid <= 0 || pid >= pidmax || seen[pid])
				continue;
			snprintf(path, sizeof path, "/proc/%ld/comm", pid);
			int n = read_file(path, buf, sizeof buf);
			if (n <= 0 || (size_t)n != clen + 1 || memcmp(buf, comm, clen) != 0)
				continue;
			char ns2[128];
			snprintf(path, sizeof path, "/proc/%ld/ns/pid", pid);
			l = readlink(path, ns2, sizeof ns2 - 1);
			if (l < 0)
				continue;
			ns2[l] = 0;
			if (strcmp(ns, ns2) != 0)
				continue;
			seen[pid] = 1;
			count++;
		}
		if (d)
			closedir(d);
		int64_t t = now_ns();
		if (count >= want) {
			printf("ok %lld %ld\n", (long long)t, count);
			return 0;
		}
		snprintf(path, sizeof path, "/proc/%d/stat", init);
		int n = read_file(path, buf, sizeof buf);
		char *p = n > 0 ? strrchr(buf, ')') : NULL;
		if (!p || p[2] == 'Z' || p[2] == 'X') {
			printf("died %lld %ld\n", (long long)t, count);
			return 1;
		}
		if (t > deadline) {
			printf("timeout %lld %ld\n", (long long)t, count);
			return 1;
		}
		nap_us(2000);
	}
}

static int stamp(const char *file)
{
	char line[32];
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		int n = snprintf(line, sizeof line, "%lld\n", (long long)now_ns());
		if (write(fd, line, (size_t)n) != n)
			_exit(2);
		close(fd);
	}
	_exit(1);
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	if (strcmp(base, "run") == 0)
		return stamp("stamps");
	if (argc < 2) {
		fprintf(stderr, "usage: bh orphans|sigrecv|sigsend|forkexec|floorinit|count|stamp ...\n");
		return 2;
	}
	const char *c = argv[1];
	argc -= 2;
	argv += 2;
	if (!strcmp(c, "orphans"))
		return cmd_orphans(argc, argv);
	if (!strcmp(c, "sigrecv"))
		return cmd_sigrecv(argc, argv);
	if (!strcmp(c, "sigsend"))
		return cmd_sigsend(argc, argv);
	if (!strcmp(c, "forkexec"))
		return cmd_forkexec(argc, argv);
	if (!strcmp(c, "floorinit"))
		return cmd_floorinit(argc, argv);
	if (!strcmp(c, "relay"))
		return cmd_relay(argc, argv);
	if (!strcmp(c, "count"))
		return cmd_count(argc, argv);
	if (!strcmp(c, "stamp"))
		return argc < 1 ? 2 : stamp(argv[0]);
	fprintf(stderr, "bh: unknown command %s\n", c);
	return 2;
}
