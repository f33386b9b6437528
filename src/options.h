/* options.h: tend's command line (SPEC §1.1). */
#ifndef TEND_OPTIONS_H
#define TEND_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

enum run_mode { MODE_SINGLE, MODE_TREE, MODE_CHECK, MODE_VERSION, MODE_HELP };

struct options {
	enum run_mode mode;
	const char *config_path;    /* -c, else $TEND_CONFIG, else NULL */
	char **command;             /* CMD ARG... (NULL-terminated) or NULL */
	bool process_group;         /* -g */
	int success_codes[256];     /* -e CODE ... */
	int success_count;
	int parent_death_signal;    /* -p, 0 = none */
	int64_t grace_ms;           /* --grace, default 3000 */
	int verbosity;              /* +1 per -v, -1 per -q */
	int log_format;             /* --log-format, -1 = not given */
};

/* Parse argv. Returns 0, or 2 after printing a usage error to stderr. */
int options_parse(int argc, char **argv, struct options *options);
void options_print_help(const char *program);
void options_print_version(void);
/* Map the child's shell exit code through -e. */
int options_map_exit_code(const struct options *options, int code);

#endif
