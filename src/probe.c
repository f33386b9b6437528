/* probe.c: `tendctl probe` (probe.h). Not built yet: the health files
 * arrive with health checks. */
#include "probe.h"

#include <stdio.h>

int probe_main(int argc, char **argv)
{
	(void)argc, (void)argv;
	fputs("tendctl: probe: not built yet\n", stderr);
	return 2;
}
