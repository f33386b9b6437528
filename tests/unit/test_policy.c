/* test_policy.c: restart backoff and the restart-intensity window (SPEC
 * §2.2, §2.3), checked as the pure functions they are. */
#include <limits.h>
#include <stdint.h>

#include "../../src/policy.h"
#include "unit.h"

/* The defaults of SPEC §2.3: 100ms, 30s, factor 2, jitter 0.2, reset 60s. */
static struct backoff_policy default_backoff(void)
{
	return (struct backoff_policy){
		.min_ms = 100, .max_ms = 30000, .factor = 2, .jitter = 0.2, .reset_ms = 60000,
	};
}

static struct backoff_policy exact_backoff(int64_t min_ms, int64_t max_ms, double factor)
{
	return (struct backoff_policy){
		.min_ms = min_ms, .max_ms = max_ms, .factor = factor, .jitter = 0, .reset_ms = 60000,
	};
}

/* ---- backoff ---------------------------------------------------------- */

START_TEST(test_first_restart_waits_backoff_min)
{
	struct backoff_policy policy = default_backoff();
	ck_assert_int_eq(backoff_delay_ms(&policy, 0, 0.0), 100);
	policy.min_ms = 1500;
	ck_assert_int_eq(backoff_delay_ms(&policy, 0, 0.0), 1500);
}
END_TEST

START_TEST(test_each_consecutive_restart_multiplies_by_factor)
{
	struct backoff_policy policy = default_backoff();
	int64_t expected = 100;
	for (unsigned consecutive = 0; consecutive <= 8; consecutive++) {
		ck_assert_msg(backoff_delay_ms(&policy, consecutive, 0.0) == expected,
			      "restart %u: %lld, expected %lld", consecutive,
			      (long long)backoff_delay_ms(&policy, consecutive, 0.0),
			      (long long)expected);
		expected *= 2;
	}
	struct backoff_policy triple = exact_backoff(10, 100000, 3);
	ck_assert_int_eq(backoff_delay_ms(&triple, 1, 0.0), 30);
	ck_assert_int_eq(backoff_delay_ms(&triple, 4, 0.0), 810);
	/* A fractional factor: 100, 150, 225, 337.5 (whole milliseconds). */
	struct backoff_policy half = exact_backoff(100, 100000, 1.5);
	ck_assert_int_eq(backoff_delay_ms(&half, 2, 0.0), 225);
	ck_assert_int_eq(backoff_delay_ms(&half, 3, 0.7), 337);
}
END_TEST

START_TEST(test_delay_is_capped_at_backoff_max)
{
	struct backoff_policy policy = default_backoff();
	/* 100 * 2^8 = 25600 is below the cap, 100 * 2^9 = 51200 is not. */
	ck_assert_int_eq(backoff_delay_ms(&policy, 8, 0.0), 25600);
	ck_assert_int_eq(backoff_delay_ms(&policy, 9, 0.0), 30000);
	ck_assert_int_eq(backoff_delay_ms(&policy, 20, 0.0), 30000);
	/* Reaching the cap exactly. */
	struct backoff_policy exact = exact_backoff(250, 1000, 2);
	ck_assert_int_eq(backoff_delay_ms(&exact, 2, 0.0), 1000);
	ck_assert_int_eq(backoff_delay_ms(&exact, 3, 0.0), 1000);
	/* The cap holds even for the first restart when min is above max. */
	struct backoff_policy inverted = exact_backoff(5000, 1000, 2);
	ck_assert_int_eq(backoff_delay_ms(&inverted, 0, 0.0), 1000);
}
END_TEST

