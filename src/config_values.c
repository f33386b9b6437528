/* config_values.c: parsers for the value syntaxes of the INI file.
 *
 * Numbers are parsed by hand rather than with strtod(): strtod accepts
 * "inf", "nan", hex floats, exponents and the locale's decimal point, none
 * of which a user means in a config file, and durations are computed in
 * integer arithmetic so "0.1s" is exactly 100 ms. */
#include "config_values.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

/* A generous bound on every duration (about 31 years): far beyond any
 * sensible timeout, far below int64 overflow when added to a clock. */
#define DURATION_MAX_MS 1000000000000LL
/* Digits after the decimal point that are kept; more are refused. */
#define FRACTION_DIGITS_MAX 9

/* A decimal "digits[.digits]" split into an integer and a fraction scaled
 * by 10^fraction_digits. */
struct decimal {
	int64_t integer;
	int64_t fraction;
	int fraction_digits;
};

/* Parse an unsigned decimal at *text and advance past it. Returns 0, or -1
 * when there are no digits or the number is too large. */
static int scan_decimal(const char **text, struct decimal *decimal)
{
	const char *cursor = *text;
	*decimal = (struct decimal){0};
	bool any_digit = false;
	for (; isdigit((unsigned char)*cursor); cursor++) {
		if (decimal->integer > (INT64_MAX - 9) / 10)
			return -1;
		decimal->integer = decimal->integer * 10 + (*cursor - '0');
		any_digit = true;
	}
	if (*cursor == '.') {
		cursor++;
		for (; isdigit((unsigned char)*cursor); cursor++) {
			if (decimal->fraction_digits == FRACTION_DIGITS_MAX)
				return -1;
			decimal->fraction = decimal->fraction * 10 + (*cursor - '0');
			decimal->fraction_digits++;
			any_digit = true;
		}
	}
	if (!any_digit)
		return -1;
	*text = cursor;
	return 0;
}

static int64_t power_of_ten(int exponent)
{
	int64_t result = 1;
	while (exponent-- > 0)
		result *= 10;
	return result;
}

