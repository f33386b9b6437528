/* test_config_values.c */
#include "unit.h"

Suite *config_values_suite(void)
{
	Suite *suite = suite_create("config_values");
	return suite;
}
