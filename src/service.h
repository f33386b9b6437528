#ifndef TEND_SERVICE_H
#define TEND_SERVICE_H
#endif
