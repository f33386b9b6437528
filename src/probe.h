/* probe.h: `tendctl probe live|ready` (SPEC §3): exit 0 or 1 from the
 * health files alone, no socket. */
#ifndef TEND_PROBE_H
#define TEND_PROBE_H

/* argv[0] is "probe". Returns the exit status (0, 1, or 2 for usage). */
int probe_main(int argc, char **argv);

#endif
