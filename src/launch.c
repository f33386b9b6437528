/* launch.c: from a service's settings to a spawn request. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "util.h"

extern char **environ;

/* Variables that describe tend's own environment and would mislead a
 * service; NOTIFY_SOCKET and WATCHDOG_* are set afresh where they apply. */
static const char *const inherited_but_removed[] = {
	"NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID",
};

static bool name_matches(const char *entry, const char *name, size_t length)
{
	return strncmp(entry, name, length) == 0 && entry[length] == '=';
}

static bool is_removed(const char *entry)
{
	for (size_t i = 0; i < sizeof inherited_but_removed / sizeof inherited_but_removed[0]; i++)
		if (name_matches(entry, inherited_but_removed[i], strlen(inherited_but_removed[i])))
			return true;
	return false;
}

/* True when list (NULL-terminated KEY=VALUE) sets the variable of entry. */
static bool list_sets(char *const *list, const char *entry)
{
	size_t length = strcspn(entry, "=");
	for (; list != NULL && *list != NULL; list++)
		if (name_matches(*list, entry, length))
			return true;
	return false;
}

static size_t vector_length(char *const *vector)
{
	size_t count = 0;
	while (vector != NULL && vector[count] != NULL)
		count++;
	return count;
}

/* Where launch_environment() writes the NAME=value defaults it adds. */
struct environment_builder {
	char **vector;
	size_t count;
	char *text; /* free space after the vector, big enough for every default */
	char *const *own;
};

/* NAME=value, unless the service's own env sets NAME. */
static void add_default(struct environment_builder *builder, const char *name, const char *value)
{
	size_t name_length = strlen(name);
	for (char *const *entry = builder->own; entry != NULL && *entry != NULL; entry++)
		if (name_matches(*entry, name, name_length))
			return;
	char *text = builder->text;
	size_t value_length = strlen(value);
	memcpy(text, name, name_length);
	text[name_length] = '=';
	memcpy(text + name_length + 1, value, value_length + 1);
	builder->text += name_length + value_length + 2;
	builder->vector[builder->count++] = text;
}

/* The variables HOME, USER, LOGNAME, TEND_SERVICE, TEND_INSTANCE,
 * NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, with the longest values
 * they can have: the size of the text they need. */
enum { DEFAULT_COUNT = 8, INSTANCE_DIGITS = 12, NUMBER_DIGITS = 24, NOTIFY_NAME_MAX = 112 };

static struct {
	char **block;
	size_t size;
	char *pid_slot; /* WATCHDOG_PID's value in the last environment, or NULL */
} scratch;

char *launch_environment_pid_slot(void) { return scratch.pid_slot; }

void launch_release(void)
{
	free(scratch.block);
	scratch.block = NULL;
	scratch.size = 0;
}

/* The block for config's environment: the vector (capacity entries), then
 * the text of the defaults. */
static size_t environment_capacity(const struct config_service *config, char *const *base)
{
	return vector_length(base) + vector_length(config->env) + DEFAULT_COUNT + 1;
}

static size_t environment_size(const struct config_service *config, char *const *base)
{
	const char *home = config->user_home ? config->user_home : "/";
	const char *user = config->user_name ? config->user_name : "";
	size_t text_size = sizeof "TEND_SERVICE=" + strlen(config->name) +
			   sizeof "TEND_INSTANCE=" + INSTANCE_DIGITS +
			   sizeof "HOME=" + strlen(home) + sizeof "USER=" + strlen(user) +
			   sizeof "LOGNAME=" + strlen(user) +
			   sizeof "NOTIFY_SOCKET=" + NOTIFY_NAME_MAX +
			   sizeof "WATCHDOG_USEC=" + NUMBER_DIGITS + sizeof "WATCHDOG_PID=" + NUMBER_DIGITS;
	return environment_capacity(config, base) * sizeof(char *) + text_size;
}

int launch_reserve(const struct config_service *config, char *const *base)
{
	size_t size = environment_size(config, base);
	if (size <= scratch.size)
		return 0;
	char **grown = realloc(scratch.block, size);
	if (grown == NULL)
		return -1;
	scratch.block = grown;
	scratch.size = size;
	return 0;
}

