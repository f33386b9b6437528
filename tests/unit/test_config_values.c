/* test_config_values.c: the value syntaxes of the INI file. */
#include <stdlib.h>
#include <linux/capability.h>

#include "../../src/config_values.h"
#include "unit.h"

static int64_t duration(const char *text)
{
	int64_t milliseconds = -1;
	const char *error = NULL;
	ck_assert_msg(parse_duration_ms(text, &milliseconds, &error) == 0, "'%s': %s", text,
		      error ? error : "?");
	return milliseconds;
}

static void assert_bad_duration(const char *text)
{
	int64_t milliseconds;
	const char *error = NULL;
	ck_assert_msg(parse_duration_ms(text, &milliseconds, &error) < 0, "'%s' accepted", text);
	ck_assert_ptr_nonnull(error);
}

START_TEST(test_durations)
{
	ck_assert_int_eq(duration("250ms"), 250);
	ck_assert_int_eq(duration("10s"), 10000);
	ck_assert_int_eq(duration("5m"), 300000);
	ck_assert_int_eq(duration("1h"), 3600000);
	ck_assert_int_eq(duration("3"), 3000);
	ck_assert_int_eq(duration("0"), 0);
	ck_assert_int_eq(duration("1.5s"), 1500);
	ck_assert_int_eq(duration("0.5"), 500);
	ck_assert_int_eq(duration("0.1s"), 100);
	ck_assert_int_eq(duration(".25"), 250);
	ck_assert_int_eq(duration("1.5m"), 90000);
	/* a positive value never becomes 0, which often means "never" */
	ck_assert_int_eq(duration("0.0001s"), 1);
}
END_TEST

