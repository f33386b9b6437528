/* test_config.c: the service tree as users write it (SPEC §2): what every
 * key means, what every mistake is told as, and where. */
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/config.h"
#include "../../src/log.h"
#include "unit.h"

static struct diagnostics diagnostics;

static void diagnostics_reset(void)
{
	diagnostics_free(&diagnostics);
}

/* Load text as "t.ini"; the diagnostics stay in `diagnostics`. */
static struct config *load(const char *text)
{
	diagnostics_reset();
	return config_load_string("t.ini", text, &diagnostics);
}

static struct config *load_ok(const char *text)
{
	struct config *config = load(text);
	ck_assert_msg(config != NULL, "config rejected: %s",
		      diagnostics.count ? diagnostics.lines[0] : "(no diagnostics)");
	ck_assert_uint_eq(diagnostics.count, 0);
	return config;
}

static bool has_problem(const char *expected)
{
	for (size_t i = 0; i < diagnostics.count; i++)
		if (strcmp(diagnostics.lines[i], expected) == 0)
			return true;
	return false;
}

static void print_problems(void)
{
	for (size_t i = 0; i < diagnostics.count; i++)
		fprintf(stderr, "  got: %s\n", diagnostics.lines[i]);
}

/* text is rejected with exactly this problem among those reported. */
static void assert_problem(const char *text, const char *expected)
{
	struct config *config = load(text);
	if (config != NULL || !has_problem(expected))
		print_problems();
	ck_assert_msg(config == NULL, "accepted, expected: %s", expected);
	ck_assert_msg(has_problem(expected), "missing problem: %s", expected);
}

/* text is rejected with this single problem. */
static void assert_only_problem(const char *text, const char *expected)
{
	assert_problem(text, expected);
	if (diagnostics.count != 1)
		print_problems();
	ck_assert_uint_eq(diagnostics.count, 1);
}

static const struct config_service *service(const struct config *config, const char *name)
{
	const struct config_service *found = config_find_service(config, name);
	ck_assert_msg(found != NULL, "no service %s", name);
	return found;
}

static void assert_argv(char *const *argv, const char *const *expected)
{
	size_t i = 0;
	for (; expected[i] != NULL; i++) {
		ck_assert_ptr_nonnull(argv[i]);
		ck_assert_str_eq(argv[i], expected[i]);
	}
	ck_assert_ptr_null(argv[i]);
}

static void teardown(void)
{
	diagnostics_reset();
}

/* ---- defaults ---- */

START_TEST(test_defaults)
{
	struct config *config = load_ok("[service:web]\ncommand = /bin/web\n");
	ck_assert_str_eq(config->socket_path, "/run/tend/tend.sock");
	ck_assert_int_eq(config->socket_mode, 0600);
	ck_assert(!config->set_socket_group && !config->set_admin_group);
	ck_assert_str_eq(config->health_dir, "/run/tend");
	ck_assert_int_eq(config->heartbeat_ms, 10000);
	ck_assert_int_eq(config->shutdown_drain_ms, 0);
	ck_assert_int_eq(config->shutdown_timeout_ms, 25000);
	ck_assert_int_eq(config->on_root_failure, ON_ROOT_FAILURE_EXIT);
	ck_assert_int_eq(config->log_format, -1);
	ck_assert_int_eq(config->log_level, -1);
	ck_assert_int_eq(config->main_service, -1);
	ck_assert_uint_eq(config->file_count, 1);
	ck_assert_str_eq(config->files[0], "t.ini");

	ck_assert_uint_eq(config->group_count, 1);
	const struct config_group *root = &config->groups[0];
	ck_assert_str_eq(root->name, "");
	ck_assert_int_eq(root->parent, -1);
	ck_assert_int_eq(root->strategy, STRATEGY_ONE_FOR_ONE);
	ck_assert_int_eq(root->max_restarts, 10);
	ck_assert_int_eq(root->restart_period_ms, 60000);
	ck_assert_int_eq(root->start, ORDER_SEQUENTIAL);
	ck_assert_int_eq(root->stop, ORDER_SEQUENTIAL);
	ck_assert_int_eq(root->quorum_kind, QUORUM_ALL);
	ck_assert(root->autostart);
	ck_assert_uint_eq(root->child_count, 1);

	const struct config_service *web = service(config, "web");
	ck_assert_str_eq(web->base_name, "web");
	ck_assert_int_eq(web->instance, -1);
	ck_assert_str_eq(web->origin.file, "t.ini");
	ck_assert_int_eq(web->origin.line, 1);
	ck_assert_uint_eq(web->group, 0);
	assert_argv(web->argv, (const char *[]){"/bin/web", NULL});
	ck_assert_int_eq(web->type, SERVICE_SIMPLE);
	ck_assert(!web->main);
	ck_assert_int_eq(web->restart, RESTART_ALWAYS);
	ck_assert_uint_eq(web->success_count, 0);
	ck_assert_int_eq(web->backoff.min_ms, 100);
	ck_assert_int_eq(web->backoff.max_ms, 30000);
	ck_assert_double_eq(web->backoff.factor, 2);
	ck_assert_double_eq(web->backoff.jitter, 0.2);
	ck_assert_int_eq(web->backoff.reset_ms, 60000);
	ck_assert_int_eq(web->start_timeout_ms, 60000);
	ck_assert_int_eq(web->ready, READY_STARTED);
	ck_assert(web->ready_required);
	ck_assert_ptr_null(web->check_argv);
	ck_assert_int_eq(web->check_interval_ms, 10000);
	ck_assert_int_eq(web->check_timeout_ms, 5000);
	ck_assert_int_eq(web->check_retries, 3);
	ck_assert_int_eq(web->check_start_period_ms, 0);
	ck_assert_int_eq(web->check_action, CHECK_ACTION_RESTART);
	ck_assert_int_eq(web->watchdog_ms, 0);
	ck_assert_int_eq(web->stop_signal, SIGTERM);
	ck_assert_int_eq(web->stop_timeout_ms, 10000);
	ck_assert(web->kill_group);
	ck_assert(!web->set_user && !web->set_group);
	ck_assert_str_eq(web->directory, "/");
	ck_assert_int_eq(web->umask_value, -1);
	ck_assert_ptr_nonnull(web->env);
	ck_assert_ptr_null(web->env[0]);
	ck_assert(!web->env_clear);
	ck_assert(!web->set_capabilities);
	ck_assert(web->no_new_privileges);
	ck_assert_ptr_null(web->limits); /* none set: inherited */
	ck_assert(!web->set_oom_score);
	ck_assert_int_eq(web->stdout_setting.mode, OUTPUT_INHERIT);
	ck_assert_int_eq(web->stderr_setting.mode, OUTPUT_INHERIT);
	ck_assert(web->autostart);
	config_free(config);
}
END_TEST

