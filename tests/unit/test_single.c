/* test_single.c */
#include "unit.h"

Suite *single_suite(void)
{
	Suite *suite = suite_create("single");
	return suite;
}
