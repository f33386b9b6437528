/* passwd.c */
#include "passwd.h"
