/* test_reload.c: what a reload counts as a change (reload.h): a service or
 * group is left alone when its settings are the same, wherever it moved in
 * the file, and whatever its `autostart` says. */
#include <stdio.h>
#include <stdlib.h>

#include "../../src/config.h"
#include "../../src/reload.h"
#include "unit.h"

static struct config *load(const char *text)
{
	struct diagnostics diagnostics = { 0 };
	struct config *config = config_load_string("t.ini", text, &diagnostics);
	ck_assert_msg(config != NULL, "config rejected: %s",
		      diagnostics.count ? diagnostics.lines[0] : "(no diagnostics)");
	diagnostics_free(&diagnostics);
	return config;
}

/* Whether service `name` is unchanged from text a to text b. */
static bool service_same(const char *a, const char *b, const char *name)
{
	struct config *old = load(a), *new = load(b);
	const struct config_service *x = config_find_service(old, name);
	const struct config_service *y = config_find_service(new, name);
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(y);
	bool same = reload_service_unchanged(x, y);
	config_free(old);
	config_free(new);
	return same;
}

static bool group_same(const char *a, const char *b, const char *name)
{
	struct config *old = load(a), *new = load(b);
	const struct config_group *x = config_find_group(old, name);
	const struct config_group *y = config_find_group(new, name);
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(y);
	bool same = reload_group_unchanged(x, y);
	config_free(old);
	config_free(new);
	return same;
}

#define BASE "[service:a]\ncommand = sleep 1\n"

START_TEST(test_same_text_is_unchanged)
{
	ck_assert(service_same(BASE, BASE, "a"));
}
END_TEST

START_TEST(test_moved_and_compacted_is_unchanged)
{
	/* Another place in the file, other services around it, and the new
	 * model compacted as tend does: still the same settings. */
	struct config *old = load(BASE "env = A=1\nenv = B=2\n");
	struct config *new = load("[service:z]\ncommand = true\n"
				  "[service:a]\nenv = A=1\ncommand = sleep 1\nenv = B=2\n");
	ck_assert_int_eq(config_compact(new), 0);
	ck_assert(reload_service_unchanged(config_find_service(old, "a"),
					   config_find_service(new, "a")));
	config_free(old);
	config_free(new);
}
END_TEST

START_TEST(test_autostart_alone_is_no_change)
{
	ck_assert(service_same(BASE, BASE "autostart = no\n", "a"));
	ck_assert(group_same("[group:g]\n", "[group:g]\nautostart = no\n", "g"));
}
END_TEST

START_TEST(test_each_setting_is_a_change)
{
	static const char *const changes[] = {
		"[service:a]\ncommand = sleep 2\n",
		BASE "env = A=1\n",
		BASE "env-clear = yes\n",
		BASE "directory = /tmp\n",
		BASE "stop-timeout = 3s\n",
		BASE "stop-signal = INT\n",
		BASE "restart = never\n",
		BASE "type = oneshot\n",
		BASE "backoff-min = 1s\n",
		BASE "start-timeout = 5s\n",
		BASE "ready-required = no\n",
		BASE "check = true\n",
		BASE "stdout = prefix\n",
		BASE "stderr = null\n",
		BASE "limit-nofile = 64\n",
		BASE "umask = 077\n",
		BASE "kill-group = no\n",
		BASE "success-exit = 3\n",
		BASE "capabilities = cap_chown\n",
	};
	for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++)
		ck_assert_msg(!service_same(BASE, changes[i], "a"), "not a change: %s", changes[i]);
}
END_TEST

START_TEST(test_instances_kept_when_count_grows)
{
	const char *three = "[service:w]\ncommand = sleep 10%i\ninstances = 3\n";
	const char *five = "[service:w]\ncommand = sleep 10%i\ninstances = 5\n";
	ck_assert(service_same(three, five, "w.0"));
	ck_assert(service_same(three, five, "w.2"));
}
END_TEST

START_TEST(test_group_keys)
{
	const char *g = "[group:g]\n[service:g/x]\ncommand = sleep 1\n";
	/* Children are compared one by one, not as the group's settings. */
	ck_assert(group_same(g, "[group:g]\n[service:g/x]\ncommand = sleep 1\n"
				"[service:g/y]\ncommand = sleep 2\n", "g"));
	static const char *const changes[] = {
		"[group:g]\nstrategy = one-for-all\n",
		"[group:g]\nmax-restarts = 3\n",
		"[group:g]\nrestart-period = 5s\n",
		"[group:g]\nstart = parallel\n",
		"[group:g]\nstop = parallel\n",
		"[group:g]\nready-quorum = 50%\n",
		"[group:g]\nbackoff-max = 1s\n",
	};
	for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++)
		ck_assert_msg(!group_same("[group:g]\n", changes[i], "g"), "not a change: %s",
			      changes[i]);
	/* The root's group keys are in [tend]. */
	ck_assert(!group_same("[tend]\n", "[tend]\nstrategy = rest-for-one\n", ""));
	ck_assert(group_same("[tend]\n", "[tend]\nshutdown-timeout = 3s\n", ""));
}
END_TEST

Suite *reload_suite(void)
{
	Suite *suite = suite_create("reload");
	TCase *tcase = tcase_create("changed");
	tcase_add_test(tcase, test_same_text_is_unchanged);
	tcase_add_test(tcase, test_moved_and_compacted_is_unchanged);
	tcase_add_test(tcase, test_autostart_alone_is_no_change);
	tcase_add_test(tcase, test_each_setting_is_a_change);
	tcase_add_test(tcase, test_instances_kept_when_count_grows);
	tcase_add_test(tcase, test_group_keys);
	suite_add_tcase(suite, tcase);
	return suite;
}
