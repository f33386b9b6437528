/* util.c */
#include "util.h"
