/* tree.c: tree mode (SPEC §2, §4): load the tree, run it, shut it down.
 *
 * Shutdown: stop the root (each group in reverse order per its `stop`),
 * then, as PID 1 or subreaper, TERM whatever is left, KILL it after a short
 * grace, and exit once waitpid says there are no children. The
 * shutdown-timeout deadline wins over everything: at it, all is SIGKILLed. */
#include "tree.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "autoconfig.h"

#include "config.h"
#include "events.h"
#include "group.h"
#include "health.h"
#include "healthfiles.h"
#include "launch.h"
#include "log.h"
#include "output.h"
#include "loop.h"
#include "notify.h"
#include "reaper.h"
#include "reload.h"
#include "server.h"
#include "service.h"
#include "signals.h"
#include "sweep.h"
#include "util.h"

/* Between TERM and KILL for processes left behind once the tree is down. */
enum { LEFTOVER_GRACE_MS = 2000 };

enum tree_phase { TREE_RUNNING, TREE_DRAINING, TREE_STOPPING, TREE_SWEEPING, TREE_STAYING };

static struct {
	const struct options *options;
	struct config *config;
	struct group **groups;     /* each allocated alone: a reload keeps */
	struct service **services; /* what it keeps at the same address */
	struct watch signals;
	struct timer drain_timer, deadline_timer;
	struct sweeper sweeper;
	enum tree_phase phase;
	pid_t self; /* getpid(), once */
	bool root_failed;
	struct service *main_service;
	int64_t started_at_ms;
	time_t started_at_wall;
} tree;

static void print_diagnostics(const struct diagnostics *diagnostics)
{
	for (size_t i = 0; i < diagnostics->count; i++)
		fprintf(stderr, "%s\n", diagnostics->lines[i]);
}

static void open_notify_socket(void);

static struct config *load(const struct options *options)
{
	struct diagnostics diagnostics = { 0 };
	struct config *config = options->command == NULL
		? config_load(options->config_path, &diagnostics)
		: config_load_command(options->config_path, options->command, &diagnostics);
	print_diagnostics(&diagnostics);
	diagnostics_free(&diagnostics);
	return config;
}

int tree_check(const struct options *options)
{
	struct config *config = load(options);
	if (config == NULL)
		return 2;
	printf("%s: valid (%zu services, %zu groups)\n", options->config_path,
	       config->service_count, config->group_count - 1);
	config_free(config);
	return 0;
}

struct config *tree_load_again(struct diagnostics *diagnostics)
{
	const struct options *options = tree.options;
	return options->command == NULL
		? config_load(options->config_path, diagnostics)
		: config_load_command(options->config_path, options->command, diagnostics);
}

void tree_install(struct config *config, struct service **services, struct group **groups)
{
	free(tree.services);
	free(tree.groups);
	tree.config = config;
	tree.services = services;
	tree.groups = groups;
	tree.main_service = config->main_service >= 0 ? services[config->main_service] : NULL;
	/* log-level applies; log-format stays as tend started (the prefixed
	 * output's relays are made in it). */
	log_set_level(config->log_level >= 0 ? (enum log_level)config->log_level : LOG_LEVEL_INFO);
	log_adjust_level(tree.options->verbosity);
	open_notify_socket();
}

bool tree_staying(void)
{
	return tree.phase == TREE_STAYING;
}

bool tree_shutting_down(void)
{
	return tree.phase != TREE_RUNNING && tree.phase != TREE_STAYING;
}

/* --- what the control socket reads --- */

size_t tree_service_count(void) { return tree.config ? tree.config->service_count : 0; }
struct service *tree_service(size_t index) { return tree.services[index]; }
size_t tree_group_count(void) { return tree.config ? tree.config->group_count : 0; }
struct group *tree_group(size_t index) { return tree.groups[index]; }
const struct config *tree_config(void) { return tree.config; }
const struct options *tree_options(void) { return tree.options; }
long long tree_started_at_ms(void) { return tree.started_at_ms; }
long long tree_started_at_wall(void) { return (long long)tree.started_at_wall; }

bool tree_is_live(void)
{
	return tree.config != NULL && !tree.root_failed;
}

bool tree_is_ready(void)
{
	return tree.groups != NULL && tree.groups[0]->ready && !tree_shutting_down();
}

/* --- shutdown --- */

/* Everything is down: forward what the services wrote last, within the
 * shutdown deadline, then stop. */
