#ifndef TEND_GROUP_H
#define TEND_GROUP_H
#endif
