/* test_group.c */
#include "unit.h"

Suite *group_suite(void)
{
	Suite *suite = suite_create("group");
	return suite;
}