static void finish(void)
{
	int64_t deadline = loop_timer_armed(&tree.deadline_timer) ? tree.deadline_timer.due_ms
								   : loop_now() + 2000;
	loop_timer_cancel(&tree.deadline_timer);
	output_drain(loop_stop, deadline);
}

/* The tree is down: deal with whatever is left, then exit. */
static void sweep_leftovers(void)
{
	tree.phase = TREE_SWEEPING;
	sweeper_start(&tree.sweeper, LEFTOVER_GRACE_MS);
}

static void on_deadline(struct timer *timer)
{
	(void)timer;
	log_event(LOG_LEVEL_WARN, NULL, "shutdown",
		  "shutdown-timeout (%lld ms) reached: SIGKILL to everything left",
		  (long long)tree.config->shutdown_timeout_ms);
	events_tend("kill", "shutdown-timeout reached: SIGKILL to everything left");
	for (size_t i = 0; i < tree.config->service_count; i++)
		service_signal(tree.services[i], SIGKILL, true);
	reload_signal_removed(SIGKILL);
	tree.phase = TREE_SWEEPING;
	sweeper_kill_now(&tree.sweeper);
}

static void stop_root(void)
{
	tree.phase = TREE_STOPPING;
	log_event(LOG_LEVEL_INFO, NULL, "shutdown", "stopping the tree");
	events_tend("stopping", "stopping the tree");
	group_stop(tree.groups[0]);
}

static void on_drain(struct timer *timer)
{
	(void)timer;
	stop_root();
}

static void begin_shutdown(const char *why);

void tree_root_restarting(void)
{
	if (tree.phase != TREE_STAYING)
		return;
	log_event(LOG_LEVEL_INFO, NULL, "start", "the root supervisor is started again (tendctl start)");
	tree.phase = TREE_RUNNING;
	tree.root_failed = false;
	healthfiles_set_live(true);
}

void tree_shutdown(const char *why)
{
	begin_shutdown(why);
}

static void begin_shutdown(const char *why)
{
	if (tree.phase != TREE_RUNNING && tree.phase != TREE_STAYING) {
		log_event(LOG_LEVEL_INFO, NULL, "shutdown", "already shutting down (%s)", why);
		return;
	}
	/* First of all: Kubernetes takes the pod out of its endpoints on the
	 * failed readiness probe, while the services still serve. */
	healthfiles_set_ready(false);
	log_event(LOG_LEVEL_INFO, NULL, "shutdown", "shutting down: %s", why);
	events_tend("shutdown", why);
	loop_timer_set(&tree.deadline_timer, loop_now() + tree.config->shutdown_timeout_ms);
	if (tree.config->shutdown_drain_ms > 0) {
		tree.phase = TREE_DRAINING;
		log_event(LOG_LEVEL_INFO, NULL, "shutdown", "draining for %lld ms",
			  (long long)tree.config->shutdown_drain_ms);
		events_tend("drain", "removed ready; draining before the stop");
		if (loop_timer_set(&tree.drain_timer, loop_now() + tree.config->shutdown_drain_ms) == 0)
			return; /* else (no memory for a timer): no drain, stop now */
	}
	stop_root();
}

/* The root is down after a stop, or has given up. */
static void root_settled(bool failed)
{
	if (tree.phase == TREE_STOPPING || tree.phase == TREE_DRAINING) {
		sweep_leftovers();
		return;
	}
	if (!failed)
		return;
	tree.root_failed = true;
	healthfiles_set_live(false);
	if (tree.config->on_root_failure == ON_ROOT_FAILURE_STAY) {
		log_event(LOG_LEVEL_ERROR, NULL, "failed",
			  "the root supervisor gave up; staying up for inspection (on-root-failure = stay)");
		tree.phase = TREE_STAYING;
		events_tend("failed", "the root supervisor gave up; staying up (on-root-failure = stay)");
		return;
	}
	log_event(LOG_LEVEL_ERROR, NULL, "failed", "the root supervisor gave up: exiting");
	events_tend("failed", "the root supervisor gave up: exiting");
	loop_timer_set(&tree.deadline_timer, loop_now() + tree.config->shutdown_timeout_ms);
	sweep_leftovers();
}

void tree_root_event(void *root, int what, size_t index)
{
	(void)index;
	if (tree.groups == NULL || root != tree.groups[0]) {
		reload_removed_event(root, what); /* the removed things, stopping */
		return;
	}
	switch ((enum child_event)what) {
	case CHILD_DOWN:
		root_settled(false);
		return;
	case CHILD_FAILED:
		root_settled(true);
		return;
	case CHILD_READY:
	case CHILD_UNREADY:
		healthfiles_set_ready(what == CHILD_READY && !tree_shutting_down());
		return;
	case CHILD_EXITED:
	case CHILD_BACKOFF_ELAPSED:
		return; /* a group never reports these */
	}
}

