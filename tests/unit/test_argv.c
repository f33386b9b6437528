/* test_argv.c */
#include "unit.h"

Suite *argv_suite(void)
{
	Suite *suite = suite_create("argv");
	return suite;
}