START_TEST(test_oneshot_restarts_on_failure_by_default)
{
	struct config *config = load_ok("[service:migrate]\ncommand = migrate\ntype = oneshot\n"
					"[service:job]\ncommand = job\ntype = oneshot\nrestart = never\n");
	ck_assert_int_eq(service(config, "migrate")->restart, RESTART_ON_FAILURE);
	ck_assert_int_eq(service(config, "job")->restart, RESTART_NEVER);
	config_free(config);
}
END_TEST

START_TEST(test_empty_file_and_default_model)
{
	struct config *config = load_ok("; nothing yet\n\n");
	ck_assert_uint_eq(config->service_count, 0);
	ck_assert_uint_eq(config->groups[0].child_count, 0);
	config_free(config);
	config = load_ok("");
	ck_assert_uint_eq(config->group_count, 1);
	ck_assert_uint_eq(config->service_count, 0);
	ck_assert_str_eq(config->socket_path, "/run/tend/tend.sock");
	config_free(config);
	config_free(NULL);
}
END_TEST

/* ---- every key ---- */

START_TEST(test_global_and_root_keys)
{
	struct config *config = load_ok(
		"[tend]\n"
		"socket = /tmp/t.sock\nsocket-mode = 0660\nsocket-group = 0\nadmin-group = root\n"
		"health-dir = /tmp/health\nheartbeat = 0\nshutdown-drain = 2s\n"
		"shutdown-timeout = 1m\non-root-failure = stay\nlog-format = json\n"
		"log-level = debug\nstrategy = rest-for-one\nmax-restarts = 0\n"
		"restart-period = 5m\nstart = parallel\nstop = parallel\nready-quorum = 50%\n"
		"autostart = no\nbackoff-min = 1s\nbackoff-max = 1m\nbackoff-factor = 1.5\n"
		"backoff-jitter = 0\nbackoff-reset = 2m\n");
	ck_assert_str_eq(config->socket_path, "/tmp/t.sock");
	ck_assert_int_eq(config->socket_mode, 0660);
	ck_assert(config->set_socket_group && config->socket_group == 0);
	ck_assert(config->set_admin_group && config->admin_group == 0);
	ck_assert_str_eq(config->health_dir, "/tmp/health");
	ck_assert_int_eq(config->heartbeat_ms, 0);
	ck_assert_int_eq(config->shutdown_drain_ms, 2000);
	ck_assert_int_eq(config->shutdown_timeout_ms, 60000);
	ck_assert_int_eq(config->on_root_failure, ON_ROOT_FAILURE_STAY);
	ck_assert_int_eq(config->log_format, LOG_FORMAT_JSON);
	ck_assert_int_eq(config->log_level, LOG_LEVEL_DEBUG);
	const struct config_group *root = &config->groups[0];
	ck_assert_int_eq(root->origin.line, 1);
	ck_assert_int_eq(root->strategy, STRATEGY_REST_FOR_ONE);
	ck_assert_int_eq(root->max_restarts, 0);
	ck_assert_int_eq(root->restart_period_ms, 300000);
	ck_assert_int_eq(root->start, ORDER_PARALLEL);
	ck_assert_int_eq(root->stop, ORDER_PARALLEL);
	ck_assert_int_eq(root->quorum_kind, QUORUM_PERCENT);
	ck_assert_int_eq(root->quorum_value, 50);
	ck_assert(!root->autostart);
	ck_assert_int_eq(root->backoff.min_ms, 1000);
	ck_assert_int_eq(root->backoff.max_ms, 60000);
	ck_assert_double_eq(root->backoff.factor, 1.5);
	ck_assert_double_eq(root->backoff.jitter, 0);
	ck_assert_int_eq(root->backoff.reset_ms, 120000);
	config_free(config);
	config = load_ok("[tend]\nsocket = none\n");
	ck_assert_ptr_null(config->socket_path);
	config_free(config);
}
END_TEST

START_TEST(test_service_keys)
{
	struct config *config = load_ok(
		"[service:api]\n"
		"command = /bin/api --port 80\ntype = simple\nmain = yes\nrestart = on-failure\n"
		"success-exit = 2, 143\nbackoff-min = 250ms\nbackoff-max = 5s\n"
		"backoff-factor = 3\nbackoff-jitter = 0.5\nbackoff-reset = 10s\n"
		"start-timeout = 0\nready = notify\nready-required = no\n"
		"check = /bin/probe 'a b'\ncheck-interval = 30s\ncheck-timeout = 2s\n"
		"check-retries = 5\ncheck-start-period = 1m\ncheck-action = none\n"
		"watchdog = 20s\nstop-signal = SIGINT\nstop-timeout = 3s\nkill-group = off\n"
		"user = root\ngroup = 0\ndirectory = /srv\numask = 027\nenv = A=1\nenv = B=x=y\n"
		"env-clear = true\ncapabilities = cap_net_bind_service, CAP_CHOWN\n"
		"no-new-privileges = no\nlimit-nofile = 1024:4096\nlimit-nproc = 100\n"
		"limit-core = unlimited\nlimit-memlock = 0\nlimit-as = 1:2\nlimit-stack = 8388608\n"
		"oom-score-adj = -500\nstdout = prefix\nstderr = file:/var/log/api.err\n"
		"autostart = 0\n");
	const struct config_service *api = service(config, "api");
	assert_argv(api->argv, (const char *[]){"/bin/api", "--port", "80", NULL});
	ck_assert(api->main);
	ck_assert_int_eq(config->main_service, 0);
	ck_assert_int_eq(api->restart, RESTART_ON_FAILURE);
	ck_assert_uint_eq(api->success_count, 2);
	ck_assert_int_eq(api->success_codes[0], 2);
	ck_assert_int_eq(api->success_codes[1], 143);
	ck_assert_int_eq(api->backoff.min_ms, 250);
	ck_assert_int_eq(api->backoff.max_ms, 5000);
	ck_assert_double_eq(api->backoff.factor, 3);
	ck_assert_double_eq(api->backoff.jitter, 0.5);
	ck_assert_int_eq(api->backoff.reset_ms, 10000);
	ck_assert_int_eq(api->start_timeout_ms, 0);
	ck_assert_int_eq(api->ready, READY_NOTIFY);
	ck_assert(!api->ready_required);
	assert_argv(api->check_argv, (const char *[]){"/bin/probe", "a b", NULL});
	ck_assert_int_eq(api->check_interval_ms, 30000);
	ck_assert_int_eq(api->check_timeout_ms, 2000);
	ck_assert_int_eq(api->check_retries, 5);
	ck_assert_int_eq(api->check_start_period_ms, 60000);
	ck_assert_int_eq(api->check_action, CHECK_ACTION_NONE);
	ck_assert_int_eq(api->watchdog_ms, 20000);
	ck_assert_int_eq(api->stop_signal, SIGINT);
	ck_assert_int_eq(api->stop_timeout_ms, 3000);
	ck_assert(!api->kill_group);
	ck_assert(api->set_user && api->uid == 0 && api->gid == 0);
	ck_assert(!api->set_group);
	ck_assert_str_eq(api->user_name, "root");
	ck_assert_str_eq(api->user_home, "/root");
	ck_assert_uint_ge(api->group_count, 1);
	ck_assert_int_eq(api->groups[0], 0);
	ck_assert_str_eq(api->directory, "/srv");
	ck_assert_int_eq(api->umask_value, 027);
	assert_argv(api->env, (const char *[]){"A=1", "B=x=y", NULL});
	ck_assert(api->env_clear);
	ck_assert(api->set_capabilities);
	ck_assert_uint_eq(api->capabilities,
			  (UINT64_C(1) << CAP_NET_BIND_SERVICE) | (UINT64_C(1) << CAP_CHOWN));
	ck_assert(!api->no_new_privileges);
	ck_assert_ptr_nonnull(api->limits);
	ck_assert(api->limits[LIMIT_NOFILE].set);
	ck_assert_uint_eq(api->limits[LIMIT_NOFILE].value.rlim_cur, 1024);
	ck_assert_uint_eq(api->limits[LIMIT_NOFILE].value.rlim_max, 4096);
	ck_assert_uint_eq(api->limits[LIMIT_NPROC].value.rlim_max, 100);
	ck_assert(api->limits[LIMIT_CORE].value.rlim_cur == RLIM_INFINITY);
	ck_assert(api->limits[LIMIT_MEMLOCK].set);
	ck_assert_uint_eq(api->limits[LIMIT_AS].value.rlim_max, 2);
	ck_assert_uint_eq(api->limits[LIMIT_STACK].value.rlim_cur, 8388608);
	ck_assert(api->set_oom_score && api->oom_score_adj == -500);
	ck_assert_int_eq(api->stdout_setting.mode, OUTPUT_PREFIX);
	ck_assert_int_eq(api->stderr_setting.mode, OUTPUT_FILE);
	ck_assert_str_eq(api->stderr_setting.path, "/var/log/api.err");
	ck_assert(!api->autostart);
	config_free(config);
}
END_TEST

