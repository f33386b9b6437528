/* test_single.c: the command line (SPEC §1.1), exit statuses, signal names
 * and which signals single-command mode forwards (SPEC §1.2). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/log.h"
#include "../../src/options.h"
#include "../../src/reaper.h"
#include "../../src/signals.h"
#include "../../src/single.h"
#include "unit.h"

/* ---- options_parse ---------------------------------------------------- */

/* argv is NULL-terminated. options_parse keeps options->command pointing
 * into the array, so it is copied to storage that outlives the caller's
 * compound literal (which dies with the assertion macro's block); it stays
 * valid until the next parse(). */
static int parse(struct options *options, char **argv)
{
	static char *kept[32];
	int argc = 0;
	while (argv[argc] != NULL) {
		ck_assert_int_lt(argc, (int)(sizeof kept / sizeof kept[0]) - 1);
		kept[argc] = argv[argc];
		argc++;
	}
	kept[argc] = NULL;
	return options_parse(argc, kept, options);
}

static void assert_command(const struct options *options, const char *const *expected)
{
	ck_assert_ptr_nonnull(options->command);
	size_t i = 0;
	for (; expected[i] != NULL; i++) {
		ck_assert_msg(options->command[i] != NULL, "word %zu missing", i);
		ck_assert_str_eq(options->command[i], expected[i]);
	}
	ck_assert_msg(options->command[i] == NULL, "extra word '%s'", options->command[i]);
}

/* TEND_CONFIG must not leak in from the environment or between tests. */
static void clear_tend_config(void)
{
	unsetenv("TEND_CONFIG");
}

START_TEST(test_double_dash_runs_one_command)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--", "sleep", "1", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_SINGLE);
	assert_command(&options, (const char *[]){ "sleep", "1", NULL });
	/* No config, so no socket and no health files in this mode. */
	ck_assert_ptr_null(options.config_path);
	/* Defaults. */
	ck_assert(!options.process_group);
	ck_assert_int_eq(options.success_count, 0);
	ck_assert_int_eq(options.parent_death_signal, 0);
	ck_assert_int_eq(options.grace_ms, 3000);
	ck_assert_int_eq(options.verbosity, 0);
	ck_assert_int_eq(options.log_format, -1);
}
END_TEST

START_TEST(test_options_stop_at_first_non_option_word)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "sleep", "-x", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_SINGLE);
	assert_command(&options, (const char *[]){ "sleep", "-x", NULL });

	/* The child's own options are not tend's: -g and -v after CMD are CMD's. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-g", "sh", "-v", "-g", NULL }), 0);
	ck_assert(options.process_group);
	ck_assert_int_eq(options.verbosity, 0);
	assert_command(&options, (const char *[]){ "sh", "-v", "-g", NULL });

	/* After --, even words that look like options belong to CMD. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--", "-g", "--help", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_SINGLE);
	ck_assert(!options.process_group);
	assert_command(&options, (const char *[]){ "-g", "--help", NULL });
}
END_TEST

START_TEST(test_config_option_runs_the_tree)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-c", "/app/tend.ini", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_TREE);
	ck_assert_str_eq(options.config_path, "/app/tend.ini");
	ck_assert_ptr_null(options.command);

	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--config", "a.ini", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_TREE);
	ck_assert_str_eq(options.config_path, "a.ini");

	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--config=b.ini", NULL }), 0);
	ck_assert_str_eq(options.config_path, "b.ini");

	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-cattached.ini", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_TREE);
	ck_assert_str_eq(options.config_path, "attached.ini");
}
END_TEST

START_TEST(test_config_with_command_makes_it_the_main_service)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-c", "t.ini", "--", "app", "--port", "80",
						     NULL }),
			 0);
	ck_assert_int_eq(options.mode, MODE_TREE);
	ck_assert_str_eq(options.config_path, "t.ini");
	assert_command(&options, (const char *[]){ "app", "--port", "80", NULL });
}
END_TEST

START_TEST(test_no_arguments_runs_etc_tend_ini)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_TREE);
	ck_assert_str_eq(options.config_path, "/etc/tend.ini");
	ck_assert_ptr_null(options.command);

	/* Options alone do not change that. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-v", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_TREE);
	ck_assert_str_eq(options.config_path, "/etc/tend.ini");
}
END_TEST

START_TEST(test_tend_config_environment_names_the_tree)
{
	struct options options;
	ck_assert_int_eq(setenv("TEND_CONFIG", "/srv/tend.ini", 1), 0);

	ck_assert_int_eq(parse(&options, (char *[]){ "tend", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_TREE);
	ck_assert_str_eq(options.config_path, "/srv/tend.ini");

	/* ENTRYPOINT ["/tend", "--"] with a CMD still runs the tree. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--", "app", "-x", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_TREE);
	ck_assert_str_eq(options.config_path, "/srv/tend.ini");
	assert_command(&options, (const char *[]){ "app", "-x", NULL });

	/* -c wins over the environment. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-c", "/own.ini", NULL }), 0);
	ck_assert_str_eq(options.config_path, "/own.ini");

	/* An empty TEND_CONFIG is as if unset. */
	ck_assert_int_eq(setenv("TEND_CONFIG", "", 1), 0);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--", "app", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_SINGLE);
	ck_assert_ptr_null(options.config_path);
}
END_TEST

