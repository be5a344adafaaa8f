/* abi_header_c: the public header compiles alone, as strict C11
 * (-std=c11 -pedantic -Wall -Wextra -Werror), with nothing included first. */
#include "tlsplug.h"

/* Use the types so the translation unit is not empty of checks. */
typedef int tlsplug_header_c_check[sizeof(tlsplug_event_cb) > 0 && TLSPLUG_OK == 0 ? 1 : -1];
