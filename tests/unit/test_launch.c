/* test_launch.c: the environment a service starts with (SPEC §2.3, A17,
 * A19): tend's own, minus what would mislead the service, plus the
 * service's env, TEND_SERVICE, TEND_INSTANCE and, with `user`, HOME, USER
 * and LOGNAME; the service's own env always wins. */
#include <stdlib.h>
#include <string.h>

#include "../../src/config.h"
#include "../../src/launch.h"
#include "unit.h"

static const char *lookup(char **vector, const char *name)
{
	size_t length = strlen(name);
	const char *found = NULL;
	for (; *vector != NULL; vector++)
		if (strncmp(*vector, name, length) == 0 && (*vector)[length] == '=') {
			ck_assert_msg(found == NULL, "%s is set twice", name);
			found = *vector + length + 1;
		}
	return found;
}

static struct config_service service_named(char *name)
{
	struct config_service service;
	memset(&service, 0, sizeof service);
	service.name = name;
	service.instance = -1;
	return service;
}

START_TEST(test_environment_is_tends_minus_upstream_plus_service)
{
	char *base[] = { "PATH=/bin", "NOTIFY_SOCKET=@x", "LISTEN_FDS=1", "WATCHDOG_USEC=5",
			 "TEND_SERVICE=outer", "KEEP=1", "OVERRIDE=base", NULL };
	char *own[] = { "OVERRIDE=own", "EXTRA=2", NULL };
	struct config_service service = service_named("web/worker.3");
	service.env = own;
	service.instance = 3;
	char **env = launch_environment(&service, base);
	ck_assert_ptr_nonnull(env);
	ck_assert_str_eq(lookup(env, "PATH"), "/bin");
	ck_assert_str_eq(lookup(env, "KEEP"), "1");
	ck_assert_str_eq(lookup(env, "OVERRIDE"), "own");
	ck_assert_str_eq(lookup(env, "EXTRA"), "2");
	ck_assert_str_eq(lookup(env, "TEND_SERVICE"), "web/worker.3");
	ck_assert_str_eq(lookup(env, "TEND_INSTANCE"), "3");
	ck_assert_ptr_null(lookup(env, "NOTIFY_SOCKET"));
	ck_assert_ptr_null(lookup(env, "LISTEN_FDS"));
	ck_assert_ptr_null(lookup(env, "WATCHDOG_USEC"));
	launch_release();
}
END_TEST

START_TEST(test_environment_of_a_user_and_env_clear)
{
	char *base[] = { "PATH=/bin", "HOME=/root", "USER=root", NULL };
	char *own[] = { "LOGNAME=chosen", NULL };
	struct config_service service = service_named("db");
	service.env = own;
	service.set_user = true;
	service.user_name = "nobody";
	service.user_home = "/nonexistent";
	char **env = launch_environment(&service, base);
	ck_assert_str_eq(lookup(env, "HOME"), "/nonexistent");
	ck_assert_str_eq(lookup(env, "USER"), "nobody");
	ck_assert_str_eq(lookup(env, "LOGNAME"), "chosen");
	ck_assert_str_eq(lookup(env, "PATH"), "/bin");
	ck_assert_ptr_null(lookup(env, "TEND_INSTANCE"));

	service.env_clear = true;
	env = launch_environment(&service, base);
	ck_assert_ptr_null(lookup(env, "PATH"));
	ck_assert_str_eq(lookup(env, "TEND_SERVICE"), "db");
	ck_assert_str_eq(lookup(env, "HOME"), "/nonexistent");
	launch_release();
}
END_TEST

Suite *launch_suite(void)
{
	Suite *suite = suite_create("launch");
	TCase *tcase = tcase_create("environment");
	tcase_add_test(tcase, test_environment_is_tends_minus_upstream_plus_service);
	tcase_add_test(tcase, test_environment_of_a_user_and_env_clear);
	suite_add_tcase(suite, tcase);
	return suite;
}
