#ifndef TEND_OPTIONS_H
#define TEND_OPTIONS_H
#endif
