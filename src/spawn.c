/* spawn.c */
#include "spawn.h"
