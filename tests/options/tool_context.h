/* tool_context: a SecureContext from tls_tool's context options, each
 * applied with its own setter in command-line order. */
#ifndef TLSPLUG_OPTIONS_TOOL_CONTEXT_H
#define TLSPLUG_OPTIONS_TOOL_CONTEXT_H

#include "tlsplug.h"
#include "tool_args.h"

/* Answers 0 with *out set; 2 after printing an option-error line (a setter
 * refused: the status name, Node's code and the message); 3 after printing
 * on stderr why a file could not be read. */
int tool_make_context(const struct tool_args *a, tlsplug_context **out);

/* The whole content of a file, NUL-terminated (the NUL not counted), or
 * NULL after printing the reason on stderr. */
unsigned char *tool_read_file(const char *path, size_t *len);

#endif
