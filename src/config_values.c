/* config_values.c */
#include "config_values.h"