START_TEST(test_check_option_validates_without_running)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-t", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_CHECK);
	ck_assert_str_eq(options.config_path, "/etc/tend.ini");

	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--check", "-c", "x.ini", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_CHECK);
	ck_assert_str_eq(options.config_path, "x.ini");
}
END_TEST

START_TEST(test_process_group_option)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-g", "--", "sh", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_SINGLE);
	ck_assert(options.process_group);
	/* -s is accepted for tini compatibility and changes nothing. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-s", "--", "sh", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_SINGLE);
	ck_assert(!options.process_group);
}
END_TEST

START_TEST(test_success_codes_map_to_zero)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-e", "143", "-e", "3", "--", "app",
						     NULL }),
			 0);
	ck_assert_int_eq(options.success_count, 2);
	ck_assert_int_eq(options_map_exit_code(&options, 143), 0);
	ck_assert_int_eq(options_map_exit_code(&options, 3), 0);
	ck_assert_int_eq(options_map_exit_code(&options, 5), 5);
	ck_assert_int_eq(options_map_exit_code(&options, 0), 0);
	ck_assert_int_eq(options_map_exit_code(&options, 137), 137);

	/* Attached, and the limits 0 and 255. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-e255", "-e", "0", "--", "app", NULL }), 0);
	ck_assert_int_eq(options_map_exit_code(&options, 255), 0);
	ck_assert_int_eq(options_map_exit_code(&options, 254), 254);

	/* Without -e every code is kept. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--", "app", NULL }), 0);
	ck_assert_int_eq(options_map_exit_code(&options, 143), 143);
}
END_TEST

START_TEST(test_success_code_out_of_range_is_usage_error)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-e", "256", "--", "app", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-e", "-1", "--", "app", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-e", "abc", "--", "app", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-e", "", "--", "app", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-e", "3x", "--", "app", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-e", NULL }), 2);
}
END_TEST

START_TEST(test_parent_death_signal_by_name_or_number)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-p", "KILL", "--", "a", NULL }), 0);
	ck_assert_int_eq(options.parent_death_signal, SIGKILL);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-p", "SIGTERM", "--", "a", NULL }), 0);
	ck_assert_int_eq(options.parent_death_signal, SIGTERM);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-p", "9", "--", "a", NULL }), 0);
	ck_assert_int_eq(options.parent_death_signal, 9);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-pHUP", "--", "a", NULL }), 0);
	ck_assert_int_eq(options.parent_death_signal, SIGHUP);

	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-p", "BOGUS", "--", "a", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-p", "0", "--", "a", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-p", NULL }), 2);
}
END_TEST

START_TEST(test_grace_takes_a_duration)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--grace", "500ms", "--", "a", NULL }), 0);
	ck_assert_int_eq(options.grace_ms, 500);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--grace=2s", "--", "a", NULL }), 0);
	ck_assert_int_eq(options.grace_ms, 2000);
	/* A bare number is seconds (SPEC §2). */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--grace", "10", "--", "a", NULL }), 0);
	ck_assert_int_eq(options.grace_ms, 10000);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--grace", "0", "--", "a", NULL }), 0);
	ck_assert_int_eq(options.grace_ms, 0);

	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--grace", "x", "--", "a", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--grace=", "--", "a", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--grace", NULL }), 2);
}
END_TEST

