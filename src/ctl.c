/* ctl.c */
#include "ctl.h"