START_TEST(test_long_crash_loop_stays_at_cap_without_overflow)
{
	struct backoff_policy policy = default_backoff();
	ck_assert_int_eq(backoff_delay_ms(&policy, 10000, 0.0), 30000);
	ck_assert_int_eq(backoff_delay_ms(&policy, UINT_MAX, 0.0), 30000);
	/* The largest values the config accepts: factor 1000, 1e12 ms. */
	struct backoff_policy huge = exact_backoff(1000000000000LL, 1000000000000LL, 1000);
	ck_assert_int_eq(backoff_delay_ms(&huge, 10000, 0.0), 1000000000000LL);
	struct backoff_policy steep = exact_backoff(1, 1000000000000LL, 1000);
	ck_assert_int_eq(backoff_delay_ms(&steep, 3, 0.0), 1000000000);
	ck_assert_int_eq(backoff_delay_ms(&steep, 10000, 0.0), 1000000000000LL);
	/* With jitter the long loop still lands in [0.8 * max, max]. */
	int64_t jittered = backoff_delay_ms(&policy, 10000, 0.5);
	ck_assert_int_eq(jittered, 27000);
}
END_TEST

START_TEST(test_factor_one_keeps_delay_constant)
{
	struct backoff_policy policy = exact_backoff(700, 30000, 1);
	unsigned restarts[] = { 0, 1, 2, 50, 10000 };
	for (size_t i = 0; i < sizeof restarts / sizeof restarts[0]; i++)
		ck_assert_int_eq(backoff_delay_ms(&policy, restarts[i], 0.0), 700);
}
END_TEST

START_TEST(test_backoff_min_zero_restarts_immediately)
{
	struct backoff_policy policy = default_backoff();
	policy.min_ms = 0;
	/* UINT_MAX: a delay that stays zero must not cost a step per restart
	 * (it once did: a crash loop got slower with every restart). */
	unsigned restarts[] = { 0, 1, 5, 100, 10000, UINT_MAX };
	double randoms[] = { 0.0, 0.5, 0.999 };
	for (size_t i = 0; i < sizeof restarts / sizeof restarts[0]; i++)
		for (size_t j = 0; j < sizeof randoms / sizeof randoms[0]; j++)
			ck_assert_int_eq(backoff_delay_ms(&policy, restarts[i], randoms[j]), 0);
}
END_TEST

START_TEST(test_jitter_zero_is_exact_whatever_the_random_draw)
{
	struct backoff_policy policy = exact_backoff(100, 30000, 2);
	double randoms[] = { 0.0, 0.25, 0.5, 0.999999, 1.0 };
	for (size_t i = 0; i < sizeof randoms / sizeof randoms[0]; i++) {
		ck_assert_int_eq(backoff_delay_ms(&policy, 0, randoms[i]), 100);
		ck_assert_int_eq(backoff_delay_ms(&policy, 3, randoms[i]), 800);
		ck_assert_int_eq(backoff_delay_ms(&policy, 30, randoms[i]), 30000);
	}
}
END_TEST

START_TEST(test_jitter_shortens_delay_down_to_one_minus_jitter)
{
	struct backoff_policy policy = default_backoff();
	/* random 0: the full delay; 0.5: half the jitter; near 1: delay * 0.8. */
	ck_assert_int_eq(backoff_delay_ms(&policy, 0, 0.0), 100);
	ck_assert_int_eq(backoff_delay_ms(&policy, 0, 0.5), 90);
	ck_assert_int_eq(backoff_delay_ms(&policy, 0, 0.999999), 80);
	ck_assert_int_eq(backoff_delay_ms(&policy, 4, 0.0), 1600);
	ck_assert_int_eq(backoff_delay_ms(&policy, 4, 0.5), 1440);
	ck_assert_int_eq(backoff_delay_ms(&policy, 4, 0.999999), 1280);
	ck_assert_int_eq(backoff_delay_ms(&policy, 30, 0.999999), 24000);
	/* Every draw in [0, 1) lands in [delay * (1 - jitter), delay], and a
	 * larger draw never gives a longer delay. */
	int64_t previous = INT64_MAX;
	for (int step = 0; step < 1000; step++) {
		double random_unit = step / 1000.0;
		int64_t delay = backoff_delay_ms(&policy, 6, random_unit);
		ck_assert_msg(delay >= 5120 && delay <= 6400, "draw %f gave %lld", random_unit,
			      (long long)delay);
		ck_assert_msg(delay <= previous, "draw %f gave a longer delay", random_unit);
		previous = delay;
	}
	/* Full jitter: anything from 0 to the delay. */
	policy.jitter = 1;
	ck_assert_int_eq(backoff_delay_ms(&policy, 0, 0.0), 100);
	ck_assert_int_eq(backoff_delay_ms(&policy, 0, 0.999999), 0);
}
END_TEST

