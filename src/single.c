/* single.c */
#include "single.h"
