/* sweep.c */
#include "sweep.h"
