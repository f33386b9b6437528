/* reaper.c */
#include "reaper.h"