START_TEST(test_ready_modes_and_signals)
{
	struct config *config = load_ok(
		"[service:a]\ncommand = a\nready = fd:3\nstop-signal = hup\n"
		"[service:b]\ncommand = b\nready = check\ncheck = b-check\nstop-signal = 9\n"
		"[service:c]\ncommand = c\nready = started\nstop-signal = TERM\n");
	ck_assert_int_eq(service(config, "a")->ready, READY_FD);
	ck_assert_int_eq(service(config, "a")->ready_fd, 3);
	ck_assert_int_eq(service(config, "a")->stop_signal, SIGHUP);
	ck_assert_int_eq(service(config, "b")->ready, READY_CHECK);
	ck_assert_int_eq(service(config, "b")->stop_signal, SIGKILL);
	ck_assert_int_eq(service(config, "c")->stop_signal, SIGTERM);
	config_free(config);
}
END_TEST

START_TEST(test_group_without_user_and_numeric_user)
{
	struct config *config = load_ok("[service:a]\ncommand = a\ngroup = 4242\n"
					"[service:b]\ncommand = b\nuser = 4321\n"
					"[service:c]\ncommand = c\ngroup = 77\nuser = 0\n");
	const struct config_service *a = service(config, "a");
	ck_assert(!a->set_user && a->set_group && a->gid == 4242);
	const struct config_service *b = service(config, "b");
	ck_assert(b->set_user && b->uid == 4321 && b->gid == 4321);
	ck_assert_str_eq(b->user_name, "4321");
	ck_assert_str_eq(b->user_home, "/");
	/* `group` wins over the user's primary group, in either order */
	const struct config_service *c = service(config, "c");
	ck_assert(c->set_user && !c->set_group && c->uid == 0 && c->gid == 77);
	ck_assert_int_eq(c->groups[0], 77);
	config_free(config);
}
END_TEST

START_TEST(test_ready_quorum_forms)
{
	struct config *config = load_ok("[tend]\nready-quorum = 2\n"
					"[group:g]\nready-quorum = all\n"
					"[service:a]\ncommand = a\n[service:b]\ncommand = b\n");
	ck_assert_int_eq(config->groups[0].quorum_kind, QUORUM_COUNT);
	ck_assert_int_eq(config->groups[0].quorum_value, 2);
	ck_assert_int_eq(config_find_group(config, "g")->quorum_kind, QUORUM_ALL);
	config_free(config);
}
END_TEST

/* ---- lines, comments, continuations ---- */

START_TEST(test_long_lines)
{
	char *text = malloc(6000);
	int length = sprintf(text, "[service:long]\ncommand = echo ");
	memset(text + length, 'x', 5000);
	strcpy(text + length + 5000, "\n");
	struct config *config = load_ok(text);
	ck_assert_uint_eq(strlen(service(config, "long")->argv[1]), 5000);
	config_free(config);
	free(text);

	text = malloc(20000);
	length = sprintf(text, "[service:long]\ncommand = echo ");
	memset(text + length, 'x', 17000);
	strcpy(text + length + 17000, "\nuser = nobody-such-user\n");
	config = load(text);
	ck_assert_ptr_null(config);
	ck_assert(has_problem("t.ini:2: line too long (more than 16384 characters)"));
	/* the lines after it are still read and checked */
	ck_assert(has_problem("t.ini:3: invalid user 'nobody-such-user': no such user"));
	free(text);
}
END_TEST

START_TEST(test_comments_in_commands)
{
	struct config *config = load_ok(
		"# a comment\n"
		"; another\n"
		"[service:a] ; trailing comment on a header\n"
		"command = sh -c 'echo a ; echo b # c' \"x ; y\" ; this is a comment\n"
		"[service:b]\n"
		"command = echo a;b c#d # comment\n"
		"check = test \"#1\" '; x' # comment\n"
		"directory = /srv ; comment\n"
		"[service:c]\n"
		"command = echo \\; \\#\n");
	assert_argv(service(config, "a")->argv,
		    (const char *[]){"sh", "-c", "echo a ; echo b # c", "x ; y", NULL});
	assert_argv(service(config, "b")->argv, (const char *[]){"echo", "a;b", "c#d", NULL});
	assert_argv(service(config, "b")->check_argv, (const char *[]){"test", "#1", "; x", NULL});
	ck_assert_str_eq(service(config, "b")->directory, "/srv");
	assert_argv(service(config, "c")->argv, (const char *[]){"echo", ";", "#", NULL});
	config_free(config);
}
END_TEST

