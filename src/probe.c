/* probe.c: `tendctl probe live|ready` (probe.h, SPEC §3).
 *
 * A Kubernetes exec probe or a HEALTHCHECK runs this every few seconds,
 * often in an image with nothing but tend: it looks at one file and exits,
 * with no socket, no allocation and no stdio unless there is something to
 * say. main() dispatches here before it sets anything up. */
#include "probe.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config_values.h"

static int usage(const char *problem)
{
	fprintf(stderr,
		"tendctl: probe: %s\n"
		"Usage: tendctl probe live [--max-age DURATION] [--dir DIR]\n"
		"       tendctl probe ready [--dir DIR]\n",
		problem);
	return 2;
}

/* live: the file exists and, with max_age_ms >= 0, its mtime is at most
 * that old (heartbeat refreshes it). */
static int probe_live(const char *path, int64_t max_age_ms)
{
	struct stat status;
	if (stat(path, &status) < 0)
		return 1;
	if (max_age_ms < 0)
		return 0;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t age_ms = ((int64_t)now.tv_sec - (int64_t)status.st_mtim.tv_sec) * 1000 +
			 ((int64_t)now.tv_nsec - (int64_t)status.st_mtim.tv_nsec) / 1000000;
	return age_ms <= max_age_ms ? 0 : 1;
}

int probe_main(int argc, char **argv)
{
	const char *kind = NULL, *dir = NULL;
	int64_t max_age_ms = -1;
	for (int i = 1; i < argc; i++) {
		const char *argument = argv[i];
		if (strcmp(argument, "--dir") == 0 || strcmp(argument, "--max-age") == 0) {
			if (i + 1 >= argc)
				return usage("an option needs a value");
			const char *value = argv[++i];
			const char *error;
			if (argument[2] == 'd')
				dir = value;
			else if (parse_duration_ms(value, &max_age_ms, &error) < 0)
				return usage(error);
		} else if (strncmp(argument, "--dir=", 6) == 0) {
			dir = argument + 6;
		} else if (strncmp(argument, "--max-age=", 10) == 0) {
			const char *error;
			if (parse_duration_ms(argument + 10, &max_age_ms, &error) < 0)
				return usage(error);
		} else if (kind == NULL && (strcmp(argument, "live") == 0 || strcmp(argument, "ready") == 0)) {
			kind = argument;
		} else {
			return usage("unknown argument");
		}
	}
	if (kind == NULL)
		return usage("say live or ready");
	if (max_age_ms >= 0 && kind[0] != 'l')
		return usage("--max-age applies to live only");
	if (dir == NULL || dir[0] == '\0')
		dir = getenv("TEND_HEALTH_DIR");
	if (dir == NULL || dir[0] == '\0')
		dir = "/run/tend";
	char path[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, kind) >= sizeof path)
		return usage("the directory name is too long");
	if (kind[0] == 'l')
		return probe_live(path, max_age_ms);
	return access(path, F_OK) == 0 ? 0 : 1;
}
