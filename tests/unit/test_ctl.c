/* test_ctl.c: the control commands' pure parts (names_suggest, JSON
 * strings, durations) and tendctl start/stop/restart on a small tree of
 * real processes, driven by hand through the loop's seams (the reaper and
 * the message queue are called by the test, as in test_core.c). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/config.h"
#include "../../src/group.h"
#include "../../src/log.h"
#include "../../src/loop.h"
#include "../../src/names.h"
#include "../../src/reaper.h"
#include "../../src/service.h"
#include "../../src/status.h"
#include "../../src/util.h"
#include "unit.h"

/* ---- names ------------------------------------------------------------ */

static const char *const candidates[] = {
	"db", "web", "web/nginx", "web/php", "worker", "worker.0", "worker.1",
};
enum { CANDIDATE_COUNT = sizeof candidates / sizeof *candidates };

START_TEST(distance_counts_a_swap_as_one_edit)
{
	ck_assert_uint_eq(names_distance("wbe", "web"), 1);
	ck_assert_uint_eq(names_distance("web", "web"), 0);
	ck_assert_uint_eq(names_distance("", "abc"), 3);
	ck_assert_uint_eq(names_distance("kitten", "sitting"), 3);
	ck_assert_uint_eq(names_distance("nginx", "ngixn"), 1);
	char long_name[NAMES_COMPARE_MAX + 2];
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	ck_assert_uint_eq(names_distance(long_name, "a"), SIZE_MAX);
}
END_TEST

START_TEST(suggest_finds_the_likely_typo)
{
	ck_assert_str_eq(names_suggest("wbe", candidates, CANDIDATE_COUNT), "web");
	ck_assert_str_eq(names_suggest("web/ngnix", candidates, CANDIDATE_COUNT), "web/nginx");
	ck_assert_str_eq(names_suggest("workr", candidates, CANDIDATE_COUNT), "worker");
	ck_assert_str_eq(names_suggest("dbb", candidates, CANDIDATE_COUNT), "db");
}
END_TEST

START_TEST(suggest_matches_the_last_component_of_a_path)
{
	ck_assert_str_eq(names_suggest("nginx", candidates, CANDIDATE_COUNT), "web/nginx");
	ck_assert_str_eq(names_suggest("pph", candidates, CANDIDATE_COUNT), "web/php");
}
END_TEST

START_TEST(suggest_nothing_for_a_far_name)
{
	ck_assert_ptr_null(names_suggest("postgres", candidates, CANDIDATE_COUNT));
	ck_assert_ptr_null(names_suggest("zzzzzz", candidates, CANDIDATE_COUNT));
	ck_assert_ptr_null(names_suggest("", candidates, CANDIDATE_COUNT));
	ck_assert_ptr_null(names_suggest("web", candidates, 0));
}
END_TEST

/* ---- formatting --------------------------------------------------------- */

static char *json(const char *text)
{
	struct strbuf buffer = { 0 };
	json_append_string(&buffer, text);
	return strbuf_take(&buffer);
}

static void assert_json(const char *text, const char *expected)
{
	char *got = json(text);
	ck_assert_str_eq(got, expected);
	free(got);
}

START_TEST(json_escapes_quotes_backslashes_and_control_bytes)
{
	assert_json("plain", "\"plain\"");
	assert_json("", "\"\"");
	assert_json("a\"b\\c", "\"a\\\"b\\\\c\"");
	assert_json("line\nnext\ttab\x01\x1f", "\"line\\u000anext\\u0009tab\\u0001\\u001f\"");
	assert_json("del\x7f", "\"del\\u007f\"");
}
END_TEST

