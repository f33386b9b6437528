/* service.c */
#include "service.h"
