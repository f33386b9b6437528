/* options.c */
#include "options.h"
