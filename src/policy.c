/* policy.c: restart backoff and the restart-intensity window, as pure
 * functions (no clock, no randomness of their own: both come in). */
#include "policy.h"

#include <stdlib.h>

int64_t backoff_delay_ms(const struct backoff_policy *policy, unsigned consecutive,
			 double random_unit)
{
	double delay = (double)policy->min_ms;
	/* Multiply step by step and stop at the cap, so a long crash loop
	 * cannot overflow; a zero delay stays zero (no steps at all, however
	 * long the crash loop: backoff-min = 0 must cost nothing per restart). */
	for (unsigned step = 0; step < consecutive && delay > 0 && delay < (double)policy->max_ms &&
				policy->factor > 1; step++)
		delay *= policy->factor;
	if (delay > (double)policy->max_ms)
		delay = (double)policy->max_ms;
	if (random_unit < 0)
		random_unit = 0;
	if (random_unit >= 1)
		random_unit = 0.999999;
	delay *= 1.0 - policy->jitter * random_unit;
	return (int64_t)delay;
}

int intensity_init(struct intensity *window, int max_restarts)
{
	window->capacity = max_restarts > 0 ? max_restarts : 0;
	window->count = 0;
	window->head = 0;
	window->times = NULL;
	if (window->capacity == 0)
		return 0;
	window->times = calloc((size_t)window->capacity, sizeof *window->times);
	return window->times == NULL ? -1 : 0;
}

void intensity_free(struct intensity *window)
{
	free(window->times);
	window->times = NULL;
	window->capacity = window->count = window->head = 0;
}

void intensity_clear(struct intensity *window)
{
	window->count = 0;
	window->head = 0;
}

bool intensity_allow(struct intensity *window, int64_t period_ms, int64_t now_ms)
{
	/* Forget restarts that left the window (OTP keeps t while now <= t + period). */
	while (window->count > 0 && window->times[window->head] + period_ms < now_ms) {
		window->head = (window->head + 1) % window->capacity;
		window->count--;
	}
	if (window->count >= window->capacity)
		return false;
	window->times[(window->head + window->count) % window->capacity] = now_ms;
	window->count++;
	return true;
}
