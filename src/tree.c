/* tree.c */
#include "tree.h"
