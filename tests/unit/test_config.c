/* test_config.c */
#include "unit.h"

Suite *config_suite(void)
{
	Suite *suite = suite_create("config");
	return suite;
}
