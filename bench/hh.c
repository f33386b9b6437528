/* hh.c — helper programs for bench/health (not part of tend). Compiled by
 * bench/health into its temporary directory. Sub-commands:
 *
 *   hh churn STAMPS MS       a service that lives MS ms and crashes: appends
 *                            "S ns" when it starts and "D ns" (CLOCK_MONOTONIC)
 *                            just before _exit(1).
 *   hh watch DIR OUT SECONDS inotify on DIR: for every appearance of `ready`
 *                            (create or rename into place) write "C ns", for
 *                            every removal "X ns", to OUT, for SECONDS.
 *   hh spawn N PROG ARG...   N times fork + execv + waitpid; prints the
 *                            median and mean wall ns per spawn-to-reap and
 *                            the parent's own CPU ns per iteration.
 *   hh tick FILE             append one byte to FILE and exit 0 (a check that
 *                            counts its runs).
 *   hh idle                  sleep until killed (a service that does nothing).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void stamp(int fd, char kind)
{
	char line[40];
	int n = snprintf(line, sizeof line, "%c %lld\n", kind, (long long)now_ns());
	if (write(fd, line, (size_t)n) != n)
		_exit(3);
}

static int churn(const char *path, long ms)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return 2;
	stamp(fd, 'S');
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
	stamp(fd, 'D');
	_exit(1);
}

static int watch(const char *dir, const char *out, long seconds)
{
	int fd = inotify_init1(IN_CLOEXEC);
	int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || o < 0 ||
	    inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM) < 0) {
		perror("watch");
		return 2;
	}
	char buffer[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int64_t end = now_ns() + (int64_t)seconds * 1000000000;
	for (;;) {
		int64_t left = (end - now_ns()) / 1000000;
		if (left <= 0)
			break;
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		ssize_t n = read(fd, buffer, sizeof buffer);
		int64_t t = now_ns();
		for (char *at = buffer; n > 0 && at < buffer + n;) {
			struct inotify_event *e = (struct inotify_event *)at;
			if (e->len > 0 && strcmp(e->name, "ready") == 0) {
				char line[40];
				int k = snprintf(line, sizeof line, "%c %lld\n",
						 e->mask & (IN_CREATE | IN_MOVED_TO) ? 'C' : 'X', (long long)t);
				if (write(o, line, (size_t)k) != k)
					return 3;
			}
			at += sizeof *e + e->len;
		}
	}
	return 0;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int spawn(long count, char **argv)
{
	int64_t *times = calloc((size_t)count, sizeof *times);
	struct rusage before, after;
	getrusage(RUSAGE_SELF, &before);
	int64_t total = 0;
	for (long i = 0; i < count; i++) {
		int64_t t0 = now_ns();
		pid_t pid = fork();
		if (pid == 0) {
			execv(argv[0], argv);
			_exit(127);
		}
		int status;
		if (pid < 0 || waitpid(pid, &status, 0) < 0)
			return 2;
		times[i] = now_ns() - t0;
		total += times[i];
	}
	getrusage(RUSAGE_SELF, &after);
	int64_t cpu = ((int64_t)(after.ru_utime.tv_sec - before.ru_utime.tv_sec) * 1000000 +
		       (after.ru_utime.tv_usec - before.ru_utime.tv_usec) +
		       (int64_t)(after.ru_stime.tv_sec - before.ru_stime.tv_sec) * 1000000 +
		       (after.ru_stime.tv_usec - before.ru_stime.tv_usec)) * 1000;
	qsort(times, (size_t)count, sizeof *times, cmp);
	printf("%lld %lld %lld\n", (long long)times[count / 2], (long long)(total / count),
	       (long long)(cpu / count));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "churn") == 0)
		return churn(argv[2], atol(argv[3]));
	if (argc >= 5 && strcmp(argv[1], "watch") == 0)
		return watch(argv[2], argv[3], atol(argv[4]));
	if (argc >= 4 && strcmp(argv[1], "spawn") == 0)
		return spawn(atol(argv[2]), argv + 3);
	if (argc >= 3 && strcmp(argv[1], "tick") == 0) {
		int fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		return fd < 0 || write(fd, "x", 1) != 1;
	}
	if (argc >= 2 && strcmp(argv[1], "idle") == 0)
		for (;;)
			pause();
	fprintf(stderr, "usage: hh churn|watch|spawn|idle ...\n");
	return 2;
}