START_TEST(test_bad_durations)
{
	const char *bad[] = {"", "s", "10x", "10 s", "-1s", "1e3", "inf", "nan", "0x10",
			     "1.2.3", "10sec", "99999999999999999999", ".", "1ms5", "1 h"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_bad_duration(bad[i]);
	assert_bad_duration("100000000000h");
}
END_TEST

START_TEST(test_booleans)
{
	const char *truths[] = {"yes", "true", "on", "1", "YES", "True"};
	const char *falsehoods[] = {"no", "false", "off", "0", "No"};
	const char *error;
	bool value;
	for (size_t i = 0; i < sizeof truths / sizeof truths[0]; i++) {
		value = false;
		ck_assert_int_eq(parse_boolean(truths[i], &value, &error), 0);
		ck_assert(value);
	}
	for (size_t i = 0; i < sizeof falsehoods / sizeof falsehoods[0]; i++) {
		value = true;
		ck_assert_int_eq(parse_boolean(falsehoods[i], &value, &error), 0);
		ck_assert(!value);
	}
	ck_assert_int_eq(parse_boolean("y", &value, &error), -1);
	ck_assert_int_eq(parse_boolean("2", &value, &error), -1);
	ck_assert_int_eq(parse_boolean("", &value, &error), -1);
}
END_TEST

START_TEST(test_integers_and_numbers)
{
	long value;
	double number;
	const char *error;
	ck_assert_int_eq(parse_integer("42", 0, 100, &value, &error), 0);
	ck_assert_int_eq(value, 42);
	ck_assert_int_eq(parse_integer("-5", -10, 10, &value, &error), 0);
	ck_assert_int_eq(value, -5);
	ck_assert_int_eq(parse_integer("101", 0, 100, &value, &error), -1);
	ck_assert_str_eq(error, "number out of range");
	ck_assert_int_eq(parse_integer("4x", 0, 100, &value, &error), -1);
	ck_assert_int_eq(parse_integer(" 4", 0, 100, &value, &error), -1);
	ck_assert_int_eq(parse_integer("99999999999999999999999", 0, 100, &value, &error), -1);
	ck_assert_int_eq(parse_number("0.25", &number, &error), 0);
	ck_assert_double_eq(number, 0.25);
	ck_assert_int_eq(parse_number("2", &number, &error), 0);
	ck_assert_double_eq(number, 2.0);
	ck_assert_int_eq(parse_number("-0.5", &number, &error), 0);
	ck_assert_double_eq(number, -0.5);
	ck_assert_int_eq(parse_number("1e3", &number, &error), -1);
	ck_assert_int_eq(parse_number("nan", &number, &error), -1);
}
END_TEST

START_TEST(test_exit_codes)
{
	int *codes = NULL;
	size_t count = 0;
	const char *error;
	ck_assert_int_eq(parse_exit_codes("2, 143", &codes, &count, &error), 0);
	ck_assert_uint_eq(count, 2);
	ck_assert_int_eq(codes[0], 2);
	ck_assert_int_eq(codes[1], 143);
	free(codes);
	ck_assert_int_eq(parse_exit_codes("1 2,3 ,, 255", &codes, &count, &error), 0);
	ck_assert_uint_eq(count, 4);
	ck_assert_int_eq(codes[3], 255);
	free(codes);
	ck_assert_int_eq(parse_exit_codes("256", &codes, &count, &error), -1);
	ck_assert_int_eq(parse_exit_codes("2;3", &codes, &count, &error), -1);
	ck_assert_int_eq(parse_exit_codes("-1", &codes, &count, &error), -1);
	ck_assert_int_eq(parse_exit_codes(" , ", &codes, &count, &error), -1);
}
END_TEST

START_TEST(test_rlimits)
{
	struct rlimit limit;
	const char *error;
	ck_assert_int_eq(parse_rlimit("1024", &limit, &error), 0);
	ck_assert_uint_eq(limit.rlim_cur, 1024);
	ck_assert_uint_eq(limit.rlim_max, 1024);
	ck_assert_int_eq(parse_rlimit("1024:4096", &limit, &error), 0);
	ck_assert_uint_eq(limit.rlim_cur, 1024);
	ck_assert_uint_eq(limit.rlim_max, 4096);
	ck_assert_int_eq(parse_rlimit("unlimited", &limit, &error), 0);
	ck_assert(limit.rlim_cur == RLIM_INFINITY && limit.rlim_max == RLIM_INFINITY);
	ck_assert_int_eq(parse_rlimit("0:unlimited", &limit, &error), 0);
	ck_assert(limit.rlim_cur == 0 && limit.rlim_max == RLIM_INFINITY);
	ck_assert_int_eq(parse_rlimit("4096:1024", &limit, &error), -1);
	ck_assert_str_eq(error, "the soft limit is above the hard limit");
	ck_assert_int_eq(parse_rlimit("unlimited:10", &limit, &error), -1);
	ck_assert_int_eq(parse_rlimit("", &limit, &error), -1);
	ck_assert_int_eq(parse_rlimit("1:", &limit, &error), -1);
	ck_assert_int_eq(parse_rlimit("1k", &limit, &error), -1);
	ck_assert_int_eq(parse_rlimit("99999999999999999999999", &limit, &error), -1);
}
END_TEST

START_TEST(test_modes)
{
	int mode;
	const char *error;
	ck_assert_int_eq(parse_mode("0600", &mode, &error), 0);
	ck_assert_int_eq(mode, 0600);
	ck_assert_int_eq(parse_mode("022", &mode, &error), 0);
	ck_assert_int_eq(mode, 022);
	ck_assert_int_eq(parse_mode("07777", &mode, &error), 0);
	ck_assert_int_eq(parse_mode("0800", &mode, &error), -1);
	ck_assert_int_eq(parse_mode("17777", &mode, &error), -1);
	ck_assert_int_eq(parse_mode("", &mode, &error), -1);
	ck_assert_int_eq(parse_mode("rw", &mode, &error), -1);
}
END_TEST

START_TEST(test_capabilities)
{
	uint64_t mask = 0;
	const char *error;
	ck_assert_int_eq(parse_capabilities("cap_net_bind_service, CAP_CHOWN", &mask, &error), 0);
	ck_assert_uint_eq(mask, (UINT64_C(1) << CAP_NET_BIND_SERVICE) | (UINT64_C(1) << CAP_CHOWN));
	ck_assert_int_eq(parse_capabilities("NET_ADMIN kill", &mask, &error), 0);
	ck_assert_uint_eq(mask, (UINT64_C(1) << CAP_NET_ADMIN) | (UINT64_C(1) << CAP_KILL));
	ck_assert_int_eq(parse_capabilities("", &mask, &error), 0);
	ck_assert_uint_eq(mask, 0);
	ck_assert_int_eq(parse_capabilities("cap_fly", &mask, &error), -1);
	/* by number (libcap's numbers are the kernel's), up to bit 63 */
	ck_assert_int_eq(parse_capabilities("12, cap_kill 63", &mask, &error), 0);
	ck_assert_uint_eq(mask, (UINT64_C(1) << 12) | (UINT64_C(1) << CAP_KILL) | (UINT64_C(1) << 63));
	ck_assert_int_eq(parse_capabilities("64", &mask, &error), -1);
	ck_assert_int_eq(parse_capabilities("cap_12", &mask, &error), -1);
	ck_assert_int_eq(parse_capabilities("cap_cap_kill", &mask, &error), -1);
	ck_assert_int_eq(parse_capabilities("cap_", &mask, &error), -1);
	ck_assert_int_eq(parse_capabilities("net_bind", &mask, &error), -1);
	ck_assert_int_eq(parse_capabilities("chownx", &mask, &error), -1);
}
END_TEST

/* libcap's names give the kernel's numbers. */
START_TEST(test_capability_numbers)
{
	static const struct {
		const char *name;
		int number;
	} known[] = {
		{"cap_chown", CAP_CHOWN}, {"cap_setpcap", CAP_SETPCAP},
		{"cap_sys_admin", CAP_SYS_ADMIN}, {"cap_sys_tty_config", CAP_SYS_TTY_CONFIG},
		{"cap_setfcap", CAP_SETFCAP}, {"cap_mac_override", CAP_MAC_OVERRIDE},
		{"cap_syslog", CAP_SYSLOG}, {"cap_audit_read", CAP_AUDIT_READ},
		{"cap_bpf", CAP_BPF}, {"cap_checkpoint_restore", CAP_CHECKPOINT_RESTORE},
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		uint64_t mask = 0;
		const char *error;
		ck_assert_int_eq(parse_capabilities(known[i].name, &mask, &error), 0);
		ck_assert_uint_eq(mask, UINT64_C(1) << known[i].number);
	}
}
END_TEST

Suite *config_values_suite(void)
{
	Suite *suite = suite_create("config_values");
	TCase *tcase = tcase_create("values");
	tcase_add_test(tcase, test_durations);
	tcase_add_test(tcase, test_bad_durations);
	tcase_add_test(tcase, test_booleans);
	tcase_add_test(tcase, test_integers_and_numbers);
	tcase_add_test(tcase, test_exit_codes);
	tcase_add_test(tcase, test_rlimits);
	tcase_add_test(tcase, test_modes);
	tcase_add_test(tcase, test_capabilities);
	tcase_add_test(tcase, test_capability_numbers);
	suite_add_tcase(suite, tcase);
	return suite;
}