/* The multiplier from a unit suffix to milliseconds; 0 if unknown. */
static int64_t unit_milliseconds(const char *unit)
{
	static const struct {
		const char *suffix;
		int64_t milliseconds;
	} units[] = {
		{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(unit, units[i].suffix) == 0)
			return units[i].milliseconds;
	return 0;
}

int parse_duration_ms(const char *text, int64_t *milliseconds, const char **error)
{
	static const char *const syntax = "expected a duration like 250ms, 10s, 5m, 1h or a number of seconds";
	struct decimal decimal;
	const char *cursor = text;
	if (scan_decimal(&cursor, &decimal) < 0) {
		*error = syntax;
		return -1;
	}
	int64_t unit = unit_milliseconds(cursor);
	if (unit == 0) {
		*error = syntax;
		return -1;
	}
	if (decimal.integer > DURATION_MAX_MS / unit) {
		*error = "duration too long";
		return -1;
	}
	/* At most 9 fraction digits times a unit of at most an hour stays
	 * below 4e15: no overflow. Rounded to the nearest millisecond. */
	int64_t scale = power_of_ten(decimal.fraction_digits);
	int64_t fraction_ms = (decimal.fraction * unit + scale / 2) / scale;
	int64_t total = decimal.integer * unit + fraction_ms;
	if (total > DURATION_MAX_MS) {
		*error = "duration too long";
		return -1;
	}
	/* A positive value must not round to 0, which often means "never". */
	if (total == 0 && decimal.fraction > 0)
		total = 1;
	*milliseconds = total;
	return 0;
}

int parse_boolean(const char *text, bool *value, const char **error)
{
	static const char *const truths[] = {"yes", "true", "on", "1"};
	static const char *const falsehoods[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < sizeof truths / sizeof truths[0]; i++) {
		if (ascii_casecmp(text, truths[i]) == 0) {
			*value = true;
			return 0;
		}
		if (ascii_casecmp(text, falsehoods[i]) == 0) {
			*value = false;
			return 0;
		}
	}
	*error = "expected yes/no, true/false, on/off or 1/0";
	return -1;
}

int parse_integer(const char *text, long minimum, long maximum, long *value, const char **error)
{
	const char *digits = text;
	if (*digits == '-' || *digits == '+')
		digits++;
	if (!isdigit((unsigned char)*digits)) {
		*error = "expected a whole number";
		return -1;
	}
	char *end;
	errno = 0;
	long parsed = strtol(text, &end, 10);
	if (*end != '\0') {
		*error = "expected a whole number";
		return -1;
	}
	if (errno == ERANGE || parsed < minimum || parsed > maximum) {
		*error = "number out of range";
		return -1;
	}
	*value = parsed;
	return 0;
}

int parse_number(const char *text, double *value, const char **error)
{
	const char *cursor = text;
	bool negative = *cursor == '-';
	if (*cursor == '-' || *cursor == '+')
		cursor++;
	struct decimal decimal;
	if (scan_decimal(&cursor, &decimal) < 0 || *cursor != '\0') {
		*error = "expected a number like 2 or 0.5";
		return -1;
	}
	double result = (double)decimal.integer +
		(double)decimal.fraction / (double)power_of_ten(decimal.fraction_digits);
	*value = negative ? -result : result;
	return 0;
}

static bool is_list_separator(char c)
{
	return c == ',' || c == ' ' || c == '\t';
}

int parse_exit_codes(const char *text, int **codes, size_t *count, const char **error)
{
	/* At most one code per two characters: the list's size is bounded by
	 * its text. */
	size_t capacity = strlen(text) / 2 + 1;
	int *list = calloc(capacity, sizeof *list);
	if (list == NULL) {
		*error = "out of memory";
		return -1;
	}
	size_t used = 0;
	const char *cursor = text;
	for (;;) {
		while (is_list_separator(*cursor))
			cursor++;
		if (*cursor == '\0')
			break;
		char *end;
		long code = isdigit((unsigned char)*cursor) ? strtol(cursor, &end, 10) : -1;
		if (code < 0 || code > 255 || (*end != '\0' && !is_list_separator(*end))) {
			free(list);
			*error = "expected exit codes 0-255 separated by spaces or commas";
			return -1;
		}
		list[used++] = (int)code;
		cursor = end;
	}
	if (used == 0) {
		free(list);
		*error = "expected at least one exit code";
		return -1;
	}
	*codes = list;
	*count = used;
	return 0;
}

/* One side of an rlimit: a number or unlimited/infinity. */
static int parse_rlimit_value(const char *text, size_t length, rlim_t *value)
{
	if ((length == 9 && ascii_ncasecmp(text, "unlimited", 9) == 0) ||
	    (length == 8 && ascii_ncasecmp(text, "infinity", 8) == 0)) {
		*value = RLIM_INFINITY;
		return 0;
	}
	if (length == 0 || length > 20)
		return -1;
	unsigned long long parsed = 0;
	for (size_t i = 0; i < length; i++) {
		if (!isdigit((unsigned char)text[i]))
			return -1;
		unsigned digit = (unsigned)(text[i] - '0');
		if (parsed > (ULLONG_MAX - digit) / 10)
			return -1;
		parsed = parsed * 10 + digit;
	}
	if ((rlim_t)parsed == RLIM_INFINITY || parsed != (unsigned long long)(rlim_t)parsed)
		return -1;
	*value = (rlim_t)parsed;
	return 0;
}

int parse_rlimit(const char *text, struct rlimit *limit, const char **error)
{
	const char *colon = strchr(text, ':');
	size_t soft_length = colon ? (size_t)(colon - text) : strlen(text);
	struct rlimit parsed;
	if (parse_rlimit_value(text, soft_length, &parsed.rlim_cur) < 0) {
		*error = "expected N, SOFT:HARD or unlimited";
		return -1;
	}
	parsed.rlim_max = parsed.rlim_cur;
	if (colon != NULL &&
	    parse_rlimit_value(colon + 1, strlen(colon + 1), &parsed.rlim_max) < 0) {
		*error = "expected N, SOFT:HARD or unlimited";
		return -1;
	}
	/* RLIM_INFINITY is the largest rlim_t, so this compares correctly. */
	if (parsed.rlim_cur > parsed.rlim_max) {
		*error = "the soft limit is above the hard limit";
		return -1;
	}
	*limit = parsed;
	return 0;
}

int parse_mode(const char *text, int *mode, const char **error)
{
	size_t length = strlen(text);
	if (length == 0 || length > 5 || strspn(text, "01234567") != length) {
		*error = "expected an octal mode like 0600";
		return -1;
	}
	long parsed = strtol(text, NULL, 8);
	if (parsed > 07777) {
		*error = "mode out of range (at most 07777)";
		return -1;
	}
	*mode = (int)parsed;
	return 0;
}

/* One capability: a name (cap_net_bind_service; the cap_ prefix may be left
 * out, any case) or a number, as libcap knows them. */
static int capability_from_word(const char *word, size_t length, int *capability)
{
	char name[48] = "cap_";
	if (length + 5 > sizeof name)
		return -1;
	memcpy(name + 4, word, length);
	name[length + 4] = '\0';
	cap_value_t value;
	if (cap_from_name(name + 4, &value) < 0 && cap_from_name(name, &value) < 0)
		return -1;
	if (value < 0 || value > 63) /* the mask has 64 bits, as the kernel's sets */
		return -1;
	*capability = value;
	return 0;
}

int parse_capabilities(const char *text, uint64_t *mask, const char **error)
{
	uint64_t result = 0;
	const char *cursor = text;
	for (;;) {
		while (is_list_separator(*cursor))
			cursor++;
		if (*cursor == '\0')
			break;
		size_t length = 0;
		while (cursor[length] != '\0' && !is_list_separator(cursor[length]))
			length++;
		int capability;
		if (capability_from_word(cursor, length, &capability) < 0) {
			*error = "unknown capability (expected names like cap_net_bind_service)";
			return -1;
		}
		result |= UINT64_C(1) << capability;
		cursor += length;
	}
	*mask = result;
	return 0;
}
