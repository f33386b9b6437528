/* options.c: tend's command line (SPEC §1.1). */
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoconfig.h"

#include "config.h"
#include "config_values.h"
#include "log.h"
#include "signals.h"

void options_print_version(void)
{
	printf("tend %s\n", PACKAGE_VERSION);
}

void options_print_help(const char *program)
{
	printf("Usage: %s [OPTIONS]                      run the service tree in /etc/tend.ini\n"
	       "       %s [OPTIONS] -c FILE              run the service tree in FILE\n"
	       "       %s [OPTIONS] [--] CMD [ARG...]    run one command, tini-style\n"
	       "       %s [OPTIONS] -c FILE -- CMD [ARG...]  the tree, with CMD as its main service\n"
	       "       %s ctl COMMAND [ARG...]           the same as tendctl COMMAND\n"
	       "\n"
	       "Options:\n"
	       "  -c, --config FILE     the service tree (default $TEND_CONFIG, else /etc/tend.ini)\n"
	       "  -t, --check           validate the config, print problems, exit 0 or 2\n"
	       "  -g                    forward signals to the child's process group\n"
	       "  -e CODE               map exit code CODE of the child to 0 (repeatable)\n"
	       "  -p SIG                parent-death signal of tend itself\n"
	       "  -s                    accepted for tini compatibility (always a subreaper)\n"
	       "  --grace DURATION      leftovers get SIGTERM, then SIGKILL after this (3s)\n"
	       "  -v, -q                more, less logging\n"
	       "  --log-format text|json\n"
	       "  -V, --version         print the version\n"
	       "  -h, --help            print this help\n",
	       program, program, program, program, program);
}

static int usage_error(const char *program, const char *message, const char *argument)
{
	fprintf(stderr, "%s: %s%s%s\nTry '%s --help'.\n", program, message,
		argument ? ": " : "", argument ? argument : "", program);
	return 2;
}

static int add_success_code(struct options *options, const char *program, const char *text)
{
	char *end;
	long code = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || code < 0 || code > 255)
		return usage_error(program, "-e takes an exit code from 0 to 255", text);
	if (options->success_count < (int)(sizeof options->success_codes / sizeof(int)))
		options->success_codes[options->success_count++] = (int)code;
	return 0;
}

enum { OPTION_GRACE = 256, OPTION_LOG_FORMAT };

static int parse_one(struct options *options, int option, const char *program)
{
	const char *error;
	switch (option) {
	case 'c': options->config_path = optarg; return 0;
	case 't': options->mode = MODE_CHECK; return 0;
	case 'g': options->process_group = true; return 0;
	case 'e': return add_success_code(options, program, optarg);
	case 'p':
		options->parent_death_signal = signal_from_name(optarg);
		return options->parent_death_signal > 0 ? 0 : usage_error(program, "unknown signal", optarg);
	case 's': return 0;
	case 'v': options->verbosity++; return 0;
	case 'q': options->verbosity--; return 0;
	case 'V': options->mode = MODE_VERSION; return 0;
	case 'h': options->mode = MODE_HELP; return 0;
	case OPTION_GRACE:
		if (parse_duration_ms(optarg, &options->grace_ms, &error) < 0)
			return usage_error(program, "--grace takes a duration such as 3s or 500ms", optarg);
		return 0;
	case OPTION_LOG_FORMAT:
		options->log_format = log_format_from_name(optarg);
		return options->log_format >= 0 ? 0 : usage_error(program, "--log-format is text or json", optarg);
	default:
		return usage_error(program, "unknown option", NULL);
	}
}

int options_parse(int argc, char **argv, struct options *options)
{
	static const struct option long_options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 't' },
		{ "grace", required_argument, NULL, OPTION_GRACE },
		{ "log-format", required_argument, NULL, OPTION_LOG_FORMAT },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *program = argv[0] ? argv[0] : "tend";
	memset(options, 0, sizeof *options);
	options->mode = MODE_TREE;
	options->grace_ms = 3000;
	options->log_format = -1;
	opterr = 0;
	optind = 1;
	int option;
	/* '+': stop at the first word that is not an option, so `tend sleep -x`
	 * runs `sleep -x` as tini does. */
	while ((option = getopt_long(argc, argv, "+c:tge:p:svqVh", long_options, NULL)) != -1) {
		if (option == '?') {
			if (optopt != 0)
				fprintf(stderr, "%s: unknown option or missing argument: -%c\n", program, optopt);
			else
				fprintf(stderr, "%s: unknown option: %s\n", program, argv[optind - 1]);
			fprintf(stderr, "Try '%s --help'.\n", program);
			return 2;
		}
		int result = parse_one(options, option, program);
		if (result != 0)
			return result;
	}
	if (optind < argc)
		options->command = argv + optind;
	if (options->config_path == NULL) {
		const char *environment = getenv("TEND_CONFIG");
		if (environment != NULL && *environment != '\0')
			options->config_path = environment;
	}
	if (options->mode == MODE_TREE && options->command != NULL && options->config_path == NULL)
		options->mode = MODE_SINGLE;
	if (options->config_path == NULL && options->mode != MODE_SINGLE)
		options->config_path = "/etc/tend.ini";
	return 0;
}

int options_map_exit_code(const struct options *options, int code)
{
	for (int i = 0; i < options->success_count; i++)
		if (options->success_codes[i] == code)
			return 0;
	return code;
}
