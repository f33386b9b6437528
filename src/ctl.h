#ifndef TEND_CTL_H
#define TEND_CTL_H
#endif