START_TEST(test_out_of_range_random_draw_stays_within_jitter)
{
	struct backoff_policy policy = default_backoff();
	ck_assert_int_eq(backoff_delay_ms(&policy, 0, -0.5), 100);
	ck_assert_int_eq(backoff_delay_ms(&policy, 0, 1.0), 80);
	ck_assert_int_eq(backoff_delay_ms(&policy, 0, 7.0), 80);
}
END_TEST

/* ---- intensity window ------------------------------------------------- */

START_TEST(test_crash_looping_child_starts_max_restarts_plus_one_times)
{
	/* SPEC §2.2: with max-restarts = 2 a crash-looping child starts 3
	 * times: the first start, two restarts, and the third failure makes
	 * the group give up. */
	struct intensity window;
	ck_assert_int_eq(intensity_init(&window, 2), 0);
	ck_assert(intensity_allow(&window, 1000, 0));
	ck_assert(intensity_allow(&window, 1000, 10));
	ck_assert(!intensity_allow(&window, 1000, 20));
	/* A refusal is not recorded: the window still holds 0 and 10 only, so
	 * once 0 has left the window there is room again. */
	ck_assert(!intensity_allow(&window, 1000, 1000));
	ck_assert(intensity_allow(&window, 1000, 1001));
	ck_assert(!intensity_allow(&window, 1000, 1002));
	intensity_free(&window);
}
END_TEST

START_TEST(test_default_intensity_allows_ten_restarts_a_minute)
{
	struct intensity window;
	ck_assert_int_eq(intensity_init(&window, 10), 0);
	for (int restart = 0; restart < 10; restart++)
		ck_assert_msg(intensity_allow(&window, 60000, restart * 1000), "restart %d", restart);
	ck_assert(!intensity_allow(&window, 60000, 10000));
	ck_assert(!intensity_allow(&window, 60000, 60000));
	/* At 60001 the restart at 0 has left the window. */
	ck_assert(intensity_allow(&window, 60000, 60001));
	intensity_free(&window);
}
END_TEST

START_TEST(test_window_slides_with_failures_600ms_apart)
{
	/* max-restarts 1, restart-period 1s, a failure every 600 ms. */
	struct intensity window;
	ck_assert_int_eq(intensity_init(&window, 1), 0);
	ck_assert(intensity_allow(&window, 1000, 0));     /* empty window */
	ck_assert(!intensity_allow(&window, 1000, 600));  /* 0 + 1000 >= 600 */
	ck_assert(intensity_allow(&window, 1000, 1200));  /* 0 + 1000 < 1200 */
	ck_assert(!intensity_allow(&window, 1000, 1800)); /* 1200 + 1000 >= 1800 */
	ck_assert(intensity_allow(&window, 1000, 2400));  /* 1200 + 1000 < 2400 */
	ck_assert(!intensity_allow(&window, 1000, 3000)); /* 2400 + 1000 >= 3000 */
	ck_assert(intensity_allow(&window, 1000, 3600));
	intensity_free(&window);

	/* max-restarts 2: the window holds two, and each slides out on its own. */
	ck_assert_int_eq(intensity_init(&window, 2), 0);
	ck_assert(intensity_allow(&window, 1000, 0));
	ck_assert(intensity_allow(&window, 1000, 600));
	ck_assert(!intensity_allow(&window, 1000, 1000)); /* 0 and 600 both count */
	ck_assert(intensity_allow(&window, 1000, 1200));  /* 0 left; 600 and 1200 */
	ck_assert(!intensity_allow(&window, 1000, 1600)); /* 600 still counts */
	ck_assert(intensity_allow(&window, 1000, 1601));  /* 600 left */
	ck_assert(!intensity_allow(&window, 1000, 2200)); /* 1200, 1601 */
	intensity_free(&window);
}
END_TEST