char **launch_environment(const struct config_service *config, char *const *base)
{
	/* One block: the vector, then the text of the defaults. The other
	 * entries point into base and the model, which outlive the spawn: no
	 * copies. The block is reused from spawn to spawn: no malloc and free
	 * each time, which write to more heap pages, and every page tend writes
	 * after a fork costs it a copy-on-write fault. */
	if (launch_reserve(config, base) < 0)
		return NULL;
	const char *home = config->user_home ? config->user_home : "/";
	const char *user = config->user_name ? config->user_name : "";
	size_t capacity = environment_capacity(config, base);
	char **vector = scratch.block;
	struct environment_builder builder = {
		.vector = vector, .count = 0, .text = (char *)(vector + capacity), .own = config->env,
	};
	for (char *const *entry = base; !config->env_clear && entry && *entry; entry++) {
		if (is_removed(*entry) || list_sets(builder.own, *entry) ||
		    name_matches(*entry, "TEND_SERVICE", 12) || name_matches(*entry, "TEND_INSTANCE", 13))
			continue;
		if (config->set_user && (name_matches(*entry, "HOME", 4) ||
					 name_matches(*entry, "USER", 4) ||
					 name_matches(*entry, "LOGNAME", 7)))
			continue;
		vector[builder.count++] = *entry;
	}
	for (char *const *entry = config->env; entry != NULL && *entry != NULL; entry++)
		vector[builder.count++] = *entry;
	add_default(&builder, "TEND_SERVICE", config->name);
	if (config->instance >= 0) {
		char number[INSTANCE_DIGITS];
		snprintf(number, sizeof number, "%d", config->instance);
		add_default(&builder, "TEND_INSTANCE", number);
	}
	if (config->set_user && config->user_name != NULL) {
		add_default(&builder, "HOME", home);
		add_default(&builder, "USER", user);
		add_default(&builder, "LOGNAME", user);
	}
	scratch.pid_slot = NULL;
	const char *notify_socket = notify_socket_name();
	if (config->ready == READY_NOTIFY && notify_socket != NULL &&
	    strlen(notify_socket) < NOTIFY_NAME_MAX) {
		add_default(&builder, "NOTIFY_SOCKET", notify_socket);
		if (config->watchdog_ms > 0) {
			char number[NUMBER_DIGITS];
			snprintf(number, sizeof number, "%lld", (long long)config->watchdog_ms * 1000);
			add_default(&builder, "WATCHDOG_USEC", number);
			/* The child writes its own pid here before exec. */
			char *entry = builder.text;
			add_default(&builder, "WATCHDOG_PID", "00000000000");
			if (builder.text != entry)
				scratch.pid_slot = entry + sizeof "WATCHDOG_PID=" - 1;
		}
	}
	vector[builder.count] = NULL;
	return vector;
}

/* /dev/null, opened once (read-write, close-on-exec) and shared by every
 * service that wants it: two system calls less per start. -1 if it cannot
 * be opened (then the service inherits tend's fd instead). */
static int null_fd(void)
{
	static int fd = -1;
	if (fd < 0)
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	return fd;
}

/* The fd a service's stdout or stderr gets: -1 to inherit tend's (or, for
 * file:PATH, to let the child open *path as the service). */
static int output_fd(const struct output_setting *setting, const char **path)
{
	switch (setting->mode) {
	case OUTPUT_INHERIT:
	case OUTPUT_PREFIX: /* the relay's pipe (launch->prefix_fd), if it has one */
		return -1;
	case OUTPUT_NULL:
		return null_fd();
	case OUTPUT_FILE:
		*path = setting->path;
		return -1;
	}
	return -1;
}

static const int limit_resources[LIMIT_COUNT] = {
	[LIMIT_NOFILE] = RLIMIT_NOFILE, [LIMIT_NPROC] = RLIMIT_NPROC, [LIMIT_CORE] = RLIMIT_CORE,
	[LIMIT_MEMLOCK] = RLIMIT_MEMLOCK, [LIMIT_AS] = RLIMIT_AS, [LIMIT_STACK] = RLIMIT_STACK,
};

static int fill_limits(const struct config_service *config, struct spawn_limit *limits)
{
	int count = 0;
	for (int i = 0; config->limits != NULL && i < LIMIT_COUNT; i++)
		if (config->limits[i].set)
			limits[count++] = (struct spawn_limit){ limit_resources[i], config->limits[i].value };
	return count;
}

