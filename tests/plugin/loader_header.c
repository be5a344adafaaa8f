/* The loader header alone, as a host includes it: compiled as strict C11
 * and as C++11 by plugin_loader_header_c/_cxx (syntax only). A header
 * compiled as the main file would draw clang's unused-function warning for
 * its static inline functions, which no host sees. */
#include "tlsplug_loader.h"
