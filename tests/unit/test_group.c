/* test_group.c: the group's pure decisions: readiness quorum, which
 * children a strategy restarts, and the backoff bookkeeping. */
#include "unit.h"

#include "group.h"

START_TEST(quorum_all_needs_every_required_child)
{
	ck_assert(group_quorum_met(QUORUM_ALL, 0, 3, 3));
	ck_assert(!group_quorum_met(QUORUM_ALL, 0, 2, 3));
	ck_assert(group_quorum_met(QUORUM_ALL, 0, 0, 0)); /* nothing required: ready */
}
END_TEST

START_TEST(quorum_count_is_capped_by_the_children_there_are)
{
	ck_assert(group_quorum_met(QUORUM_COUNT, 2, 2, 5));
	ck_assert(!group_quorum_met(QUORUM_COUNT, 2, 1, 5));
	ck_assert(group_quorum_met(QUORUM_COUNT, 4, 2, 2)); /* only 2 exist */
}
END_TEST

START_TEST(quorum_percent_rounds_up)
{
	ck_assert(group_quorum_met(QUORUM_PERCENT, 50, 2, 4));
	ck_assert(!group_quorum_met(QUORUM_PERCENT, 50, 1, 3)); /* 33% < 50% */
	ck_assert(group_quorum_met(QUORUM_PERCENT, 50, 2, 3));
	ck_assert(group_quorum_met(QUORUM_PERCENT, 100, 3, 3));
	ck_assert(!group_quorum_met(QUORUM_PERCENT, 100, 2, 3));
}
END_TEST

START_TEST(strategy_decides_the_restart_range)
{
	ck_assert_uint_eq(group_restart_from(STRATEGY_ONE_FOR_ALL, 2), 0);
	ck_assert_uint_eq(group_restart_from(STRATEGY_REST_FOR_ONE, 2), 2);
	ck_assert_uint_eq(group_restart_from(STRATEGY_ONE_FOR_ONE, 2), 2);
}
END_TEST

static const struct backoff_policy exact = {
	.min_ms = 100, .max_ms = 1000, .factor = 2, .jitter = 0, .reset_ms = 5000,
};

START_TEST(consecutive_restarts_double_the_delay_up_to_the_cap)
{
	unsigned consecutive = 0;
	const int64_t expected[] = { 100, 200, 400, 800, 1000, 1000 };
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
		ck_assert_int_eq(restart_delay_next(&exact, &consecutive, 0, 10000 + (int64_t)i),
				 expected[i]);
	ck_assert_uint_eq(consecutive, 6);
}
END_TEST

START_TEST(long_ready_life_resets_the_backoff)
{
	unsigned consecutive = 4;
	/* ready at t=1000, failed at t=6000: ready for backoff-reset */
	ck_assert_int_eq(restart_delay_next(&exact, &consecutive, 1000, 6000), 100);
	ck_assert_uint_eq(consecutive, 1);
}
END_TEST

START_TEST(short_ready_life_keeps_growing)
{
	unsigned consecutive = 2;
	ck_assert_int_eq(restart_delay_next(&exact, &consecutive, 1000, 5999), 400);
}
END_TEST

START_TEST(never_ready_keeps_growing)
{
	unsigned consecutive = 3;
	ck_assert_int_eq(restart_delay_next(&exact, &consecutive, 0, 1000000), 800);
}
END_TEST

START_TEST(jitter_only_shortens_the_delay)
{
	struct backoff_policy jittery = exact;
	jittery.jitter = 0.5;
	for (int i = 0; i < 200; i++) {
		unsigned consecutive = 1;
		int64_t delay = restart_delay_next(&jittery, &consecutive, 0, 0);
		ck_assert_int_le(delay, 200);
		ck_assert_int_ge(delay, 100);
	}
}
END_TEST

Suite *group_suite(void)
{
	Suite *suite = suite_create("group");
	TCase *quorum = tcase_create("quorum");
	tcase_add_test(quorum, quorum_all_needs_every_required_child);
	tcase_add_test(quorum, quorum_count_is_capped_by_the_children_there_are);
	tcase_add_test(quorum, quorum_percent_rounds_up);
	suite_add_tcase(suite, quorum);
	TCase *restart = tcase_create("restart");
	tcase_add_test(restart, strategy_decides_the_restart_range);
	tcase_add_test(restart, consecutive_restarts_double_the_delay_up_to_the_cap);
	tcase_add_test(restart, long_ready_life_resets_the_backoff);
	tcase_add_test(restart, short_ready_life_keeps_growing);
	tcase_add_test(restart, never_ready_keeps_growing);
	tcase_add_test(restart, jitter_only_shortens_the_delay);
	suite_add_tcase(suite, restart);
	return suite;
}
