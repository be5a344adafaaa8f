/* The two subcommands; each answers the process's exit status. */
#ifndef TLSPLUG_TOOL_COMMANDS_H
#define TLSPLUG_TOOL_COMMANDS_H

/* argv[0] is the subcommand's name; options follow. */
int cmd_server(int argc, char **argv);
int cmd_client(int argc, char **argv);

#endif