START_TEST(test_continuation_lines)
{
	struct config *config = load_ok(
		"[service:a]\n"
		"command = /bin/server\n"
		"    --port 80\n"
		"  # a comment line inside the value\n"
		"\t--name 'my server' ; comment\n"
		"env = A=1\n"
		"[service:b]\n"
		"command = sh -c \"echo one\n"
		"   two ; three\"\n"
		"[service:c]\n"
		"command = prog --a \\\n"
		"    --b\n");
	assert_argv(service(config, "a")->argv,
		    (const char *[]){"/bin/server", "--port", "80", "--name", "my server", NULL});
	assert_argv(service(config, "a")->env, (const char *[]){"A=1", NULL});
	assert_argv(service(config, "b")->argv,
		    (const char *[]){"sh", "-c", "echo one two ; three", NULL});
	assert_argv(service(config, "c")->argv, (const char *[]){"prog", "--a", "--b", NULL});
	config_free(config);
}
END_TEST

START_TEST(test_blank_line_ends_a_value)
{
	assert_only_problem("[service:a]\ncommand = a\n\n  --b\n",
			    "t.ini:4: expected 'key = value' or a [section] header");
}
END_TEST

START_TEST(test_colon_is_not_a_separator)
{
	struct config *config = load_ok("[service:a]\ncommand = /bin/x host:80 a=b\r\n");
	assert_argv(service(config, "a")->argv, (const char *[]){"/bin/x", "host:80", "a=b", NULL});
	config_free(config);
	assert_problem("[service:a]\ncommand: x\n",
		       "t.ini:2: expected 'key = value' or a [section] header");
}
END_TEST

START_TEST(test_byte_order_mark_and_crlf)
{
	struct config *config = load_ok("\xEF\xBB\xBF[service:a]\r\ncommand = a b\r\n");
	assert_argv(service(config, "a")->argv, (const char *[]){"a", "b", NULL});
	config_free(config);
}
END_TEST

/* ---- every kind of problem, with its line ---- */

START_TEST(test_unknown_key_and_missing_command)
{
	struct config *config = load("[service:web]\nuser = root\ncomand = /bin/web\n");
	ck_assert_ptr_null(config);
	ck_assert_uint_eq(diagnostics.count, 2);
	ck_assert_str_eq(diagnostics.lines[0], "t.ini:1: [service:web] has no command");
	ck_assert_str_eq(diagnostics.lines[1], "t.ini:3: unknown key 'comand' in [service:web]");
}
END_TEST

START_TEST(test_every_problem_is_reported_in_file_order)
{
	struct config *config = load("[service:a]\n"       /* 1 */
				     "command = a\n"       /* 2 */
				     "stop-timeout = soon\n" /* 3 */
				     "[service:b]\n"       /* 4: no command */
				     "restart = sometimes\n" /* 5 */
				     "[bogus]\n"           /* 6 */
				     "key = ignored\n"     /* 7 */
				     "[service:c]\n"       /* 8 */
				     "command = 'open\n"); /* 9 */
	ck_assert_ptr_null(config);
	if (diagnostics.count != 5)
		print_problems();
	ck_assert_uint_eq(diagnostics.count, 5);
	ck_assert_str_eq(diagnostics.lines[0],
			 "t.ini:3: invalid stop-timeout 'soon': expected a duration like 250ms, "
			 "10s, 5m, 1h or a number of seconds");
	ck_assert_str_eq(diagnostics.lines[1], "t.ini:4: [service:b] has no command");
	ck_assert_str_eq(diagnostics.lines[2],
			 "t.ini:5: invalid restart 'sometimes': expected always, on-failure or never");
	ck_assert_str_eq(diagnostics.lines[3], "t.ini:6: unknown section [bogus]");
	ck_assert_str_eq(diagnostics.lines[4],
			 "t.ini:9: invalid command ''open': unterminated single quote");
}
END_TEST

START_TEST(test_section_problems)
{
	assert_only_problem("[service:a\ncommand = a\n",
			    "t.ini:1: missing ']' in the section header");
	assert_only_problem("[service:a] x\ncommand = a\n", "t.ini:1: unexpected text after ']'");
	assert_only_problem("command = a\n", "t.ini:1: key 'command' before any [section]");
	assert_problem("[service:web server]\ncommand = a\n",
		       "t.ini:1: invalid name in [service:web server]: only letters, digits, "
		       "'.', '_', '-' and '/' are allowed");
	assert_problem("[group:web/]\n", "t.ini:1: invalid name in [group:web/]: empty "
		       "component ('/' at the start or end, or '//')");
	assert_problem("[group:/web]\n", "t.ini:1: invalid name in [group:/web]: empty "
		       "component ('/' at the start or end, or '//')");
	assert_problem("[group:a//b]\n", "t.ini:1: invalid name in [group:a//b]: empty "
		       "component ('/' at the start or end, or '//')");
	assert_problem("[service:]\ncommand = a\n", "t.ini:1: invalid name in [service:]: empty name");
	assert_problem("[group:..]\n", "t.ini:1: invalid name in [group:..]: '.' and '..' are not names");
}
END_TEST

START_TEST(test_key_problems)
{
	assert_only_problem("[service:a]\ncommand = a\nuser = root\nuser = root\n",
			    "t.ini:4: duplicate key 'user' in [service:a] (first at line 3)");
	assert_only_problem("[service:a]\ncommand = a\nstrategy = one-for-all\n",
			    "t.ini:3: key 'strategy' is not allowed in [service:a]");
	assert_only_problem("[group:g]\ncommand = a\n",
			    "t.ini:2: key 'command' is not allowed in [group:g]");
	assert_only_problem("[tend]\nmain = yes\n", "t.ini:2: key 'main' is not allowed in [tend]");
	assert_only_problem("[service:a]\ncommand = a\nuser =\n", "t.ini:3: missing value for 'user'");
	assert_only_problem("[service:a]\n= a\ncommand = a\n", "t.ini:2: missing key before '='");
	assert_only_problem("[service:a]\ncommand =\n", "t.ini:2: missing value for 'command'");
	assert_only_problem("[service:a]\ncommand = \"\"\n",
			    "t.ini:2: invalid command '\"\"': empty program name (the first word is \"\")");
	assert_only_problem("[service:a]\ncommand = a\ncheck = ''\n",
			    "t.ini:3: invalid check '''': empty program name (the first word is \"\")");
}
END_TEST

START_TEST(test_env_is_repeatable_and_checked)
{
	struct config *config = load_ok("[service:a]\ncommand = a\nenv = A=1\nenv = B=\nenv = A=2\n");
	assert_argv(service(config, "a")->env, (const char *[]){"A=2", "B=", NULL});
	config_free(config);
	assert_only_problem("[service:a]\ncommand = a\nenv = NOVALUE\n",
			    "t.ini:3: invalid env 'NOVALUE': expected KEY=VALUE");
	assert_only_problem("[service:a]\ncommand = a\nenv = 1A=x\n",
			    "t.ini:3: invalid env '1A=x': KEY must be letters, digits and '_', not "
			    "starting with a digit");
}
END_TEST

