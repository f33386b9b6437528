/* service.h: one supervised process and its state machine (SPEC §2.3, §2.4).
 *
 * Only service_step() assigns service->state. The wanted state (should it
 * run at all: autostart, later tendctl stop/start) is kept apart from the
 * actual one, and `reason` says why it is where it is. A service tells its
 * group what happened through group_child_event(); the group decides about
 * restarts (service_backoff) and stops. */
#ifndef TEND_SERVICE_H
#define TEND_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "loop.h"
#include "reaper.h"

struct group;
struct health_state;
struct output_relay;

enum service_state {
	SERVICE_STOPPED,
	SERVICE_STARTING, /* running, not yet ready */
	SERVICE_RUNNING,  /* running and ready */
	SERVICE_STOPPING,
	SERVICE_BACKOFF,  /* waiting to be restarted */
	SERVICE_EXITED,   /* ended and will not restart */
	SERVICE_FAILED,   /* its group gave up */
};

enum service_event {
	EVENT_START,        /* the group starts it */
	EVENT_STOP,         /* the group stops it */
	EVENT_EXEC_DONE,    /* the spawn report pipe closed: exec succeeded */
	EVENT_READY,        /* the readiness protocol said ready */
	EVENT_EXIT,         /* its process was reaped (service->last_exit) */
	EVENT_TIMER,        /* its deadline passed */
	EVENT_BACKOFF,      /* the group restarts it after service->backoff_delay_ms */
	EVENT_GIVE_UP,      /* its group gave up: failed */
	EVENT_RESET,        /* a group restart makes it startable again */
	EVENT_UNREADY,      /* running, no longer ready (RELOADING=1, STOPPING=1,
			       unhealthy with check-action = none) */
	EVENT_UNHEALTHY,    /* unhealthy with check-action = restart */
	EVENT_WATCHDOG,     /* the watchdog expired or was triggered */
};

struct service {
	const struct config_service *config;
	struct group *parent;
	size_t index; /* in parent->children */
	enum service_state state;
	bool wanted_up;
	bool ready;
	bool failing;      /* stopping because it failed (start timeout) */
	bool killed;       /* SIGKILL already sent for this stop */
	bool has_exited;
	bool lingering;    /* stopping: the leader exited, its group has not */
	bool queued;       /* starting, waiting for a spawn slot (no pid yet) */
	bool failure_pending; /* CHILD_FAILED posted, not yet handled by the group */
	pid_t pid;           /* the leader while it is not reaped; 0 after */
	pid_t process_group; /* the leader's group id: its members may outlive it */
	struct service *queue_next; /* the spawn queue, while queued */
	/* A reload's new settings for a service whose process is still being
	 * stopped: they become its config once the process is gone. */
	const struct config_service *next_config;
	struct watch report;    /* spawn report pipe */
	struct watch readiness; /* ready = fd:N pipe */
	struct health_state *health; /* NULL without notify, check or watchdog */
	struct timer timer;     /* start timeout, stop timeout or backoff */
	struct output_relay *output[2]; /* stdout, stderr = prefix (output.h) */
	unsigned restarts;      /* restarts scheduled since tend started */
	unsigned consecutive;   /* consecutive restarts, for the backoff */
	int64_t started_at, ready_at;
	int64_t backoff_delay_ms;
	struct exit_status last_exit;
	/* Why it is where it is: what service_reason() words. Kept as facts
	 * (a kind, a spawn stage and errno; the exit is last_exit) rather than
	 * text: 8 bytes instead of 72 in every service. */
	unsigned char reason;       /* enum service_reason */
	unsigned char reason_stage; /* enum spawn_stage, for the spawn reasons */
	/* errno of a spawn reason (errno values fit 16 bits: this keeps the
	 * struct at 184 bytes with the health pointer); REASON_WATCHDOG: 1
	 * when it was triggered (WATCHDOG=trigger) rather than missed. */
	short reason_errno;
};

enum service_reason {
	REASON_NONE,
	REASON_SPAWN_FAILED,  /* "exec failed: No such file or directory" */
	REASON_CANNOT_START,  /* "cannot start: fork failed: ..." */
	REASON_STOPPED,       /* "stopped" */
	REASON_COMPLETED,     /* "completed" (a oneshot) */
	REASON_EXIT,          /* "exit code 3", "killed by SIGSEGV" */
	REASON_ENDED,         /* "ended (exit code 0)" */
	REASON_START_TIMEOUT, /* "not ready within start-timeout (N ms)" */
	REASON_UNHEALTHY,     /* "unhealthy: N health checks failed in a row" */
	REASON_WATCHDOG,      /* "watchdog: no WATCHDOG=1 within N ms" */
};

/* The reason in words, in buffer ("" when there is none); REASON_SIZE
 * holds any of them whole. */
enum { REASON_SIZE = 640 }; /* an unhealthy verdict with the check's last output */
const char *service_reason(const struct service *service, char *buffer, size_t size);

/* Initialise (no process yet) for config in group parent at index. */
void service_init(struct service *service, const struct config_service *config,
		  struct group *parent, size_t index);
/* Feed an event; the only place that changes service->state. */
void service_step(struct service *service, enum service_event event);

/* State names as in SPEC §2.4 ("stopped", "starting", ...). */
const char *service_state_name(enum service_state state);
/* Not running and not about to be: stopped, backoff, exited, failed. */
bool service_is_down(const struct service *service);
/* Done starting for a sequential start: ready, or ended for good. */
bool service_is_settled(const struct service *service);
/* Whether an exit with this status counts as success for the service. */
bool service_exit_is_success(const struct config_service *config, struct exit_status status);
/* Whether an exit is a failure (SPEC §2.5) rather than an end for good. */
bool service_exit_is_failure(const struct config_service *config, struct exit_status status);
/* A stop whose leader exited waits for the rest of its process group:
 * finish it once the group is empty. Call after orphans were reaped. */
void service_check_lingering(struct service *service);
/* Send a signal to the service's process (group, when kill-group). */
void service_signal(struct service *service, int signal_number, bool whole_group);
/* MAINPID=: the service's main process is now pid (of its session). */
void service_adopt_pid(struct service *service, pid_t pid);
/* EXTEND_TIMEOUT_USEC=: a start or stop deadline is at least this far. */
void service_extend_timeout(struct service *service, int64_t milliseconds);
/* A reload: take config as the service's settings. Only while it has no
 * process (health state and output relays are made again as config says). */
void service_apply_config(struct service *service, const struct config_service *config);
void service_free(struct service *service);

#endif