START_TEST(json_keeps_valid_utf8_and_replaces_the_rest)
{
	assert_json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	assert_json("bad\xff", "\"bad\\ufffd\"");
	assert_json("cut\xc3", "\"cut\\ufffd\"");            /* truncated at the end */
	assert_json("\xc3(", "\"\\ufffd(\"");                 /* a missing continuation */
	assert_json("\xc0\xaf", "\"\\ufffd\\ufffd\"");        /* overlong '/' */
	assert_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* a surrogate */
	assert_json("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
}
END_TEST

START_TEST(durations_use_the_two_largest_units)
{
	char buffer[32];
	ck_assert_str_eq(status_format_duration(0, buffer, sizeof buffer), "0s");
	ck_assert_str_eq(status_format_duration(41, buffer, sizeof buffer), "41s");
	ck_assert_str_eq(status_format_duration(60, buffer, sizeof buffer), "1m");
	ck_assert_str_eq(status_format_duration(303, buffer, sizeof buffer), "5m3s");
	ck_assert_str_eq(status_format_duration(2 * 3600 + 5 * 60 + 7, buffer, sizeof buffer), "2h5m");
	ck_assert_str_eq(status_format_duration(3 * 86400 + 4 * 3600 + 59, buffer, sizeof buffer),
			 "3d4h");
	ck_assert_str_eq(status_format_duration(86400, buffer, sizeof buffer), "1d");
	ck_assert_str_eq(status_format_duration(-5, buffer, sizeof buffer), "0s");
}
END_TEST

/* ---- start, stop, restart on a tree of real processes ------------------- */

static int64_t clock_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void pause_ms(long ms)
{
	struct timespec pause = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
		;
}

static struct config *config;
static struct group *groups;
static struct service *services;
static struct diagnostics diagnostics;

/* Build the whole tree of text as tree.c does. */
static void build(const char *text)
{
	log_set_level(LOG_LEVEL_ERROR);
	config = config_load_string("t.ini", text, &diagnostics);
	ck_assert_msg(config != NULL, "config rejected: %s",
		      diagnostics.count ? diagnostics.lines[0] : "?");
	ck_assert_int_eq(loop_init(), 0);
	groups = calloc(config->group_count, sizeof *groups);
	services = calloc(config->service_count, sizeof *services);
	for (size_t i = 0; i < config->group_count; i++)
		ck_assert_int_eq(group_init(&groups[i], &config->groups[i], NULL, 0,
					    config->groups[i].child_count), 0);
	for (size_t i = 0; i < config->group_count; i++)
		for (size_t j = 0; j < groups[i].child_count; j++) {
			const struct config_child *child = &config->groups[i].children[j];
			if (child->kind == CHILD_SERVICE) {
				struct service *service = &services[child->index];
				service_init(service, &config->services[child->index], &groups[i], j);
				groups[i].children[j] = (struct node){ .kind = CHILD_SERVICE, .service = service };
			} else {
				groups[child->index].parent = &groups[i];
				groups[child->index].index = j;
				groups[i].children[j] = (struct node){ .kind = CHILD_GROUP,
								       .group = &groups[child->index] };
			}
		}
}

static void teardown(void)
{
	for (size_t i = 0; i < config->service_count; i++) {
		if (services[i].process_group > 0)
			kill(-services[i].process_group, SIGKILL);
		service_free(&services[i]);
	}
	for (size_t i = 0; i < config->group_count; i++)
		group_free(&groups[i]);
	free(groups);
	free(services);
	config_free(config);
	diagnostics_free(&diagnostics);
	loop_close();
	reaper_free();
	while (waitpid(-1, NULL, 0) > 0)
		;
}

/* What the loop would do next: reap, read the spawn reports (the loop's
 * epoll is not run here), deliver the messages. */
static void turn(void)
{
	reaper_collect(NULL);
	for (size_t i = 0; i < config->service_count; i++)
		if (services[i].report.fd >= 0)
			services[i].report.callback(&services[i].report, EPOLLIN);
	loop_deliver();
}

/* Turn until the service is in state (bounded). */
static void settle(struct service *service, enum service_state state)
{
	int64_t deadline = clock_ms() + 5000;
	for (;;) {
		turn();
		if (service->state == state)
			return;
		ck_assert_msg(clock_ms() < deadline, "%s stayed %s, not %s", service->config->name,
			      service_state_name(service->state), service_state_name(state));
		pause_ms(5);
	}
}

/* Its backoff delay is over, without waiting for the loop's timer. */
static void end_backoff(struct service *service)
{
	ck_assert_int_eq(service->state, SERVICE_BACKOFF);
	loop_timer_cancel(&service->timer);
	service_step(service, EVENT_TIMER);
	loop_deliver();
}

START_TEST(restart_gives_a_new_pid_and_is_not_a_failure)
{
	build("[service:a]\ncommand = sleep 100\n[service:b]\ncommand = sleep 100\n");
	struct group *root = &groups[0];
	group_start(root);
	settle(&services[1], SERVICE_RUNNING);
	pid_t before = services[0].pid;
	group_command_restart(root, 0);
	loop_deliver();
	ck_assert_int_eq(services[0].state, SERVICE_STOPPING);
	settle(&services[0], SERVICE_RUNNING);
	ck_assert_int_gt(services[0].pid, 0);
	ck_assert_int_ne(services[0].pid, before);
	ck_assert_uint_eq(services[0].restarts, 0);
	ck_assert(services[0].wanted_up);
	ck_assert_int_eq(services[1].state, SERVICE_RUNNING); /* one-for-one: b untouched */
	ck_assert(root->ready);
	teardown();
}
END_TEST

/* SPEC §6: stop holds a service down across its group's one-for-all
 * restart after a sibling crashed; start brings it back. */
START_TEST(stop_holds_across_a_one_for_all_restart)
{
	build("[tend]\nstrategy = one-for-all\n"
	      "[service:a]\ncommand = sleep 100\n[service:b]\ncommand = sleep 100\n");
	struct group *root = &groups[0];
	group_start(root);
	settle(&services[1], SERVICE_RUNNING);
	group_command_stop(root, 0);
	settle(&services[0], SERVICE_STOPPED);
	ck_assert(!services[0].wanted_up);
	ck_assert(root->ready); /* a held service does not count */
	pid_t old_b = services[1].pid;
	ck_assert_int_eq(kill(old_b, SIGKILL), 0);
	settle(&services[1], SERVICE_BACKOFF);
	end_backoff(&services[1]);
	settle(&services[1], SERVICE_RUNNING);
	ck_assert_int_ne(services[1].pid, old_b);
	ck_assert_int_eq(services[0].state, SERVICE_STOPPED); /* still held */
	ck_assert_int_eq(services[0].pid, 0);
	group_command_start(root, 0);
	loop_deliver();
	settle(&services[0], SERVICE_RUNNING);
	ck_assert(services[0].wanted_up);
	teardown();
}
END_TEST

/* A held service whose process fails while it is being stopped is not
 * restarted and costs the group nothing. */
START_TEST(stop_during_backoff_keeps_it_down)
{
	build("[service:a]\ncommand = sleep 100\nbackoff-min = 10s\n");
	struct group *root = &groups[0];
	group_start(root);
	settle(&services[0], SERVICE_RUNNING);
	ck_assert_int_eq(kill(services[0].pid, SIGKILL), 0);
	settle(&services[0], SERVICE_BACKOFF);
	ck_assert_uint_eq(services[0].restarts, 1);
	group_command_stop(root, 0);
	loop_deliver();
	ck_assert_int_eq(services[0].state, SERVICE_STOPPED);
	ck_assert(!loop_timer_armed(&services[0].timer));
	group_command_start(root, 0);
	settle(&services[0], SERVICE_RUNNING);
	ck_assert_uint_eq(services[0].restarts, 1);
	teardown();
}
END_TEST

/* A service that ended for good (restart = never) runs again when start
 * names it, also in a group that was stopped. */
START_TEST(start_runs_an_exited_service_again)
{
	build("[group:g]\n[service:g/once]\ncommand = sleep 0.2\nrestart = never\n"
	      "[service:g/other]\ncommand = sleep 100\n");
	struct group *root = &groups[0], *g = &groups[1];
	group_start(root);
	settle(&services[0], SERVICE_EXITED);
	group_command_start(g, 0);
	settle(&services[0], SERVICE_RUNNING);
	settle(&services[0], SERVICE_EXITED);
	group_command_stop(root, g->index);
	settle(&services[1], SERVICE_STOPPED);
	ck_assert_int_eq(g->state, GROUP_STOPPED);
	group_command_start(g, 0);
	settle(&services[0], SERVICE_RUNNING);
	settle(&services[1], SERVICE_RUNNING);
	ck_assert_int_eq(g->state, GROUP_UP);
	teardown();
}
END_TEST

/* One-for-all: a child fails and waits for its delay before the group
 * restarts all; a stop of it then holds it and the siblings are restarted
 * at once, as its failure asked. */
START_TEST(stop_during_a_pending_one_for_all_restart)
{
	build("[tend]\nstrategy = one-for-all\n"
	      "[service:a]\ncommand = sleep 100\n"
	      "[service:b]\ncommand = sleep 100\nbackoff-min = 10s\nbackoff-max = 10s\n");
	struct group *root = &groups[0];
	group_start(root);
	settle(&services[1], SERVICE_RUNNING);
	pid_t a = services[0].pid;
	ck_assert_int_eq(kill(services[1].pid, SIGKILL), 0);
	settle(&services[1], SERVICE_BACKOFF);
	ck_assert_int_eq(services[0].pid, a); /* a waits for b's delay */
	group_command_stop(root, 1);
	loop_deliver();
	ck_assert_int_eq(services[1].state, SERVICE_STOPPED);
	int64_t deadline = clock_ms() + 5000;
	while (!(services[0].state == SERVICE_RUNNING && services[0].pid != a)) {
		ck_assert_msg(clock_ms() < deadline, "a was not restarted (%s)",
			      service_state_name(services[0].state));
		turn();
		pause_ms(5);
	}
	ck_assert_int_eq(services[1].state, SERVICE_STOPPED);
	ck_assert_int_eq(root->state, GROUP_UP);
	teardown();
}
END_TEST

/* A group as a unit: stop holds it (and its children) down across its
 * parent's restart; start brings it up; a start naming a child of a
 * stopped group brings the group up. */
START_TEST(a_group_is_stopped_and_started_as_a_unit)
{
	build("[group:web]\n"
	      "[service:web/a]\ncommand = sleep 100\n[service:web/b]\ncommand = sleep 100\n"
	      "[service:db]\ncommand = sleep 100\n");
	struct group *root = &groups[0], *web = &groups[1];
	group_start(root);
	settle(&services[2], SERVICE_RUNNING);
	ck_assert_int_eq(web->state, GROUP_UP);
	group_command_stop(root, web->index);
	settle(&services[0], SERVICE_STOPPED);
	settle(&services[1], SERVICE_STOPPED);
	ck_assert_int_eq(web->state, GROUP_STOPPED);
	ck_assert_int_eq(services[2].state, SERVICE_RUNNING);
	/* its parent restarts (as after a failure): web stays down */
	group_stop(root);
	settle(&services[2], SERVICE_STOPPED);
	group_start(root);
	settle(&services[2], SERVICE_RUNNING);
	ck_assert_int_eq(web->state, GROUP_STOPPED);
	ck_assert_int_eq(services[0].state, SERVICE_STOPPED);
	/* start a child of the held group: the group comes up with it */
	group_command_start(web, 1);
	settle(&services[1], SERVICE_RUNNING);
	settle(&services[0], SERVICE_RUNNING);
	ck_assert(web->wanted_up);
	ck_assert_int_eq(web->state, GROUP_UP);
	/* restart the whole group: new pids for both */
	pid_t a = services[0].pid, b = services[1].pid;
	group_command_restart(root, web->index);
	loop_deliver();
	ck_assert_int_eq(web->phase, PHASE_STOPPING);
	int64_t deadline = clock_ms() + 5000;
	while (!(services[0].pid > 0 && services[0].pid != a && services[1].pid > 0 &&
		 services[1].pid != b && services[1].state == SERVICE_RUNNING)) {
		ck_assert_msg(clock_ms() < deadline, "web was not restarted");
		turn();
		pause_ms(5);
	}
	ck_assert_uint_eq(web->restarts, 0);
	teardown();
}
END_TEST

/* SPEC §2.4: a failed service stays down until its group is restarted or
 * tendctl start names it. Naming a service of a group that gave up runs
 * the group again at once (its parent's delay is cancelled), with the
 * named service; the others stay failed until named too. */
START_TEST(start_clears_a_failed_group)
{
	build("[tend]\nbackoff-min = 1h\nbackoff-max = 1h\n"
	      "[group:g]\nmax-restarts = 0\n"
	      "[service:g/a]\ncommand = sleep 100\n[service:g/b]\ncommand = sleep 100\n");
	struct group *root = &groups[0], *g = &groups[1];
	group_start(root);
	settle(&services[1], SERVICE_RUNNING);
	ck_assert_int_eq(kill(services[0].pid, SIGKILL), 0);
	settle(&services[0], SERVICE_FAILED);
	settle(&services[1], SERVICE_FAILED);
	ck_assert_int_eq(g->state, GROUP_FAILED);
	ck_assert(loop_timer_armed(&g->backoff_timer)); /* root restarts it in an hour */
	group_command_start(g, 0);
	settle(&services[0], SERVICE_RUNNING);
	ck_assert(!loop_timer_armed(&g->backoff_timer));
	ck_assert_int_eq(g->state, GROUP_UP);
	ck_assert_int_eq(services[1].state, SERVICE_FAILED); /* not named: stays down */
	ck_assert(!g->ready);
	group_command_start(g, 1);
	settle(&services[1], SERVICE_RUNNING);
	ck_assert(g->ready);
	/* a restart of the group by its parent resets every child */
	group_command_stop(root, g->index);
	settle(&services[0], SERVICE_STOPPED);
	ck_assert_int_eq(g->state, GROUP_STOPPED);
	group_command_start(root, g->index);
	settle(&services[1], SERVICE_RUNNING);
	settle(&services[0], SERVICE_RUNNING);
	teardown();
}
END_TEST

/* Stop and restart arriving while the group is in the middle of a
 * phase: level-triggered, each is taken into account. */
START_TEST(commands_during_a_sequential_start)
{
	build("[tend]\nstart = sequential\n"
	      "[service:slow]\ncommand = sleep 100\nready = fd:3\n"
	      "[service:after]\ncommand = sleep 100\n");
	struct group *root = &groups[0];
	group_start(root);
	loop_deliver();
	/* signalled only after its exec: a forked child still runs check's
	 * handlers (tend has every signal blocked; this test program not) */
	int64_t deadline = clock_ms() + 5000;
	while (services[0].report.fd >= 0) {
		ck_assert_msg(clock_ms() < deadline, "slow never exec'd");
		turn();
	}
	ck_assert_int_eq(services[0].state, SERVICE_STARTING);
	ck_assert_int_eq(services[1].state, SERVICE_STOPPED);
	/* stop the one the start waits for: the start goes on without it */
	group_command_stop(root, 0);
	settle(&services[0], SERVICE_STOPPED);
	settle(&services[1], SERVICE_RUNNING);
	ck_assert_int_eq(root->state, GROUP_UP);
	/* stop, then start before it is down: it comes back once down */
	group_command_stop(root, 1);
	loop_deliver();
	ck_assert_int_eq(services[1].state, SERVICE_STOPPING);
	group_command_start(root, 1);
	loop_deliver();
	settle(&services[1], SERVICE_RUNNING);
	teardown();
}
END_TEST

Suite *ctl_suite(void)
{
	Suite *suite = suite_create("ctl");
	TCase *names = tcase_create("names");
	tcase_add_test(names, distance_counts_a_swap_as_one_edit);
	tcase_add_test(names, suggest_finds_the_likely_typo);
	tcase_add_test(names, suggest_matches_the_last_component_of_a_path);
	tcase_add_test(names, suggest_nothing_for_a_far_name);
	suite_add_tcase(suite, names);
	TCase *format = tcase_create("format");
	tcase_add_test(format, json_escapes_quotes_backslashes_and_control_bytes);
	tcase_add_test(format, json_keeps_valid_utf8_and_replaces_the_rest);
	tcase_add_test(format, durations_use_the_two_largest_units);
	suite_add_tcase(suite, format);
	TCase *commands = tcase_create("commands");
	tcase_set_timeout(commands, 30);
	tcase_add_test(commands, restart_gives_a_new_pid_and_is_not_a_failure);
	tcase_add_test(commands, stop_holds_across_a_one_for_all_restart);
	tcase_add_test(commands, stop_during_backoff_keeps_it_down);
	tcase_add_test(commands, stop_during_a_pending_one_for_all_restart);
	tcase_add_test(commands, start_runs_an_exited_service_again);
	tcase_add_test(commands, a_group_is_stopped_and_started_as_a_unit);
	tcase_add_test(commands, start_clears_a_failed_group);
	tcase_add_test(commands, commands_during_a_sequential_start);
	suite_add_tcase(suite, commands);
	return suite;
}