START_TEST(test_verbosity_counts_v_and_q)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-vv", NULL }), 0);
	ck_assert_int_eq(options.verbosity, 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-v", "-v", "-v", NULL }), 0);
	ck_assert_int_eq(options.verbosity, 3);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-q", NULL }), 0);
	ck_assert_int_eq(options.verbosity, -1);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-vq", NULL }), 0);
	ck_assert_int_eq(options.verbosity, 0);
}
END_TEST

START_TEST(test_log_format_is_text_or_json)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--log-format", "json", NULL }), 0);
	ck_assert_int_eq(options.log_format, LOG_FORMAT_JSON);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--log-format=text", NULL }), 0);
	ck_assert_int_eq(options.log_format, LOG_FORMAT_TEXT);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--log-format", "xml", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--log-format", "JSONX", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--log-format", NULL }), 2);
}
END_TEST

START_TEST(test_unknown_option_is_usage_error)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-z", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--zzz", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-gz", "--", "a", NULL }), 2);
	/* A prefix of a long option is not that option. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--conf", "x.ini", NULL }), 2);
	/* Flags take no value. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--check=yes", NULL }), 2);
	/* -c needs its file. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-c", NULL }), 2);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--config", NULL }), 2);
}
END_TEST

START_TEST(test_version_and_help_modes)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-V", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_VERSION);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--version", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_VERSION);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-h", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_HELP);
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--help", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_HELP);
	/* Even with a command, --help only prints help. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "--help", "--", "sleep", "1", NULL }), 0);
	ck_assert_int_eq(options.mode, MODE_HELP);
}
END_TEST

START_TEST(test_short_options_cluster)
{
	struct options options;
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-gv", "--", "a", NULL }), 0);
	ck_assert(options.process_group);
	ck_assert_int_eq(options.verbosity, 1);
	ck_assert_int_eq(options.mode, MODE_SINGLE);

	/* An option that takes an argument ends the cluster: the rest is it. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-gvcfile.ini", NULL }), 0);
	ck_assert(options.process_group);
	ck_assert_int_eq(options.verbosity, 1);
	ck_assert_str_eq(options.config_path, "file.ini");

	/* ... or the next word is, when it is last in the cluster. */
	ck_assert_int_eq(parse(&options, (char *[]){ "tend", "-ge", "143", "--", "a", NULL }), 0);
	ck_assert(options.process_group);
	ck_assert_int_eq(options_map_exit_code(&options, 143), 0);
	assert_command(&options, (const char *[]){ "a", NULL });
}
END_TEST

/* ---- exit statuses ---------------------------------------------------- */

START_TEST(test_exit_code_is_kept)
{
	struct exit_status status = exit_status_from_wait(W_EXITCODE(3, 0));
	ck_assert_int_eq(status.code, 3);
	ck_assert_int_eq(status.signal, 0);
	ck_assert(!status.core_dumped);
	ck_assert_int_eq(exit_status_shell_code(status), 3);

	ck_assert_int_eq(exit_status_shell_code(exit_status_from_wait(0)), 0);
	ck_assert_int_eq(exit_status_shell_code(exit_status_from_wait(255 << 8)), 255);
	ck_assert_int_eq(exit_status_shell_code(exit_status_from_wait(1 << 8)), 1);
}
END_TEST

