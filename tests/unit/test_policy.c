/* test_policy.c */
#include "unit.h"

Suite *policy_suite(void)
{
	Suite *suite = suite_create("policy");
	return suite;
}