static void close_if_open(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* The ready = fd:N pipe: only tend's read end is non-blocking; the
 * service's write end blocks, as a plain write expects. */
static int readiness_pipe(int ends[2])
{
	if (pipe2(ends, O_CLOEXEC) < 0)
		return -1;
	if (fcntl(ends[0], F_SETFL, O_NONBLOCK) == 0)
		return 0;
	int saved = errno;
	close(ends[0]);
	close(ends[1]);
	ends[0] = ends[1] = -1;
	errno = saved;
	return -1;
}

/* What a service's process and its health check share: who they run as,
 * where, with which limits. */
static void fill_identity(const struct config_service *config, struct spawn_request *request,
			  struct spawn_limit *limits)
{
	request->directory = config->directory;
	request->umask_value = config->umask_value;
	request->limits = limits;
	request->limit_count = fill_limits(config, limits);
	request->set_oom_score = config->set_oom_score;
	request->oom_score_adj = config->oom_score_adj;
	request->set_user = config->set_user;
	request->set_group = config->set_group;
	request->uid = config->uid;
	request->gid = config->gid;
	request->groups = config->groups;
	request->group_count = (int)config->group_count;
	request->set_capabilities = config->set_capabilities;
	request->capabilities = config->capabilities;
	request->no_new_privileges = config->no_new_privileges;
}

/* Spawn with the service's environment; on failure to build it, say so. */
static int spawn_with_environment(const struct config_service *config, struct spawn_request *request,
				  struct spawn_result *result)
{
	char **environment = launch_environment(config, environ);
	request->envp = environment;
	if (environment == NULL) {
		memset(result, 0, sizeof *result);
		result->report_fd = -1;
		result->failed_stage = SPAWN_STAGE_FORK;
		result->error = ENOMEM;
		return -1;
	}
	request->child_pid_text = launch_environment_pid_slot();
	return spawn_start(request, result);
}

int launch_check(const struct config_service *config, int output_fd, struct spawn_result *result)
{
	struct spawn_request request;
	struct spawn_limit limits[LIMIT_COUNT];
	spawn_request_init(&request);
	request.argv = config->check_argv;
	request.isolation = SPAWN_SESSION; /* killed as a group at its timeout */
	/* vfork (spawn.h) makes a check cheap, but the child must not
	 * allocate: the capabilities stage does (libcap), so not with those */
	request.share_memory = !config->set_capabilities;
	fill_identity(config, &request, limits);
	request.stdin_fd = null_fd();
	request.stdout_fd = output_fd;
	request.stderr_fd = output_fd;
	return spawn_with_environment(config, &request, result);
}

int launch_service(const struct config_service *config, bool is_main, struct launch *launch)
{
	struct spawn_request request;
	struct spawn_limit limits[LIMIT_COUNT];
	int readiness[2] = { -1, -1 };
	spawn_request_init(&request);
	launch->readiness_fd = -1;
	launch->result = (struct spawn_result){ .report_fd = -1, .failed_stage = SPAWN_STAGE_FORK };
	request.argv = config->argv;
	request.isolation = is_main ? SPAWN_PROCESS_GROUP : SPAWN_SESSION;
	/* The main service gets the terminal when tend had it in the
	 * foreground; a restarted main again, although the foreground group
	 * is then still its dead predecessor's (SPEC §4). */
	static bool main_has_terminal;
	if (is_main && !main_has_terminal)
		main_has_terminal = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
	request.take_terminal = is_main && main_has_terminal;
	fill_identity(config, &request, limits);
	/* Only the main service may read tend's stdin (an interactive CMD). */
	request.stdin_fd = is_main ? -1 : null_fd();
	request.stdout_fd = output_fd(&config->stdout_setting, &request.stdout_path);
	request.stderr_fd = output_fd(&config->stderr_setting, &request.stderr_path);
	if (launch->prefix_fd[0] >= 0)
		request.stdout_fd = launch->prefix_fd[0];
	if (launch->prefix_fd[1] >= 0)
		request.stderr_fd = launch->prefix_fd[1];
	if (config->ready == READY_FD) {
		if (readiness_pipe(readiness) < 0) {
			launch->result.error = errno;
			return -1;
		}
		request.notify_source_fd = readiness[1];
		request.notify_target_fd = config->ready_fd;
	}
	int result = spawn_with_environment(config, &request, &launch->result);
	close_if_open(readiness[1]);
	if (result == 0)
		launch->readiness_fd = readiness[0];
	else
		close_if_open(readiness[0]);
	return result;
}