START_TEST(test_value_problems)
{
	static const struct {
		const char *line;
		const char *problem;
	} cases[] = {
		{"main = maybe", "invalid main 'maybe': expected yes/no, true/false, on/off or 1/0"},
		{"instances = 0", "invalid instances '0': number out of range"},
		{"ready = fd:2", "invalid ready 'fd:2': expected fd:N with N >= 3 (0, 1 and 2 are the standard streams)"},
		{"ready = soon", "invalid ready 'soon': expected started, notify, fd:N or check"},
		{"backoff-jitter = 1.5", "invalid backoff-jitter '1.5': must be between 0 and 1"},
		{"backoff-factor = 0.5", "invalid backoff-factor '0.5': must be between 1 and 1000"},
		{"check-retries = 0", "invalid check-retries '0': must be 1 or more"},
		{"check-interval = 0", "invalid check-interval '0': must be more than 0"},
		{"success-exit = 2, 300", "invalid success-exit '2, 300': expected exit codes 0-255 separated by spaces or commas"},
		{"limit-nofile = 10:5", "invalid limit-nofile '10:5': the soft limit is above the hard limit"},
		{"capabilities = cap_fly", "invalid capabilities 'cap_fly': unknown capability (expected names like cap_net_bind_service)"},
		{"stop-signal = SIGFOO", "invalid stop-signal 'SIGFOO': unknown signal"},
		{"user = no-such-user-here", "invalid user 'no-such-user-here': no such user"},
		{"group = no-such-group-here", "invalid group 'no-such-group-here': no such group"},
		{"umask = 0888", "invalid umask '0888': expected an octal mode like 0600"},
		{"umask = 01777", "invalid umask '01777': expected an octal umask like 022"},
		{"stdout = file:", "invalid stdout 'file:': expected inherit, prefix, null or file:PATH"},
		{"directory = srv", "invalid directory 'srv': must be an absolute path"},
		{"oom-score-adj = 2000", "invalid oom-score-adj '2000': number out of range"},
		{"type = daemon", "invalid type 'daemon': expected simple or oneshot"},
		{"check-action = panic", "invalid check-action 'panic': expected restart or none"},
	};
	char text[512], problem[512];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(text, sizeof text, "[service:a]\ncommand = a\n%s\n", cases[i].line);
		snprintf(problem, sizeof problem, "t.ini:3: %s", cases[i].problem);
		assert_only_problem(text, problem);
	}
}
END_TEST

START_TEST(test_global_value_problems)
{
	assert_only_problem("[tend]\nsocket-mode = 01777\n",
			    "t.ini:2: invalid socket-mode '01777': expected permission bits like 0600 (at most 0777)");
	assert_only_problem("[tend]\nready-quorum = 101%\n",
			    "t.ini:2: invalid ready-quorum '101%': number out of range");
	assert_only_problem("[tend]\nlog-level = loud\n",
			    "t.ini:2: invalid log-level 'loud': expected error, warn, info or debug");
	assert_only_problem("[tend]\nmax-restarts = -1\n",
			    "t.ini:2: invalid max-restarts '-1': must be 0 or more");
	assert_only_problem("[tend]\nrestart-period = 0\n",
			    "t.ini:2: invalid restart-period '0': must be more than 0");
	char text[300] = "[tend]\nsocket = /";
	memset(text + strlen(text), 's', 120);
	strcat(text, "\n");
	assert_problem(text, "t.ini:2: invalid socket '/sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss...': socket path too long (at most 107 bytes)");
}
END_TEST

START_TEST(test_combination_problems)
{
	assert_only_problem("[service:a]\ncommand = a\nwatchdog = 10s\n",
			    "t.ini:3: 'watchdog' needs 'ready = notify'");
	assert_only_problem("[service:a]\ncommand = a\nready = check\n",
			    "t.ini:3: 'ready = check' needs a 'check' command");
	assert_only_problem("[service:a]\ncommand = a\ntype = oneshot\nready = notify\n",
			    "t.ini:4: a oneshot is ready when it exits successfully: 'ready' must be 'started'");
	assert_only_problem("[service:a]\ncommand = a\nmain = yes\ninstances = 2\n",
			    "t.ini:4: 'instances' cannot be combined with 'main = yes'");
	assert_only_problem("[service:a]\ncommand = a\nbackoff-min = 1m\n",
			    "t.ini:3: backoff-min (60000ms) is greater than backoff-max (30000ms)");
	assert_only_problem("[group:g]\nbackoff-max = 1s\nbackoff-min = 2s\n",
			    "t.ini:3: backoff-min (2000ms) is greater than backoff-max (1000ms)");
	assert_only_problem("[service:a]\ncommand = a\nmain = yes\n[service:b]\ncommand = b\nmain = on\n",
			    "t.ini:6: 'main = yes' is already set on [service:a] at t.ini:1");
	assert_only_problem("[tend]\nready-quorum = 3\n[service:a]\ncommand = a\n"
			    "[service:b]\ncommand = b\nready-required = no\n",
			    "t.ini:2: ready-quorum 3 is more than the 1 ready-required children of the root");
}
END_TEST

/* ---- the tree ---- */

START_TEST(test_tree_and_child_order)
{
	struct config *config = load_ok(
		"[service:db]\ncommand = db\n"
		"[service:web/nginx]\ncommand = nginx\n"
		"[group:web]\nstrategy = one-for-all\n"
		"[group:web/workers]\n"
		"[service:web/workers/w]\ncommand = w\n"
		"[service:web/app]\ncommand = app\n");
	ck_assert_uint_eq(config->group_count, 3);
	const struct config_group *root = &config->groups[0];
	ck_assert_uint_eq(root->child_count, 2);
	ck_assert_int_eq(root->children[0].kind, CHILD_SERVICE);
	ck_assert_str_eq(config->services[root->children[0].index].name, "db");
	ck_assert_int_eq(root->children[1].kind, CHILD_GROUP);
	const struct config_group *web = &config->groups[root->children[1].index];
	ck_assert_str_eq(web->name, "web");
	ck_assert_int_eq(web->strategy, STRATEGY_ONE_FOR_ALL);
	ck_assert_int_eq(web->parent, 0);
	ck_assert_int_eq(web->origin.line, 5);
	/* children in the order their sections appear */
	ck_assert_uint_eq(web->child_count, 3);
	ck_assert_str_eq(config->services[web->children[0].index].name, "web/nginx");
	ck_assert_int_eq(web->children[1].kind, CHILD_GROUP);
	ck_assert_str_eq(config->groups[web->children[1].index].name, "web/workers");
	ck_assert_str_eq(config->services[web->children[2].index].name, "web/app");
	const struct config_group *workers = config_find_group(config, "web/workers");
	ck_assert_int_eq(config->groups[workers->parent].name[0], 'w');
	ck_assert_uint_eq(workers->child_count, 1);
	ck_assert_uint_eq(service(config, "web/workers/w")->group,
			  (size_t)(workers - config->groups));
	ck_assert_ptr_null(config_find_service(config, "nginx"));
	ck_assert_ptr_null(config_find_group(config, "db"));
	config_free(config);
}
END_TEST

