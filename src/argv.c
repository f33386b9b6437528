/* argv.c */
#include "argv.h"