void tree_main_ended(void *target, int what, size_t index)
{
	struct service *service = target;
	(void)what;
	(void)index;
	char description[64];
	log_event(LOG_LEVEL_INFO, service->config->name, "main", "main service ended (%s)",
		  exit_status_describe(service->last_exit, description, sizeof description));
	begin_shutdown("the main service ended");
}

/* --- signals --- */

static void forward_to_main(int signal_number)
{
	if (tree.main_service != NULL && tree.main_service->pid > 0) {
		service_signal(tree.main_service, signal_number, false);
		return;
	}
	log_event(LOG_LEVEL_INFO, NULL, "signal", "%s ignored (no main service running)",
		  signal_name(signal_number));
}

static void handle_signal(const struct signalfd_siginfo *info)
{
	int number = (int)info->ssi_signo;
	/* A write to a stderr nobody reads raises SIGPIPE in tend itself.
	 * Logging it would write again and raise another: dropped silently. */
	if (number == SIGPIPE && (pid_t)info->ssi_pid == tree.self)
		return;
	switch (number) {
	case SIGTERM:
	case SIGINT:
	case SIGQUIT:
		begin_shutdown(signal_name(number));
		return;
	case SIGHUP:
		if (info->ssi_code == SI_KERNEL)
			log_event(LOG_LEVEL_INFO, NULL, "signal", "terminal hangup (SIGHUP from the kernel) ignored");
		else
			reload_signal();
		return;
	case SIGUSR1:
	case SIGUSR2:
	case SIGWINCH:
		forward_to_main(number);
		return;
	default:
		log_event(LOG_LEVEL_DEBUG, NULL, "signal", "%s ignored", signal_name(number));
		return;
	}
}

static void on_signal(struct watch *watch, uint32_t events)
{
	(void)events;
	if (!signals_drain(watch->fd, handle_signal))
		return;
	bool no_children;
	reaper_collect(&no_children);
	for (size_t i = 0; i < tree.config->service_count; i++)
		service_check_lingering(tree.services[i]);
	reload_check_lingering();
	sweeper_reaped(&tree.sweeper, no_children);
}

/* --- building --- */

/* Room for what the running tree needs (a timer and a pid for each
 * service, a timer per group and a few of tend's own, the largest
 * environment), allocated before the loader's scratch memory is trimmed:
 * growing it later would leave holes behind in resident memory. */
int tree_reserve(const struct config *config)
{
	size_t timers = config->service_count + config->group_count + 8;
	if (loop_reserve_timers(timers) < 0 || reaper_reserve(config->service_count + 1) < 0 ||
	    loop_reserve_messages(2 * timers + 64) < 0)
		return -1;
	for (size_t i = 0; i < config->service_count; i++)
		if (launch_reserve(&config->services[i], environ) < 0)
			return -1;
	return 0;
}

static int build(void)
{
	struct config *config = tree.config;
	tree.groups = calloc(config->group_count, sizeof *tree.groups);
	tree.services = calloc(config->service_count ? config->service_count : 1, sizeof *tree.services);
	if (tree.groups == NULL || tree.services == NULL)
		return -1;
	for (size_t i = 0; i < config->group_count; i++) {
		tree.groups[i] = malloc(sizeof *tree.groups[i]);
		if (tree.groups[i] == NULL || group_init(tree.groups[i], &config->groups[i], NULL, 0,
							 config->groups[i].child_count) < 0)
			return -1;
	}
	for (size_t i = 0; i < config->service_count; i++) {
		tree.services[i] = malloc(sizeof *tree.services[i]);
		if (tree.services[i] == NULL)
			return -1;
		service_init(tree.services[i], &config->services[i], NULL, 0);
		if (health_attach(tree.services[i]) < 0)
			return -1;
	}
	for (size_t i = 0; i < config->group_count; i++) {
		struct group *group = tree.groups[i];
		for (size_t j = 0; j < group->child_count; j++) {
			const struct config_child *child = &config->groups[i].children[j];
			if (child->kind == CHILD_SERVICE) {
				struct service *service = tree.services[child->index];
				service->parent = group;
				service->index = j;
				group->children[j] = (struct node){ .kind = CHILD_SERVICE, .service = service };
			} else {
				struct group *sub = tree.groups[child->index];
				sub->parent = group;
				sub->index = j;
				group->children[j] = (struct node){ .kind = CHILD_GROUP, .group = sub };
			}
		}
	}
	if (tree_reserve(config) < 0)
		return -1;
	if (config->main_service >= 0)
		tree.main_service = tree.services[config->main_service];
	return 0;
}

