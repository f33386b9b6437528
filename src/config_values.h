/* config_values.h: parsers for the value syntaxes of the INI file. Each
 * returns 0 on success or -1 with a short reason in *error (static text). */
#ifndef TEND_CONFIG_VALUES_H
#define TEND_CONFIG_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

/* "250ms", "10s", "5m", "1h", "1.5s", or a bare number of seconds. */
int parse_duration_ms(const char *text, int64_t *milliseconds, const char **error);
/* yes/no, true/false, on/off, 1/0 (case-insensitive). */
int parse_boolean(const char *text, bool *value, const char **error);
/* A decimal integer within [minimum, maximum]. */
int parse_integer(const char *text, long minimum, long maximum, long *value, const char **error);
/* A decimal number (for factor and jitter). */
int parse_number(const char *text, double *value, const char **error);
/* Exit codes 0..255 separated by spaces and/or commas. *codes is malloc'd. */
int parse_exit_codes(const char *text, int **codes, size_t *count, const char **error);
/* "N", "SOFT:HARD", "unlimited" (either side too). */
int parse_rlimit(const char *text, struct rlimit *limit, const char **error);
/* Octal mode like 0600 or 022 (at most 07777). */
int parse_mode(const char *text, int *mode, const char **error);
/* Comma/space separated capabilities: names (cap_net_bind_service, CAP_CHOWN,
 * net_admin) or numbers (10), as libcap knows them. */
int parse_capabilities(const char *text, uint64_t *mask, const char **error);

#endif