START_TEST(test_tree_problems)
{
	assert_only_problem("[service:web/nginx]\ncommand = nginx\n",
			    "t.ini:1: [service:web/nginx]: its group 'web' is not declared");
	assert_only_problem("[service:web]\ncommand = a\n[service:web/x]\ncommand = b\n",
			    "t.ini:3: [service:web/x]: its group 'web' is not declared");
	assert_only_problem("[service:a]\ncommand = a\n[service:a]\ncommand = b\n",
			    "t.ini:3: [service:a] has the same name as [service:a] at t.ini:1");
	assert_only_problem("[group:a]\n[service:a]\ncommand = b\n",
			    "t.ini:2: [service:a] has the same name as [group:a] at t.ini:1");
	assert_only_problem("[service:w]\ncommand = w\ninstances = 2\n[service:w.1]\ncommand = b\n",
			    "t.ini:4: [service:w.1]: name 'w.1' is already used by [service:w] at t.ini:1");
	assert_only_problem("[tend]\n[tend]\n", "t.ini:2: duplicate section [tend] (first at line 1)");
}
END_TEST

START_TEST(test_instances)
{
	struct config *config = load_ok(
		"[group:pool]\n"
		"[service:pool/worker]\ncommand = worker --id %i --name 'w%i' 100%%\ninstances = 3\n"
		"check = probe %i\n"
		"[service:pool/after]\ncommand = after %i\n");
	const struct config_group *pool = config_find_group(config, "pool");
	ck_assert_uint_eq(pool->child_count, 4);
	for (int k = 0; k < 3; k++) {
		const struct config_service *worker = &config->services[pool->children[k].index];
		char name[32], id[16], word[16];
		snprintf(name, sizeof name, "pool/worker.%d", k);
		snprintf(id, sizeof id, "%d", k);
		snprintf(word, sizeof word, "w%d", k);
		ck_assert_str_eq(worker->name, name);
		ck_assert_str_eq(worker->base_name, "pool/worker");
		ck_assert_int_eq(worker->instance, k);
		ck_assert_int_eq(worker->origin.line, 2);
		assert_argv(worker->argv,
			    (const char *[]){"worker", "--id", id, "--name", word, "100%", NULL});
		assert_argv(worker->check_argv, (const char *[]){"probe", id, NULL});
	}
	const struct config_service *after = &config->services[pool->children[3].index];
	ck_assert_int_eq(after->instance, -1);
	assert_argv(after->argv, (const char *[]){"after", "0", NULL});
	config_free(config);
}
END_TEST

/* ---- -- CMD ---- */

START_TEST(test_main_command)
{
	char *argv[] = {"/bin/app", "--flag", NULL};
	struct config *config = load_ok("[service:db]\ncommand = db\n[group:g]\n");
	diagnostics_reset();
	ck_assert_int_eq(config_add_main_command(config, argv, &diagnostics), 0);
	const struct config_group *root = &config->groups[0];
	ck_assert_uint_eq(root->child_count, 3);
	ck_assert_int_eq(root->children[2].kind, CHILD_SERVICE);
	const struct config_service *main_service = &config->services[root->children[2].index];
	ck_assert_str_eq(main_service->name, "main");
	ck_assert(main_service->main);
	ck_assert_int_eq(main_service->restart, RESTART_NEVER);
	ck_assert_int_eq(main_service->type, SERVICE_SIMPLE);
	ck_assert_int_eq(main_service->stop_signal, SIGTERM);
	ck_assert_str_eq(main_service->directory, "/");
	ck_assert_int_eq(config->main_service, (ssize_t)root->children[2].index);
	assert_argv(main_service->argv, (const char *[]){"/bin/app", "--flag", NULL});
	ck_assert_ptr_eq(config_find_service(config, "main"), main_service);
	config_free(config);

	config = load_ok("");
	ck_assert_int_eq(config_add_main_command(config, argv, &diagnostics), 0);
	ck_assert_uint_eq(config->service_count, 1);
	ck_assert_int_eq(config->main_service, 0);
	config_free(config);
}
END_TEST

START_TEST(test_main_command_conflicts)
{
	char *argv[] = {"app", NULL};
	struct config *config = load_ok("[service:x]\ncommand = x\n[service:main]\ncommand = m\n");
	ck_assert_int_eq(config_add_main_command(config, argv, &diagnostics), -1);
	ck_assert_uint_eq(diagnostics.count, 1);
	ck_assert_str_eq(diagnostics.lines[0], "t.ini:3: [service:main] conflicts with the command "
			 "given after -- (it becomes the service 'main')");
	config_free(config);

	config = load_ok("[service:x]\ncommand = x\n[group:g]\n[service:g/api]\ncommand = a\nmain = yes\n");
	ck_assert_int_eq(config_add_main_command(config, argv, &diagnostics), -1);
	ck_assert_str_eq(diagnostics.lines[0], "t.ini:4: [service:g/api] has 'main = yes', which "
			 "conflicts with the command given after --");
	ck_assert_uint_eq(config->service_count, 2);
	config_free(config);
}
END_TEST

/* tend -t -c FILE -- CMD reports the conflict with every other problem. */
START_TEST(test_main_command_conflict_among_other_problems)
{
	char *argv[] = {"app", NULL};
	diagnostics_reset();
	struct config *config = config_load_string_command(
		"t.ini", "[service:main]\ncommand = m\n[service:b]\nbogus = 1\n"
			 "[service:c]\ncommand = c\nmain = yes\n[group:d/e]\n",
		argv, &diagnostics);
	ck_assert_ptr_null(config);
	ck_assert_uint_eq(diagnostics.count, 5);
	ck_assert_str_eq(diagnostics.lines[0], "t.ini:1: [service:main] conflicts with the command "
			 "given after -- (it becomes the service 'main')");
	ck_assert_str_eq(diagnostics.lines[1], "t.ini:3: [service:b] has no command");
	ck_assert_str_eq(diagnostics.lines[2], "t.ini:4: unknown key 'bogus' in [service:b]");
	ck_assert_str_eq(diagnostics.lines[3], "t.ini:5: [service:c] has 'main = yes', which "
			 "conflicts with the command given after --");
	ck_assert_str_eq(diagnostics.lines[4], "t.ini:8: [group:d/e]: its group 'd' is not declared");
	diagnostics_reset();

	/* without a conflict, the command is the root's last child */
	config = config_load_string_command("t.ini", "[service:a]\ncommand = a\n"
					    "[group:main]\n[service:main/x]\ncommand = x\n",
					    argv, &diagnostics);
	ck_assert_ptr_null(config);
	ck_assert_uint_eq(diagnostics.count, 1);
	ck_assert_str_eq(diagnostics.lines[0], "t.ini:3: [group:main] conflicts with the command "
			 "given after -- (it becomes the service 'main')");
	diagnostics_reset();

	config = config_load_string_command("t.ini", "[service:main.x]\ncommand = a\n"
					    "[service:main2]\ncommand = b\ninstances = 2\n",
					    argv, &diagnostics);
	ck_assert_ptr_nonnull(config);
	ck_assert_uint_eq(diagnostics.count, 0);
	ck_assert_uint_eq(config->service_count, 4);
	ck_assert_str_eq(config->services[3].name, "main");
	ck_assert(config->services[3].main);
	ck_assert_int_eq(config->services[3].restart, RESTART_NEVER);
	ck_assert_int_eq(config->main_service, 3);
	config_free(config);
}
END_TEST

