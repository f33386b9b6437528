#ifndef TEND_TREE_H
#define TEND_TREE_H
#endif
