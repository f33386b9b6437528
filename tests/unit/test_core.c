/* test_core.c: the loop's clock and message queue, and the service state
 * machine driven by real child processes through the loop's seams (the
 * reaper is called by hand, so a test decides what tend sees first). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/config.h"
#include "../../src/group.h"
#include "../../src/log.h"
#include "../../src/loop.h"
#include "../../src/reaper.h"
#include "../../src/service.h"
#include "unit.h"

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

/* ---- the clock --------------------------------------------------------- */

/* A deadline armed after a slow phase (the config load of a big tree)
 * counts from when it is armed, not from when the loop was made. */
START_TEST(deadlines_count_from_a_fresh_clock)
{
	ck_assert_int_eq(loop_init(), 0);
	pause_ms(150);
	int64_t before = clock_ms();
	ck_assert_int_ge(loop_now(), before);
	loop_close();
}
END_TEST

/* ---- the message queue -------------------------------------------------- */

static char order[32];
static size_t order_length;

static void record(void *target, int what, size_t index)
{
	(void)target;
	(void)index;
	order[order_length++] = (char)what;
	/* a delivery that posts: delivered in the same round, after the rest */
	if (what == 'a')
		loop_post(record, NULL, 'c', 0);
	/* a delivery never delivers inside itself */
	ck_assert_uint_eq(loop_deliver(), 0);
}

START_TEST(messages_are_delivered_in_order_after_the_poster)
{
	order_length = 0;
	loop_post(record, NULL, 'a', 0);
	loop_post(record, NULL, 'b', 0);
	ck_assert_uint_eq(order_length, 0); /* nothing runs inside the post */
	ck_assert_uint_eq(loop_deliver(), 3);
	ck_assert_uint_eq(order_length, 3);
	ck_assert_int_eq(memcmp(order, "abc", 3), 0);
	ck_assert_uint_eq(loop_deliver(), 0);
	loop_close();
}
END_TEST

START_TEST(the_queue_grows_and_keeps_the_order)
{
	order_length = 0;
	ck_assert_int_eq(loop_reserve_messages(2), 0);
	for (int i = 0; i < 20; i++)
		loop_post(record, NULL, 'd' + i, 0);
	ck_assert_uint_eq(loop_deliver(), 20);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(order[i], 'd' + i);
	loop_close();
}
END_TEST

/* ---- services, driven by hand ------------------------------------------ */

static struct config *config;
static struct group root;
static struct service *services;
static struct diagnostics diagnostics;

/* Build the root group of text's services (no nested groups). */
static void build(const char *text)
{
	log_set_level(LOG_LEVEL_ERROR);
	config = config_load_string("t.ini", text, &diagnostics);
	ck_assert_msg(config != NULL, "config rejected: %s",
		      diagnostics.count ? diagnostics.lines[0] : "?");
	ck_assert_int_eq(loop_init(), 0);
	ck_assert_int_eq(group_init(&root, &config->groups[0], NULL, 0, config->service_count), 0);
	services = calloc(config->service_count, sizeof *services);
	for (size_t i = 0; i < config->service_count; i++) {
		service_init(&services[i], &config->services[i], &root, i);
		root.children[i] = (struct node){ .kind = CHILD_SERVICE, .service = &services[i] };
	}
}

static void teardown(void)
{
	for (size_t i = 0; i < config->service_count; i++) {
		if (services[i].pid > 0)
			kill(services[i].pid, SIGKILL);
		service_free(&services[i]);
	}
	group_free(&root);
	free(services);
	config_free(config);
	diagnostics_free(&diagnostics);
	loop_close();
	reaper_free();
	while (waitpid(-1, NULL, 0) > 0)
		;
}

/* Wait (bounded) until pid has exited, without reaping it. */
static void wait_exited(pid_t pid)
{
	siginfo_t info;
	int64_t deadline = clock_ms() + 5000;
	for (;;) {
		memset(&info, 0, sizeof info);
		ck_assert_int_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | WNOHANG), 0);
		if (info.si_pid == pid)
			return;
		ck_assert_msg(clock_ms() < deadline, "pid %d did not exit", (int)pid);
		pause_ms(5);
	}
}

/* A service that exits before tend has read its spawn report: tend learns
 * of the exit first. The report is then read only for failure facts; the
 * service is never declared ready (and at once failed). */