START_TEST(test_failures_slower_than_the_period_are_always_allowed)
{
	struct intensity window;
	ck_assert_int_eq(intensity_init(&window, 1), 0);
	for (int64_t now = 0; now < 100 * 1001; now += 1001)
		ck_assert_msg(intensity_allow(&window, 1000, now), "at %lld", (long long)now);
	intensity_free(&window);
}
END_TEST

START_TEST(test_restart_counts_until_exactly_one_period_later)
{
	/* A restart at t still counts at now when now <= t + period. */
	struct intensity window;
	ck_assert_int_eq(intensity_init(&window, 1), 0);
	ck_assert(intensity_allow(&window, 1000, 5000));
	ck_assert(!intensity_allow(&window, 1000, 6000)); /* now == t + period */
	ck_assert(intensity_allow(&window, 1000, 6001));  /* now == t + period + 1 */
	intensity_free(&window);

	/* Period 0: only restarts at the very same millisecond count together. */
	ck_assert_int_eq(intensity_init(&window, 1), 0);
	ck_assert(intensity_allow(&window, 0, 100));
	ck_assert(!intensity_allow(&window, 0, 100));
	ck_assert(intensity_allow(&window, 0, 101));
	intensity_free(&window);
}
END_TEST

START_TEST(test_restarts_at_the_same_instant_all_count)
{
	struct intensity window;
	ck_assert_int_eq(intensity_init(&window, 3), 0);
	ck_assert(intensity_allow(&window, 1000, 42));
	ck_assert(intensity_allow(&window, 1000, 42));
	ck_assert(intensity_allow(&window, 1000, 42));
	ck_assert(!intensity_allow(&window, 1000, 42));
	ck_assert(!intensity_allow(&window, 1000, 1042));
	ck_assert(intensity_allow(&window, 1000, 1043));
	intensity_free(&window);
}
END_TEST

START_TEST(test_max_restarts_zero_gives_up_on_first_failure)
{
	struct intensity window;
	ck_assert_int_eq(intensity_init(&window, 0), 0);
	ck_assert(!intensity_allow(&window, 60000, 0));
	ck_assert(!intensity_allow(&window, 60000, 1000000));
	ck_assert(!intensity_allow(&window, 0, 5000000));
	intensity_free(&window);
}
END_TEST

START_TEST(test_clear_forgets_every_recorded_restart)
{
	struct intensity window;
	ck_assert_int_eq(intensity_init(&window, 2), 0);
	ck_assert(intensity_allow(&window, 1000, 0));
	ck_assert(intensity_allow(&window, 1000, 10));
	ck_assert(!intensity_allow(&window, 1000, 20));
	intensity_clear(&window);
	ck_assert(intensity_allow(&window, 1000, 30));
	ck_assert(intensity_allow(&window, 1000, 40));
	ck_assert(!intensity_allow(&window, 1000, 50));
	/* Clear again once the ring has moved on (0 left, head past slot 0). */
	ck_assert(intensity_allow(&window, 1000, 1031));
	intensity_clear(&window);
	ck_assert(intensity_allow(&window, 1000, 1032));
	ck_assert(intensity_allow(&window, 1000, 1033));
	ck_assert(!intensity_allow(&window, 1000, 1034));
	intensity_free(&window);
}
END_TEST

START_TEST(test_free_twice_is_harmless_and_refuses_after)
{
	struct intensity window;
	ck_assert_int_eq(intensity_init(&window, 4), 0);
	ck_assert(intensity_allow(&window, 1000, 0));
	intensity_free(&window);
	ck_assert_ptr_null(window.times);
	intensity_free(&window);
	/* A freed window has no room: it refuses rather than touching memory. */
	ck_assert(!intensity_allow(&window, 1000, 5000));
}
END_TEST

