/* embedded.h - the Lua modules of scripts/ compiled into the host.
 *
 * The table is generated at build time by embed.cmake; main.c registers
 * each entry in package.preload under its module name.
 */
#ifndef LUADOCK_EMBEDDED_H
#define LUADOCK_EMBEDDED_H

#include <stddef.h>

typedef struct ld_embedded_script {
    const char *module;      /* "luadock", "luadock.container.run", ... */
    const char *chunkname;   /* "@scripts/luadock/init.lua" */
    const unsigned char *code;
    size_t len;
} ld_embedded_script;

extern const ld_embedded_script ld_embedded_scripts[];

#endif