START_TEST(test_killed_by_signal_is_128_plus_signal)
{
	struct exit_status status = exit_status_from_wait(W_EXITCODE(0, SIGKILL));
	ck_assert_int_eq(status.code, -1);
	ck_assert_int_eq(status.signal, SIGKILL);
	ck_assert(!status.core_dumped);
	ck_assert_int_eq(exit_status_shell_code(status), 137);

	ck_assert_int_eq(exit_status_shell_code(exit_status_from_wait(SIGTERM)), 143);
	ck_assert_int_eq(exit_status_shell_code(exit_status_from_wait(SIGINT)), 130);

	struct exit_status dumped = exit_status_from_wait(W_EXITCODE(0, SIGSEGV) | WCOREFLAG);
	ck_assert_int_eq(dumped.signal, SIGSEGV);
	ck_assert(dumped.core_dumped);
	ck_assert_int_eq(exit_status_shell_code(dumped), 139);
}
END_TEST

/* Statuses as the kernel really reports them, not only as we encode them. */
static int wait_for(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		ck_assert_msg(errno == EINTR, "waitpid: %s", strerror(errno));
	return status;
}

START_TEST(test_real_child_statuses_decode)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(3);
	ck_assert_int_eq(exit_status_shell_code(exit_status_from_wait(wait_for(pid))), 3);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* As a service would be: default dispositions, nothing blocked
		 * (check's own SIGTERM handler, or another suite's mask, must not
		 * decide this child's fate). */
		signals_reset_dispositions();
		signals_child_unblock();
		raise(SIGTERM);
		_exit(99);
	}
	struct exit_status status = exit_status_from_wait(wait_for(pid));
	ck_assert_int_eq(status.signal, SIGTERM);
	ck_assert_int_eq(exit_status_shell_code(status), 143);
}
END_TEST

START_TEST(test_exit_status_described_for_logs)
{
	char buffer[64];
	ck_assert_str_eq(exit_status_describe(exit_status_from_wait(W_EXITCODE(3, 0)), buffer,
					      sizeof buffer),
			 "exit code 3");
	ck_assert_str_eq(exit_status_describe(exit_status_from_wait(0), buffer, sizeof buffer),
			 "exit code 0");
	ck_assert_str_eq(exit_status_describe(exit_status_from_wait(W_EXITCODE(0, SIGKILL)), buffer,
					      sizeof buffer),
			 "killed by SIGKILL");
	ck_assert_str_eq(exit_status_describe(exit_status_from_wait(W_EXITCODE(0, SIGSEGV) |
								    WCOREFLAG),
					      buffer, sizeof buffer),
			 "killed by SIGSEGV (core dumped)");
	/* The description is written into the caller's buffer. */
	ck_assert_ptr_eq(exit_status_describe(exit_status_from_wait(0), buffer, sizeof buffer), buffer);
	/* A short buffer truncates, still terminated. */
	char small[8];
	memset(small, 'x', sizeof small);
	exit_status_describe(exit_status_from_wait(W_EXITCODE(0, SIGTERM)), small, sizeof small);
	ck_assert_str_eq(small, "killed ");
}
END_TEST

/* ---- signal names ----------------------------------------------------- */