START_TEST(exit_before_the_report_is_never_ready)
{
	build("[service:quick]\ncommand = sh -c 'exit 1'\nrestart = on-failure\n"
	      "backoff-min = 10s\n");
	struct service *service = &services[0];
	group_start(&root);
	loop_deliver();
	ck_assert_int_eq(service->state, SERVICE_STARTING);
	pid_t pid = service->pid;
	ck_assert_int_gt(pid, 0);
	wait_exited(pid);
	ck_assert_int_eq(reaper_collect(NULL), 1); /* the report is still unread */
	loop_deliver();
	ck_assert(!service->ready);
	ck_assert_msg(service->ready_at == 0, "declared ready at %lld after it had exited",
		      (long long)service->ready_at);
	ck_assert(!root.ready);
	ck_assert_int_eq(service->state, SERVICE_BACKOFF); /* a failure, restarted later */
	teardown();
}
END_TEST

/* The reaper's callback forgets the pid at once: between the reap and the
 * transition nothing can signal it (it may belong to a stranger by then). */
START_TEST(a_reaped_pid_is_forgotten_at_the_reap)
{
	build("[service:s]\ncommand = sleep 100\n");
	struct service *service = &services[0];
	group_start(&root);
	loop_deliver();
	pid_t pid = service->pid;
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	wait_exited(pid);
	ck_assert_int_eq(reaper_collect(NULL), 1);
	ck_assert_int_eq(service->pid, 0); /* before the exit is even handled */
	ck_assert(service->has_exited);
	loop_deliver();
	ck_assert_int_eq(service->pid, 0);
	ck_assert_int_eq(service->process_group, 0);
	teardown();
}
END_TEST

/* kill-group = no: the leader exits on the stop signal while a member of
 * its process group lingers. The stop goes on for the group, by its id;
 * the leader's (reaped) pid is never used again. */
START_TEST(a_lingering_stop_keeps_the_group_not_the_reaped_pid)
{
	build("[service:s]\ncommand = sh -c 'sleep 100 & exec sleep 100'\n"
	      "kill-group = no\nstop-timeout = 10s\n");
	struct service *service = &services[0];
	group_start(&root);
	loop_deliver();
	pid_t leader = service->pid;
	ck_assert_int_gt(leader, 0);
	/* the background sleep exists once sh has forked it: the group has 2 */
	int64_t deadline = clock_ms() + 5000;
	while (kill(-leader, 0) == 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/exe", (int)leader);
		char target[256];
		ssize_t length = readlink(path, target, sizeof target - 1);
		if (length > 0 && strstr(target, "sleep") != NULL)
			break;
		ck_assert_msg(clock_ms() < deadline, "the service never exec'd sleep");
		pause_ms(5);
	}
	pause_ms(50);
	group_stop(&root);
	loop_deliver();
	ck_assert_int_eq(service->state, SERVICE_STOPPING);
	wait_exited(leader);
	ck_assert_int_ge(reaper_collect(NULL), 1);
	loop_deliver();
	ck_assert_int_eq(service->state, SERVICE_STOPPING);
	ck_assert(service->lingering);
	ck_assert_int_eq(service->pid, 0);
	ck_assert_int_eq(service->process_group, leader);
	ck_assert_int_eq(kill(-leader, SIGKILL), 0); /* the member is still there */
	teardown();
}
END_TEST

/* SPEC §2.2: a sequential start goes on after a oneshot only once it has
 * exited successfully. */
START_TEST(a_failed_oneshot_is_not_settled)
{
	build("[service:migrate]\ntype = oneshot\nrestart = never\ncommand = sh -c 'exit 1'\n"
	      "[service:app]\ncommand = sleep 100\n");
	group_start(&root);
	loop_deliver();
	pid_t pid = services[0].pid;
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(services[1].state, SERVICE_STOPPED); /* waits for migrate */
	wait_exited(pid);
	reaper_collect(NULL);
	loop_deliver();
	ck_assert_int_eq(services[0].state, SERVICE_EXITED);
	ck_assert(!service_is_settled(&services[0]));
	ck_assert_int_eq(services[1].state, SERVICE_STOPPED); /* held back */
	ck_assert_int_eq(root.state, GROUP_STARTING);
	ck_assert(!root.ready);
	teardown();
}
END_TEST

Suite *core_suite(void)
{
	Suite *suite = suite_create("core");
	TCase *loop = tcase_create("loop");
	tcase_add_test(loop, deadlines_count_from_a_fresh_clock);
	tcase_add_test(loop, messages_are_delivered_in_order_after_the_poster);
	tcase_add_test(loop, the_queue_grows_and_keeps_the_order);
	suite_add_tcase(suite, loop);
	TCase *service = tcase_create("service");
	tcase_set_timeout(service, 20);
	tcase_add_test(service, exit_before_the_report_is_never_ready);
	tcase_add_test(service, a_reaped_pid_is_forgotten_at_the_reap);
	tcase_add_test(service, a_lingering_stop_keeps_the_group_not_the_reaped_pid);
	tcase_add_test(service, a_failed_oneshot_is_not_settled);
	suite_add_tcase(suite, service);
	return suite;
}