/* The sd_notify socket, only when some service has ready = notify (once:
 * a reload that brings the first such service opens it). */
static void open_notify_socket(void)
{
	if (notify_socket_name() != NULL)
		return;
	for (size_t i = 0; i < tree.config->service_count; i++)
		if (tree.config->services[i].ready == READY_NOTIFY) {
			notify_open(tree.config->health_dir);
			return;
		}
}

static void release(void)
{
	server_close(); /* first: it removes the socket, so no client comes */
	for (size_t i = 0; tree.services && i < tree.config->service_count; i++)
		if (tree.services[i] != NULL) {
			service_free(tree.services[i]);
			free(tree.services[i]);
		}
	for (size_t i = 0; tree.groups && i < tree.config->group_count; i++)
		if (tree.groups[i] != NULL) {
			group_free(tree.groups[i]);
			free(tree.groups[i]);
		}
	free(tree.services);
	free(tree.groups);
	reload_release(); /* after the services: some may point into its models */
	loop_timer_cancel(&tree.drain_timer);
	loop_timer_cancel(&tree.deadline_timer);
	sweeper_cancel(&tree.sweeper);
	loop_watch_remove(&tree.signals);
	notify_close();
	launch_release();
	config_free(tree.config);
}

/* SPEC §4: the main service's status if there is one, else 0 for a
 * requested shutdown and 1 after the root failed. */
static int exit_status(void)
{
	if (tree.main_service != NULL && tree.main_service->has_exited)
		return exit_status_shell_code(tree.main_service->last_exit);
	return tree.root_failed ? 1 : 0;
}

static void apply_logging(const struct options *options)
{
	if (options->log_format < 0 && tree.config->log_format >= 0)
		log_set_format((enum log_format)tree.config->log_format);
	if (tree.config->log_level >= 0) {
		log_set_level((enum log_level)tree.config->log_level);
		log_adjust_level(options->verbosity);
	}
}

int tree_run(const struct options *options, int signal_fd)
{
	memset(&tree, 0, sizeof tree);
	tree.options = options;
	tree.self = getpid();
	tree.started_at_ms = monotonic_ms();
	tree.started_at_wall = time(NULL);
	tree.config = load(options);
	if (tree.config == NULL)
		return 2;
	apply_logging(options);
	config_compact(tree.config); /* best effort: on failure the model stays as it was */
	tree.drain_timer = (struct timer){ .callback = on_drain };
	tree.deadline_timer = (struct timer){ .callback = on_deadline };
	sweeper_init(&tree.sweeper, finish);
	tree.signals = (struct watch){ .fd = signal_fd, .callback = on_signal };
	/* The config is read: let go of the directory we were started in, so
	 * tend never keeps a mount busy. */
	if (chdir("/") < 0)
		log_warn("cannot change to /: %s", strerror(errno));
	if (build() < 0 || loop_watch_add(&tree.signals, EPOLLIN) < 0) {
		log_error("out of memory building the tree");
		release();
		return 1;
	}
	/* Give the loader's scratch memory back: what is left is the model and
	 * the tree, and nothing big is allocated again until a reload. */
	malloc_trim(0);
	reaper_collect(NULL); /* children we inherited are not services */
	/* The socket before anything that shows: a second tend on a live
	 * socket stops here, before it touches health files or starts a
	 * service (SPEC §6). */
	if (server_open(tree.config) < 0) {
		release();
		return 1;
	}
	log_event(LOG_LEVEL_INFO, NULL, "start", "tend %s: %zu services, %zu groups", PACKAGE_VERSION,
		  tree.config->service_count, tree.config->group_count - 1);
	healthfiles_open(tree.config->health_dir, tree.config->heartbeat_ms);
	open_notify_socket();
	group_start(tree.groups[0]);
	loop_run();
	int status = exit_status();
	healthfiles_close(); /* ready (gone already), then live: last */
	log_event(LOG_LEVEL_INFO, NULL, "exit", "exit status %d", status);
	if (events_wanted()) {
		char detail[32];
		snprintf(detail, sizeof detail, "exit status %d", status);
		events_tend("exit", detail);
	}
	release();
	return status;
}
