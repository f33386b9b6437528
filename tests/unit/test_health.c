/* test_health.c: the health files and `tendctl probe` (SPEC §3), through
 * the files alone. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "healthfiles.h"
#include "probe.h"
#include "unit.h"

static char dir[64];

static void make_dir(void)
{
	strcpy(dir, "/tmp/tend-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static bool exists(const char *name)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void touch(const char *name, time_t mtime)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *file = fopen(path, "w");
	ck_assert_ptr_nonnull(file);
	fclose(file);
	struct timespec times[2] = { { mtime, 0 }, { mtime, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, path, times, 0), 0);
}

static int probe(const char *a, const char *b, const char *c, const char *d, const char *e)
{
	char *argv[] = { "probe", (char *)a, (char *)b, (char *)c, (char *)d, (char *)e, NULL };
	int argc = 1;
	while (argv[argc] != NULL)
		argc++;
	return probe_main(argc, argv);
}

static void remove_dir(void)
{
	char command[128];
	snprintf(command, sizeof command, "rm -rf %s", dir);
	ck_assert_int_eq(system(command), 0);
}

START_TEST(test_probe_files)
{
	make_dir();
	ck_assert_int_eq(probe("ready", "--dir", dir, NULL, NULL), 1);
	touch("ready", time(NULL));
	ck_assert_int_eq(probe("ready", "--dir", dir, NULL, NULL), 0);
	ck_assert_int_eq(probe("--dir", dir, "ready", NULL, NULL), 0);
	touch("live", time(NULL) - 100);
	ck_assert_int_eq(probe("live", "--dir", dir, NULL, NULL), 0);
	ck_assert_int_eq(probe("live", "--max-age", "60s", "--dir", dir), 1);
	ck_assert_int_eq(probe("live", "--max-age", "2m", "--dir", dir), 0);
	setenv("TEND_HEALTH_DIR", dir, 1);
	ck_assert_int_eq(probe("ready", NULL, NULL, NULL, NULL), 0);
	unsetenv("TEND_HEALTH_DIR");
	ck_assert_int_eq(probe(NULL, NULL, NULL, NULL, NULL), 2);
	ck_assert_int_eq(probe("ready", "--max-age", "1s", NULL, NULL), 2);
	ck_assert_int_eq(probe("live", "--max-age", "x", NULL, NULL), 2);
	remove_dir();
}
END_TEST

START_TEST(test_health_files_lifecycle)
{
	make_dir();
	touch("ready", 1000);
	touch("live", 1000);
	healthfiles_open(dir, 0);
	ck_assert(!exists("ready")); /* stale */
	ck_assert(exists("live"));
	struct stat status;
	char path[128];
	snprintf(path, sizeof path, "%s/live", dir);
	ck_assert_int_eq(stat(path, &status), 0);
	ck_assert(status.st_mtime > 1000);
	healthfiles_set_ready(true);
	ck_assert(exists("ready"));
	ck_assert(!exists(".ready")); /* renamed into place */
	healthfiles_set_ready(false);
	ck_assert(!exists("ready"));
	healthfiles_set_ready(true);
	healthfiles_set_live(false);
	ck_assert(!exists("live"));
	healthfiles_set_live(true);
	healthfiles_close();
	ck_assert(!exists("ready"));
	ck_assert(!exists("live"));
	remove_dir();
}
END_TEST

START_TEST(test_health_files_retry_after_failure)
{
	make_dir();
	char blocked[128];
	snprintf(blocked, sizeof blocked, "%s/file", dir);
	FILE *file = fopen(blocked, "w");
	ck_assert_ptr_nonnull(file);
	fclose(file);
	char sub[160];
	snprintf(sub, sizeof sub, "%s/run", blocked); /* a path through a file */
	healthfiles_open(sub, 0);
	healthfiles_set_ready(true);
	ck_assert_int_eq(unlink(blocked), 0);
	healthfiles_set_ready(false); /* the next change retries both */
	healthfiles_set_ready(true);
	char path[200];
	snprintf(path, sizeof path, "%s/ready", sub);
	ck_assert_int_eq(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/live", sub);
	ck_assert_int_eq(access(path, F_OK), 0);
	healthfiles_close();
	remove_dir();
}
END_TEST

Suite *health_suite(void)
{
	Suite *suite = suite_create("health");
	TCase *files = tcase_create("files");
	tcase_add_test(files, test_probe_files);
	tcase_add_test(files, test_health_files_lifecycle);
	tcase_add_test(files, test_health_files_retry_after_failure);
	suite_add_tcase(suite, files);
	return suite;
}