START_TEST(test_signal_names_accept_name_prefix_case_and_number)
{
	const char *terms[] = { "TERM", "SIGTERM", "term", "sigterm", "SigTerm", "15" };
	for (size_t i = 0; i < sizeof terms / sizeof terms[0]; i++)
		ck_assert_msg(signal_from_name(terms[i]) == SIGTERM, "'%s' gave %d", terms[i],
			      signal_from_name(terms[i]));
	ck_assert_int_eq(signal_from_name("KILL"), SIGKILL);
	ck_assert_int_eq(signal_from_name("HUP"), SIGHUP);
	ck_assert_int_eq(signal_from_name("SIGUSR1"), SIGUSR1);
	ck_assert_int_eq(signal_from_name("WINCH"), SIGWINCH);
	ck_assert_int_eq(signal_from_name("QUIT"), SIGQUIT);
	ck_assert_int_eq(signal_from_name("SIGABRT"), SIGABRT);
	ck_assert_int_eq(signal_from_name("IOT"), SIGABRT);
	ck_assert_int_eq(signal_from_name("1"), 1);
}
END_TEST

START_TEST(test_realtime_signal_names)
{
	ck_assert_int_eq(signal_from_name("RTMIN"), SIGRTMIN);
	ck_assert_int_eq(signal_from_name("RTMIN+2"), SIGRTMIN + 2);
	ck_assert_int_eq(signal_from_name("SIGRTMIN+2"), SIGRTMIN + 2);
	ck_assert_int_eq(signal_from_name("RTMAX"), SIGRTMAX);
	ck_assert_int_eq(signal_from_name("SIGRTMAX-1"), SIGRTMAX - 1);
	ck_assert_int_eq(signal_from_name("rtmax-0"), SIGRTMAX);
	char number[16];
	snprintf(number, sizeof number, "%d", SIGRTMAX);
	ck_assert_int_eq(signal_from_name(number), SIGRTMAX);
	/* Past either end of the real-time range. */
	snprintf(number, sizeof number, "RTMIN+%d", SIGRTMAX - SIGRTMIN + 1);
	ck_assert_int_eq(signal_from_name(number), -1);
	snprintf(number, sizeof number, "RTMAX-%d", SIGRTMAX - SIGRTMIN + 1);
	ck_assert_int_eq(signal_from_name(number), -1);
	ck_assert_int_eq(signal_from_name("RTMIN+"), -1);
	ck_assert_int_eq(signal_from_name("RTMIN-1"), -1);
	ck_assert_int_eq(signal_from_name("RTMAX+1"), -1);
}
END_TEST

START_TEST(test_invalid_signal_names_are_refused)
{
	const char *invalid[] = { "0", "", "FOO", "65", "SIG", "15x", "-1", " 15", "TERM ", "SIGSIGTERM" };
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		ck_assert_msg(signal_from_name(invalid[i]) == -1, "'%s' gave %d", invalid[i],
			      signal_from_name(invalid[i]));
	ck_assert_int_eq(signal_from_name(NULL), -1);
	char number[16];
	snprintf(number, sizeof number, "%d", SIGRTMAX + 1);
	ck_assert_int_eq(signal_from_name(number), -1);
}
END_TEST

