/* ctl.h: tendctl, the client of a running tend (SPEC §6). */
#ifndef TEND_CTL_H
#define TEND_CTL_H

/* Run `tendctl ARGS...` (argv[0] is the program name). Returns the exit
 * status: 0 success, 1 command failed, 2 usage error, 3 cannot reach tend. */
int ctl_main(int argc, char **argv);

#endif
