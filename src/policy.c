/* policy.c */
#include "policy.h"
