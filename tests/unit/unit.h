/* unit.h: the suites of the unit-test program (one per source module). */
#ifndef TEND_UNIT_H
#define TEND_UNIT_H

#include <check.h>

Suite *argv_suite(void);
Suite *config_suite(void);
Suite *config_values_suite(void);
Suite *policy_suite(void);
Suite *single_suite(void);
Suite *group_suite(void);
Suite *pathmatch_suite(void);
Suite *launch_suite(void);
Suite *core_suite(void);
Suite *health_suite(void);
Suite *ctl_suite(void);
Suite *protocol_suite(void);
Suite *reload_suite(void);

#endif
