/* options.c: tend's command line (SPEC §1.1). */
#include "options.h"

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

static int parse_one(struct options *options, int option, const char *argument,
		     const char *program)
{
	const char *error;
	switch (option) {
	case 'c': options->config_path = argument; return 0;
	case 't': options->mode = MODE_CHECK; return 0;
	case 'g': options->process_group = true; return 0;
	case 'e': return add_success_code(options, program, argument);
	case 'p':
		options->parent_death_signal = signal_from_name(argument);
		return options->parent_death_signal > 0 ? 0 : usage_error(program, "unknown signal", argument);
	case 's': return 0;
	case 'v': options->verbosity++; return 0;
	case 'q': options->verbosity--; return 0;
	case 'V': options->mode = MODE_VERSION; return 0;
	case 'h': options->mode = MODE_HELP; return 0;
	case OPTION_GRACE:
		if (parse_duration_ms(argument, &options->grace_ms, &error) < 0)
			return usage_error(program, "--grace takes a duration such as 3s or 500ms", argument);
		return 0;
	case OPTION_LOG_FORMAT:
		options->log_format = log_format_from_name(argument);
		return options->log_format >= 0 ? 0 : usage_error(program, "--log-format is text or json", argument);
	default:
		return usage_error(program, "unknown option", NULL);
	}
}

/* A hand-written parser rather than getopt_long: glibc's getopt drags
 * gettext and wide-character stdio into the static binary (tens of KiB). */
static const struct long_option {
	const char *name;
	int option;
	bool takes_argument;
} long_options[] = {
	{ "config", 'c', true }, { "check", 't', false }, { "grace", OPTION_GRACE, true },
	{ "log-format", OPTION_LOG_FORMAT, true }, { "version", 'V', false }, { "help", 'h', false },
};

static bool short_takes_argument(char option)
{
	return option == 'c' || option == 'e' || option == 'p';
}

/* Parse the long option at argv[*index] ("--name", "--name=value"). */
static int parse_long(struct options *options, int argc, char **argv, int *index)
{
	const char *program = argv[0];
	const char *word = argv[*index] + 2;
	const char *equals = strchr(word, '=');
	size_t length = equals ? (size_t)(equals - word) : strlen(word);
	for (size_t i = 0; i < sizeof long_options / sizeof long_options[0]; i++) {
		const struct long_option *known = &long_options[i];
		if (strlen(known->name) != length || strncmp(known->name, word, length) != 0)
			continue;
		const char *argument = NULL;
		if (known->takes_argument) {
			if (equals)
				argument = equals + 1;
			else if (*index + 1 < argc)
				argument = argv[++*index];
			else
				return usage_error(program, "option needs an argument", argv[*index]);
		} else if (equals) {
			return usage_error(program, "option takes no argument", argv[*index]);
		}
		return parse_one(options, known->option, argument, program);
	}
	return usage_error(program, "unknown option", argv[*index]);
}

/* Parse a cluster of short options at argv[*index] ("-gv", "-cFILE"). */
static int parse_short(struct options *options, int argc, char **argv, int *index)
{
	const char *program = argv[0];
	for (const char *cursor = argv[*index] + 1; *cursor != '\0'; cursor++) {
		char option = *cursor;
		if (strchr("ctgepsvqVh", option) == NULL) {
			char text[3] = { '-', option, '\0' };
			return usage_error(program, "unknown option", text);
		}
		if (!short_takes_argument(option)) {
			int result = parse_one(options, option, NULL, program);
			if (result != 0)
				return result;
			continue;
		}
		const char *argument = cursor[1] != '\0' ? cursor + 1 : NULL;
		if (argument == NULL && *index + 1 < argc)
			argument = argv[++*index];
		if (argument == NULL) {
			char text[3] = { '-', option, '\0' };
			return usage_error(program, "option needs an argument", text);
		}
		return parse_one(options, option, argument, program);
	}
	return 0;
}

int options_parse(int argc, char **argv, struct options *options)
{
	memset(options, 0, sizeof *options);
	options->mode = MODE_TREE;
	options->grace_ms = 3000;
	options->log_format = -1;
	int index = 1;
	bool dash_dash = false;
	/* Stop at the first word that is not an option, so `tend sleep -x`
	 * runs `sleep -x` as tini does. */
	for (; index < argc; index++) {
		const char *word = argv[index];
		if (strcmp(word, "--") == 0) {
			dash_dash = true;
			index++;
			break;
		}
		if (word[0] != '-' || word[1] == '\0')
			break;
		int result = word[1] == '-' ? parse_long(options, argc, argv, &index)
					    : parse_short(options, argc, argv, &index);
		if (result != 0)
			return result;
	}
	if (index < argc)
		options->command = argv + index;
	else if (dash_dash)
		return usage_error(argv[0], "no command after --", NULL);
	if (options->config_path != NULL && options->config_path[0] == '\0')
		return usage_error(argv[0], "-c needs a file name", NULL);
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