/* The rule, stated as plainly as possible: allowed when fewer than max
 * recorded restarts t satisfy now <= t + period; an allowed one is recorded. */
static bool reference_allow(int64_t *recorded, int *count, int max_restarts, int64_t period_ms,
			    int64_t now_ms)
{
	int in_window = 0;
	for (int i = 0; i < *count; i++)
		if (now_ms <= recorded[i] + period_ms)
			in_window++;
	if (in_window >= max_restarts)
		return false;
	recorded[(*count)++] = now_ms;
	return true;
}

START_TEST(test_window_matches_the_rule_over_long_random_histories)
{
	enum { EVENTS = 2000 };
	static int64_t recorded[EVENTS];
	int max_values[] = { 0, 1, 2, 3, 5, 10 };
	int64_t periods[] = { 0, 1, 100, 1000 };
	uint32_t seed = 12345;
	for (size_t m = 0; m < sizeof max_values / sizeof max_values[0]; m++) {
		for (size_t p = 0; p < sizeof periods / sizeof periods[0]; p++) {
			struct intensity window;
			ck_assert_int_eq(intensity_init(&window, max_values[m]), 0);
			int count = 0;
			int64_t now = 0;
			for (int event = 0; event < EVENTS; event++) {
				seed = seed * 1103515245u + 12345u;
				now += (seed >> 16) % 300; /* gaps of 0..299 ms */
				bool expected = reference_allow(recorded, &count, max_values[m],
								periods[p], now);
				ck_assert_msg(intensity_allow(&window, periods[p], now) == expected,
					      "max %d period %lld event %d at %lld: expected %s",
					      max_values[m], (long long)periods[p], event,
					      (long long)now, expected ? "allowed" : "refused");
			}
			intensity_free(&window);
		}
	}
}
END_TEST

Suite *policy_suite(void)
{
	Suite *suite = suite_create("policy");
	TCase *backoff = tcase_create("backoff");
	tcase_add_test(backoff, test_first_restart_waits_backoff_min);
	tcase_add_test(backoff, test_each_consecutive_restart_multiplies_by_factor);
	tcase_add_test(backoff, test_delay_is_capped_at_backoff_max);
	tcase_add_test(backoff, test_long_crash_loop_stays_at_cap_without_overflow);
	tcase_add_test(backoff, test_factor_one_keeps_delay_constant);
	tcase_add_test(backoff, test_backoff_min_zero_restarts_immediately);
	tcase_add_test(backoff, test_jitter_zero_is_exact_whatever_the_random_draw);
	tcase_add_test(backoff, test_jitter_shortens_delay_down_to_one_minus_jitter);
	tcase_add_test(backoff, test_out_of_range_random_draw_stays_within_jitter);
	suite_add_tcase(suite, backoff);

	TCase *intensity = tcase_create("intensity");
	tcase_add_test(intensity, test_crash_looping_child_starts_max_restarts_plus_one_times);
	tcase_add_test(intensity, test_default_intensity_allows_ten_restarts_a_minute);
	tcase_add_test(intensity, test_window_slides_with_failures_600ms_apart);
	tcase_add_test(intensity, test_failures_slower_than_the_period_are_always_allowed);
	tcase_add_test(intensity, test_restart_counts_until_exactly_one_period_later);
	tcase_add_test(intensity, test_restarts_at_the_same_instant_all_count);
	tcase_add_test(intensity, test_max_restarts_zero_gives_up_on_first_failure);
	tcase_add_test(intensity, test_clear_forgets_every_recorded_restart);
	tcase_add_test(intensity, test_free_twice_is_harmless_and_refuses_after);
	tcase_add_test(intensity, test_window_matches_the_rule_over_long_random_histories);
	suite_add_tcase(suite, intensity);
	return suite;
}
