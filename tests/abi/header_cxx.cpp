// abi_header_cxx: the public header compiles alone as C++ (-std=c++11
// -pedantic -Wall -Wextra -Werror), and declares C linkage.
#include "tlsplug.h"

// Redeclaring with C linkage is ill-formed if the header had declared the
// function with C++ linkage, so this line fails without extern "C" there.
extern "C" int tlsplug_abi_version(void);

static_assert(TLSPLUG_OK == 0 && TLSPLUG_E_BADHANDLE < 0, "status codes");
