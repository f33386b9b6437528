#ifndef TEND_SWEEP_H
#define TEND_SWEEP_H
#endif
