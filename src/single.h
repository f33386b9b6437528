#ifndef TEND_SINGLE_H
#define TEND_SINGLE_H
#endif