START_TEST(test_signal_name_for_logs_and_round_trip)
{
	ck_assert_str_eq(signal_name(SIGTERM), "SIGTERM");
	ck_assert_str_eq(signal_name(SIGKILL), "SIGKILL");
	ck_assert_str_eq(signal_name(SIGWINCH), "SIGWINCH");
	ck_assert_str_eq(signal_name(SIGRTMIN), "SIGRTMIN+0");
	ck_assert_str_eq(signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
	/* An unknown number still names itself, so a log line says which. */
	ck_assert_str_eq(signal_name(200), "SIG200");
	/* Every standard and real-time signal's name reads back as itself. */
	for (int number = 1; number <= SIGRTMAX; number++) {
		if (number > SIGSYS && number < SIGRTMIN)
			continue; /* glibc's reserved 32 and 33 have no name */
		char name[32];
		snprintf(name, sizeof name, "%s", signal_name(number));
		ck_assert_msg(signal_from_name(name) == number, "%d -> '%s' -> %d", number, name,
			      signal_from_name(name));
	}
}
END_TEST

/* ---- which signals single-command mode forwards ----------------------- */

START_TEST(test_sigchld_is_never_forwarded)
{
	ck_assert(!single_should_forward(SIGCHLD, 4321, 1));
	ck_assert(!single_should_forward(SIGCHLD, 1, 1));
	ck_assert(!single_should_forward(SIGCHLD, 0, 1));
}
END_TEST

START_TEST(test_sigpipe_from_tend_itself_is_not_forwarded)
{
	/* A write to a closed log pipe raises SIGPIPE in tend itself. */
	ck_assert(!single_should_forward(SIGPIPE, 1, 1));
	ck_assert(!single_should_forward(SIGPIPE, 777, 777));
	/* Sent by someone else (kill -PIPE 1): the child's. */
	ck_assert(single_should_forward(SIGPIPE, 4321, 1));
	ck_assert(single_should_forward(SIGPIPE, 0, 1));
}
END_TEST

START_TEST(test_ordinary_signals_are_forwarded)
{
	int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH,
			    SIGQUIT, SIGCONT, SIGALRM, SIGRTMIN, SIGRTMAX };
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) {
		ck_assert_msg(single_should_forward(forwarded[i], 0, 1), "%d from the kernel",
			      forwarded[i]);
		ck_assert_msg(single_should_forward(forwarded[i], 4321, 1), "%d from another pid",
			      forwarded[i]);
		/* Even when tend signals itself: only SIGPIPE is special. */
		ck_assert_msg(single_should_forward(forwarded[i], 1, 1), "%d from tend", forwarded[i]);
	}
}
END_TEST

Suite *single_suite(void)
{
	Suite *suite = suite_create("single");
	TCase *options = tcase_create("options");
	tcase_add_checked_fixture(options, clear_tend_config, clear_tend_config);
	tcase_add_test(options, test_double_dash_runs_one_command);
	tcase_add_test(options, test_options_stop_at_first_non_option_word);
	tcase_add_test(options, test_config_option_runs_the_tree);
	tcase_add_test(options, test_config_with_command_makes_it_the_main_service);
	tcase_add_test(options, test_no_arguments_runs_etc_tend_ini);
	tcase_add_test(options, test_tend_config_environment_names_the_tree);
	tcase_add_test(options, test_check_option_validates_without_running);
	tcase_add_test(options, test_process_group_option);
	tcase_add_test(options, test_success_codes_map_to_zero);
	tcase_add_test(options, test_success_code_out_of_range_is_usage_error);
	tcase_add_test(options, test_parent_death_signal_by_name_or_number);
	tcase_add_test(options, test_grace_takes_a_duration);
	tcase_add_test(options, test_verbosity_counts_v_and_q);
	tcase_add_test(options, test_log_format_is_text_or_json);
	tcase_add_test(options, test_unknown_option_is_usage_error);
	tcase_add_test(options, test_version_and_help_modes);
	tcase_add_test(options, test_short_options_cluster);
	suite_add_tcase(suite, options);

	TCase *exit_status = tcase_create("exit_status");
	tcase_add_test(exit_status, test_exit_code_is_kept);
	tcase_add_test(exit_status, test_killed_by_signal_is_128_plus_signal);
	tcase_add_test(exit_status, test_real_child_statuses_decode);
	tcase_add_test(exit_status, test_exit_status_described_for_logs);
	suite_add_tcase(suite, exit_status);

	TCase *signals = tcase_create("signals");
	tcase_add_test(signals, test_signal_names_accept_name_prefix_case_and_number);
	tcase_add_test(signals, test_realtime_signal_names);
	tcase_add_test(signals, test_invalid_signal_names_are_refused);
	tcase_add_test(signals, test_signal_name_for_logs_and_round_trip);
	tcase_add_test(signals, test_sigchld_is_never_forwarded);
	tcase_add_test(signals, test_sigpipe_from_tend_itself_is_not_forwarded);
	tcase_add_test(signals, test_ordinary_signals_are_forwarded);
	suite_add_tcase(suite, signals);
	return suite;
}
