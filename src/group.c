/* group.c */
#include "group.h"