/* ---- reload equality ---- */

START_TEST(test_equality)
{
	const char *text = "[group:g]\n[service:g/a]\ncommand = a b\nenv = X=1\nuser = root\n"
			   "[service:g/b]\ncommand = b\n";
	struct config *first = load_ok(text);
	struct config *second = load_ok("# moved around\n[group:g]\nstrategy = one-for-one\n"
					"[service:g/b]\ncommand = b\n"
					"[service:g/a]\nenv = X=1\nuser = 0\ncommand = a 'b'\n"
					"[service:g/c]\ncommand = c\n");
	ck_assert(config_service_equal(service(first, "g/a"), service(second, "g/a")));
	ck_assert(config_service_equal(service(first, "g/b"), service(second, "g/b")));
	ck_assert(!config_service_equal(service(first, "g/a"), service(first, "g/b")));
	/* a group with a new child keeps its settings */
	ck_assert(config_group_equal(first, config_find_group(first, "g"), second,
				     config_find_group(second, "g")));
	ck_assert(config_group_equal(first, &first->groups[0], second, &second->groups[0]));
	config_free(second);
	static const char *const changes[] = {
		"command = a c\nenv = X=1\nuser = root\n", "command = a b\nenv = X=2\nuser = root\n",
		"command = a b\nenv = X=1\n", "command = a b\nenv = X=1\nuser = root\nstop-timeout = 1s\n",
		"command = a b\nenv = X=1\nuser = root\nlimit-core = 0\n",
	};
	for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
		char changed[256];
		snprintf(changed, sizeof changed, "[group:g]\n[service:g/a]\n%s", changes[i]);
		second = load_ok(changed);
		ck_assert_msg(!config_service_equal(service(first, "g/a"), service(second, "g/a")),
			      "change %zu not seen", i);
		config_free(second);
	}
	second = load_ok("[group:g]\nmax-restarts = 3\n");
	ck_assert(!config_group_equal(first, config_find_group(first, "g"), second,
				      config_find_group(second, "g")));
	config_free(second);
	config_free(first);
}
END_TEST

/* ---- files: includes and env-files ---- */

static char directory[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", directory, name);
	FILE *file = fopen(path, "we");
	ck_assert_ptr_nonnull(file);
	fputs(text, file);
	fclose(file);
}

