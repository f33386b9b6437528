/* oh.c: the output helper of bench/output (built by it into a temp dir).
 *
 *   oh gen NAME LINES LENGTH CHUNK [COUNTFILE]
 *       write LINES lines ("NAME %010u ...\n", LENGTH bytes each) to stdout
 *       in writes of CHUNK bytes; LINES 0: until SIGTERM, then finish the
 *       write under way and put the number of whole lines written in
 *       COUNTFILE.
 *   oh crash STAMPFILE
 *       append the monotonic time (ns) to STAMPFILE and exit 1.
 *   oh sink LINES
 *       read stdin until LINES newlines (or end of file); print the lines,
 *       bytes and seconds from the first byte.
 *   oh check LENGTH DELAY_US READ
 *       read stdin to end of file, READ bytes every DELAY_US microseconds
 *       until SIGUSR1, then at full speed; check each line is
 *       "NAME | NAME SEQ ..." of LENGTH bytes after the prefix, SEQ one
 *       more than NAME's last; print per name the count and the problems. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t flag;
static void on_signal(int signal_number) { (void)signal_number; flag = 1; }

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void write_all(const char *data, size_t length)
{
	while (length > 0) {
		ssize_t n = write(1, data, length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			exit(3);
		data += n;
		length -= (size_t)n;
	}
}

static int gen(const char *name, unsigned long lines, size_t length, size_t chunk, const char *countfile)
{
	struct sigaction action = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	sigaction(SIGTERM, &action, NULL);
	char *buffer = malloc(chunk + length);
	size_t fill = 0;
	unsigned long seq = 0;
	while ((lines == 0 && !flag) || (lines > 0 && seq < lines)) {
		int n = snprintf(buffer + fill, length, "%s %010lu ", name, seq++);
		memset(buffer + fill + n, '.', length - (size_t)n - 1);
		buffer[fill + length - 1] = '\n';
		fill += length;
		if (fill >= chunk || (lines > 0 && seq == lines)) {
			size_t out = fill < chunk ? fill : chunk;
			write_all(buffer, out);
			memmove(buffer, buffer + out, fill - out);
			fill -= out;
		}
	}
	write_all(buffer, fill);
	if (countfile) {
		FILE *f = fopen(countfile, "w");
		fprintf(f, "%lu\n", seq);
		fclose(f);
	}
	return 0;
}

static int crash(const char *stampfile)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	int fd = open(stampfile, O_WRONLY | O_APPEND | O_CREAT, 0644);
	dprintf(fd, "%lld\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
	return 1;
}

static int sink(unsigned long want)
{
	static char buffer[1 << 20];
	unsigned long lines = 0, bytes = 0;
	double start = 0;
	ssize_t n;
	while (lines < want && (n = read(0, buffer, sizeof buffer)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 3;
		}
		if (start == 0)
			start = now();
		bytes += (unsigned long)n;
		for (char *p = buffer, *end = buffer + n; (p = memchr(p, '\n', (size_t)(end - p))); p++)
			lines++;
	}
	printf("%lu %lu %.6f\n", lines, bytes, now() - start);
	return 0;
}

enum { NAMES = 8 };
static struct { char name[32]; unsigned long next, bad; } seen[NAMES];
static unsigned long foreign;

static void check_line(const char *line, size_t length, size_t want)
{
	const char *bar = memmem(line, length, " | ", 3);
	size_t name_length = bar ? (size_t)(bar - line) : 0;
	int i = 0;
	if (bar == NULL || name_length == 0 || name_length >= sizeof seen[0].name) {
		foreign++;
		return;
	}
	for (; i < NAMES && seen[i].name[0] != '\0'; i++)
		if (strlen(seen[i].name) == name_length && memcmp(seen[i].name, line, name_length) == 0)
			break;
	if (i == NAMES) {
		foreign++;
		return;
	}
	if (seen[i].name[0] == '\0')
		memcpy(seen[i].name, line, name_length);
	const char *body = bar + 3;
	size_t body_length = length - name_length - 3;
	unsigned long seq = strtoul(body + name_length + 1, NULL, 10);
	if (body_length != want - 1 || memcmp(body, line, name_length) != 0 || seq != seen[i].next)
		seen[i].bad++;
	seen[i].next = seq + 1;
}

static int check(size_t want, long delay_us, size_t slow_read)
{
	static char buffer[1 << 20];
	struct sigaction action = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	sigaction(SIGUSR1, &action, NULL);
	size_t held = 0;
	ssize_t n;
	for (;;) {
		size_t room = sizeof buffer - held;
		n = read(0, buffer + held, flag ? room : slow_read < room ? slow_read : room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		held += (size_t)n;
		char *start = buffer, *end = buffer + held, *newline;
		while ((newline = memchr(start, '\n', (size_t)(end - start))) != NULL) {
			check_line(start, (size_t)(newline - start), want);
			start = newline + 1;
		}
		held = (size_t)(end - start);
		memmove(buffer, start, held);
		if (!flag && delay_us > 0)
			usleep((useconds_t)delay_us);
	}
	for (int i = 0; i < NAMES && seen[i].name[0] != '\0'; i++)
		printf("%s %lu %lu\n", seen[i].name, seen[i].next, seen[i].bad);
	printf("- foreign %lu unfinished %zu\n", foreign, held);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && strcmp(argv[1], "gen") == 0)
		return gen(argv[2], strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10),
			   strtoul(argv[5], NULL, 10), argc > 6 ? argv[6] : NULL);
	if (argc == 3 && strcmp(argv[1], "crash") == 0)
		return crash(argv[2]);
	if (argc == 3 && strcmp(argv[1], "sink") == 0)
		return sink(strtoul(argv[2], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "check") == 0)
		return check(strtoul(argv[2], NULL, 10), strtol(argv[3], NULL, 10), strtoul(argv[4], NULL, 10));
	fprintf(stderr, "usage: see bench/oh.c\n");
	return 2;
}
