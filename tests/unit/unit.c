/* unit.c: runs every unit-test suite and prints "unit: N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

int main(void)
{
	SRunner *runner = srunner_create(argv_suite());
	srunner_add_suite(runner, config_suite());
	srunner_add_suite(runner, config_values_suite());
	srunner_add_suite(runner, policy_suite());
	srunner_add_suite(runner, single_suite());
	srunner_add_suite(runner, group_suite());
	srunner_add_suite(runner, pathmatch_suite());
	srunner_add_suite(runner, launch_suite());
	srunner_add_suite(runner, core_suite());
	srunner_add_suite(runner, health_suite());
	srunner_add_suite(runner, ctl_suite());
	srunner_add_suite(runner, protocol_suite());
	srunner_add_suite(runner, reload_suite());
	srunner_run_all(runner, CK_NORMAL);
	int run = srunner_ntests_run(runner);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	printf("unit: %d passed, %d failed\n", run - failed, failed);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