static void make_directory(void)
{
	strcpy(directory, "/tmp/tend-config-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(directory));
	char path[256];
	snprintf(path, sizeof path, "%s/conf.d", directory);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}

static void remove_directory(void)
{
	char command[128];
	snprintf(command, sizeof command, "rm -rf '%s'", directory);
	ck_assert_int_eq(system(command), 0);
}

static struct config *load_file(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", directory, name);
	diagnostics_reset();
	return config_load(path, &diagnostics);
}

/* The problem, with the temporary directory written as "D". */
static bool has_file_problem(const char *expected)
{
	for (size_t i = 0; i < diagnostics.count; i++) {
		const char *line = diagnostics.lines[i];
		size_t length = strlen(directory);
		char *copy = strdup(line);
		for (char *found; (found = strstr(copy, directory)) != NULL;)
			memmove(found + 1, found + length, strlen(found + length) + 1), *found = 'D';
		bool equal = strcmp(copy, expected) == 0;
		free(copy);
		if (equal)
			return true;
	}
	print_problems();
	return false;
}

START_TEST(test_includes_in_sorted_order)
{
	make_directory();
	write_file("tend.ini", "[tend]\ninclude = conf.d/*.ini\ninclude = tend.ini\n"
		   "[service:first]\ncommand = first\n[group:g]\n");
	write_file("conf.d/b.ini", "[service:g/b]\ncommand = b\n");
	write_file("conf.d/a.ini", "[service:a]\ncommand = a\n[service:g/a]\ncommand = a\n");
	write_file("conf.d/c.txt", "not ini at all\n");
	struct config *config = load_file("tend.ini");
	ck_assert_msg(config != NULL, "%s", diagnostics.count ? diagnostics.lines[0] : "?");
	ck_assert_uint_eq(config->file_count, 3);
	ck_assert_ptr_nonnull(strstr(config->files[1], "conf.d/a.ini"));
	const struct config_group *root = &config->groups[0];
	ck_assert_uint_eq(root->child_count, 3);
	ck_assert_str_eq(config->services[root->children[0].index].name, "first");
	ck_assert_str_eq(config->groups[root->children[1].index].name, "g");
	ck_assert_str_eq(config->services[root->children[2].index].name, "a");
	const struct config_group *g = config_find_group(config, "g");
	ck_assert_str_eq(config->services[g->children[0].index].name, "g/a");
	ck_assert_str_eq(config->services[g->children[1].index].name, "g/b");
	ck_assert_ptr_eq(service(config, "g/b")->origin.file, config->files[2]);
	config_free(config);
	remove_directory();
}
END_TEST

START_TEST(test_include_problems)
{
	make_directory();
	write_file("tend.ini", "[tend]\ninclude = conf.d/*.ini\ninclude = conf.d/none-*.ini\n"
		   "include = missing.ini\n[service:a]\ncommand = a\n");
	write_file("conf.d/x.ini", "[service:x]\ncommand = x\n[tend]\nheartbeat = 1s\n"
		   "[service:y]\ncommand = 'y\n");
	struct config *config = load_file("tend.ini");
	ck_assert_ptr_null(config);
	ck_assert(has_file_problem("D/tend.ini:4: cannot read included file 'D/missing.ini': "
				   "No such file or directory"));
	ck_assert(has_file_problem("D/conf.d/x.ini:3: [tend] is allowed only in the main file"));
	ck_assert(has_file_problem("D/conf.d/x.ini:6: invalid command ''y': unterminated single quote"));
	ck_assert_uint_eq(diagnostics.count, 3);
	/* in file order: the main file's problems first */
	ck_assert_ptr_nonnull(strstr(diagnostics.lines[0], "missing.ini"));

	write_file("tend.ini", "[tend]\ninclude = conf.d\n");
	config = load_file("tend.ini");
	ck_assert_ptr_null(config);
	ck_assert(has_file_problem("D/tend.ini:2: cannot read included file 'D/conf.d': Is a directory"));

	write_file("tend.ini", "[group:g]\ninclude = x.ini\n");
	config = load_file("tend.ini");
	ck_assert(has_file_problem("D/tend.ini:2: key 'include' is not allowed in [group:g]"));

	/* a device, or a file above the size limit: the reason in words */
	write_file("tend.ini", "[tend]\ninclude = /dev/null\n[service:a]\ncommand = a\n"
		   "env-file = /dev/zero\n");
	config = load_file("tend.ini");
	ck_assert_ptr_null(config);
	ck_assert(has_file_problem("D/tend.ini:2: cannot read included file '/dev/null': "
				   "not a regular file"));
	ck_assert(has_file_problem("D/tend.ini:5: cannot read env-file '/dev/zero': "
				   "not a regular file"));
	char big_path[256];
	snprintf(big_path, sizeof big_path, "%s/big.ini", directory);
	FILE *big = fopen(big_path, "we");
	ck_assert_ptr_nonnull(big);
	for (int i = 0; i < (4 << 20) / 16 + 1; i++)
		fputs("; comment line.\n", big);
	fclose(big);
	write_file("tend.ini", "[tend]\ninclude = big.ini\n");
	config = load_file("tend.ini");
	ck_assert_ptr_null(config);
	ck_assert(has_file_problem("D/tend.ini:2: cannot read included file 'D/big.ini': "
				   "larger than 4 MiB"));

	config = load_file("nothing.ini");
	ck_assert_ptr_null(config);
	ck_assert(has_file_problem("D/nothing.ini: cannot read: No such file or directory"));
	remove_directory();
}
END_TEST

START_TEST(test_env_file)
{
	make_directory();
	write_file("app.env", "# settings\n\nA=from-file\nB=two words\n  C=3\nD=\n");
	write_file("tend.ini", "[service:a]\ncommand = a\nenv = A=override\nenv-file = app.env\n"
		   "env = E=5\n");
	struct config *config = load_file("tend.ini");
	ck_assert_msg(config != NULL, "%s", diagnostics.count ? diagnostics.lines[0] : "?");
	assert_argv(service(config, "a")->env,
		    (const char *[]){"A=override", "B=two words", "C=3", "D=", "E=5", NULL});
	config_free(config);

	write_file("bad.env", "OK=1\nnot a variable\n9X=1\n");
	write_file("tend.ini", "[service:a]\ncommand = a\nenv-file = bad.env\nenv-file = none.env\n");
	config = load_file("tend.ini");
	ck_assert_ptr_null(config);
	ck_assert(has_file_problem("D/bad.env:2: expected KEY=VALUE"));
	ck_assert(has_file_problem("D/bad.env:3: KEY must be letters, digits and '_', not starting "
				   "with a digit"));
	ck_assert(has_file_problem("D/tend.ini:4: cannot read env-file 'D/none.env': No such file "
				   "or directory"));
	ck_assert_uint_eq(diagnostics.count, 3);
	remove_directory();
}
END_TEST

/* ---- size ---- */

START_TEST(test_a_thousand_services_are_small)
{
	size_t size = 1000 * 48 + 1;
	char *text = malloc(size);
	size_t used = 0;
	for (int i = 0; i < 1000; i++)
		used += (size_t)snprintf(text + used, size - used,
					 "[service:svc%d]\ncommand = /usr/bin/app --serve\n", i);
	struct mallinfo2 before = mallinfo2();
	struct config *config = load_ok(text);
	struct mallinfo2 after = mallinfo2();
	ck_assert_uint_eq(config->service_count, 1000);
	/* uordblks: small blocks; hblkhd: the large arrays malloc maps */
	size_t per_service = (after.uordblks + after.hblkhd - before.uordblks - before.hblkhd) / 1000;
	ck_assert_msg(per_service < 1024, "%zu bytes per service", per_service);
	config_free(config);
	free(text);
}
END_TEST

Suite *config_suite(void)
{
	Suite *suite = suite_create("config");
	TCase *keys = tcase_create("keys");
	tcase_add_checked_fixture(keys, NULL, teardown);
	tcase_add_test(keys, test_defaults);
	tcase_add_test(keys, test_oneshot_restarts_on_failure_by_default);
	tcase_add_test(keys, test_empty_file_and_default_model);
	tcase_add_test(keys, test_global_and_root_keys);
	tcase_add_test(keys, test_service_keys);
	tcase_add_test(keys, test_ready_modes_and_signals);
	tcase_add_test(keys, test_group_without_user_and_numeric_user);
	tcase_add_test(keys, test_ready_quorum_forms);
	suite_add_tcase(suite, keys);

	TCase *syntax = tcase_create("syntax");
	tcase_add_checked_fixture(syntax, NULL, teardown);
	tcase_add_test(syntax, test_long_lines);
	tcase_add_test(syntax, test_comments_in_commands);
	tcase_add_test(syntax, test_continuation_lines);
	tcase_add_test(syntax, test_blank_line_ends_a_value);
	tcase_add_test(syntax, test_colon_is_not_a_separator);
	tcase_add_test(syntax, test_byte_order_mark_and_crlf);
	suite_add_tcase(suite, syntax);

	TCase *problems = tcase_create("problems");
	tcase_add_checked_fixture(problems, NULL, teardown);
	tcase_add_test(problems, test_unknown_key_and_missing_command);
	tcase_add_test(problems, test_every_problem_is_reported_in_file_order);
	tcase_add_test(problems, test_section_problems);
	tcase_add_test(problems, test_key_problems);
	tcase_add_test(problems, test_env_is_repeatable_and_checked);
	tcase_add_test(problems, test_value_problems);
	tcase_add_test(problems, test_global_value_problems);
	tcase_add_test(problems, test_combination_problems);
	suite_add_tcase(suite, problems);

	TCase *tree = tcase_create("tree");
	tcase_add_checked_fixture(tree, NULL, teardown);
	tcase_add_test(tree, test_tree_and_child_order);
	tcase_add_test(tree, test_tree_problems);
	tcase_add_test(tree, test_instances);
	tcase_add_test(tree, test_main_command);
	tcase_add_test(tree, test_main_command_conflicts);
	tcase_add_test(tree, test_main_command_conflict_among_other_problems);
	tcase_add_test(tree, test_equality);
	tcase_add_test(tree, test_a_thousand_services_are_small);
	suite_add_tcase(suite, tree);

	TCase *files = tcase_create("files");
	tcase_add_checked_fixture(files, NULL, teardown);
	tcase_add_test(files, test_includes_in_sorted_order);
	tcase_add_test(files, test_include_problems);
	tcase_add_test(files, test_env_file);
	suite_add_tcase(suite, files);
	return suite;
}
