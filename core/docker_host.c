/* docker_host.c - parsing DOCKER_HOST-style addresses the way the docker CLI
 * does (named so, since bindings/ has a host.c of its own: the program).
 *
 * Pure string work (no I/O), tested against the docker CLI's own vectors in
 * tests/unit/test_host.c. ssh:// follows the docker CLI's ssh helper: the
 * parts become ssh's arguments (core/ssh.c), so anything ssh could take for
 * an option, and a password (which could only leak), is refused here.
 * Schemes luadock cannot speak (fd://, npipe://) are refused with a clear
 * message rather than guessed at.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "luadock.h"

#define DEFAULT_SOCKET "/var/run/docker.sock"
#define DEFAULT_TCP_HOST "localhost"
#define DEFAULT_TCP_PORT 2375
/* Messages quote at most this much of an address, so the reason that
 * follows is never cut off by ld_error's buffer. */
#define QUOTE_MAX 300
#define QUOTE_FMT "%.*s%s"
#define QUOTE(s) QUOTE_MAX, (s), strlen(s) > QUOTE_MAX ? "..." : ""

static int invalid(ld_error *err, const char *spec, const char *why)
{
    ld_error_set(err, LD_E_ARG, "invalid DOCKER_HOST address \"" QUOTE_FMT "\": %s", QUOTE(spec),
                 why);
    return -1;
}

static int parse_unix(const char *spec, const char *rest, ld_host *out, ld_error *err)
{
    if (strstr(rest, "://"))
        return invalid(err, spec, "invalid bind address format");
    const char *path = *rest ? rest : DEFAULT_SOCKET;
    if (strlen(path) >= sizeof out->socket_path) {
        ld_error_set(err, LD_E_ARG, "unix socket path \"" QUOTE_FMT "\" is too long (at most %zu "
                     "bytes)", QUOTE(path), sizeof out->socket_path - 1);
        return -1;
    }
    out->kind = LD_HOST_UNIX;
    snprintf(out->socket_path, sizeof out->socket_path, "%s", path);
    snprintf(out->normalized, sizeof out->normalized, "unix://%s", path);
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* host[:port][/path] with host possibly "[v6]". */
static int parse_tcp(const char *spec, const char *rest, ld_host *out, ld_error *err)
{
    const char *slash = strchr(rest, '/');
    size_t authority_len = slash ? (size_t)(slash - rest) : strlen(rest);
    const char *path = slash ? slash : "";
    const char *host = rest, *port = NULL;
    size_t host_len, port_len = 0;

    if (strstr(rest, "://"))
        return invalid(err, spec, "invalid proto, expected tcp");
    if (strchr(rest, ' '))
        return invalid(err, spec, "invalid bind address format");
    if (strpbrk(rest, "?#"))
        return invalid(err, spec, "queries and fragments are not allowed");
    /* curl would take "user@" as credentials; the docker CLI drops it */
    if (memchr(rest, '@', authority_len))
        return invalid(err, spec, "user information is not allowed");
    if (rest[0] == '[') {
        const char *close = memchr(rest, ']', authority_len);
        if (!close)
            return invalid(err, spec, "missing ']' in IPv6 address");
        host = rest + 1;
        host_len = (size_t)(close - host);
        /* "[[]:1" would keep the host "[", whose address prints as
         * "tcp://[:1", which no longer parses (found by tests/fuzz) */
        if (memchr(host, '[', host_len))
            return invalid(err, spec, "invalid IPv6 address");
        if (close + 1 < rest + authority_len) {
            if (close[1] != ':')
                return invalid(err, spec, "invalid bind address format");
            port = close + 2;
            port_len = (size_t)(rest + authority_len - port);
        }
    } else {
        const char *colon = memchr(rest, ':', authority_len);
        host_len = colon ? (size_t)(colon - rest) : authority_len;
        if (colon) {
            port = colon + 1;
            port_len = (size_t)(rest + authority_len - port);
            if (memchr(port, ':', port_len))
                return invalid(err, spec, "too many colons (IPv6 needs brackets)");
        }
    }
    if (port && port_len && !all_digits(port, port_len))
        return invalid(err, spec, "invalid port");
    if (host_len >= sizeof out->hostname || strlen(path) >= sizeof out->base_path)
        return invalid(err, spec, "address too long");
    long portnum = DEFAULT_TCP_PORT;
    if (port && port_len) {
        if (port_len > 5)
            return invalid(err, spec, "port out of range");
        char tmp[8];
        memcpy(tmp, port, port_len);
        tmp[port_len] = '\0';
        portnum = strtol(tmp, NULL, 10);
        if (portnum < 1 || portnum > 65535)
            return invalid(err, spec, "port out of range");
    }
    out->kind = LD_HOST_TCP;
    if (host_len == 0)
        snprintf(out->hostname, sizeof out->hostname, "%s", DEFAULT_TCP_HOST);
    else
        snprintf(out->hostname, sizeof out->hostname, "%.*s", (int)host_len, host);
    out->port = (int)portnum;
    size_t plen = strlen(path);
    while (plen && path[plen - 1] == '/')
        plen--;
    snprintf(out->base_path, sizeof out->base_path, "%.*s", (int)plen, path);
    int v6 = strchr(out->hostname, ':') != NULL;
    /* a long host and a long path together overflow the normalized form,
     * which then named another address (found by tests/fuzz) */
    if (snprintf(out->normalized, sizeof out->normalized, "tcp://%s%s%s:%d%s", v6 ? "[" : "",
                 out->hostname, v6 ? "]" : "", out->port, out->base_path) >=
        (int)sizeof out->normalized) {
        memset(out, 0, sizeof *out);
        return invalid(err, spec, "address too long");
    }
    return 0;
}

/* The address with a password replaced by "xxxxx", so no message shows it. */
static void redact(const char *spec, char *out, size_t cap)
{
    /* the last '@' anywhere: a password may hold '/', '?' or '#' */
    const char *auth = strstr(spec, "://");
    auth = auth ? auth + 3 : spec;
    const char *at = strrchr(auth, '@');
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon) {
        snprintf(out, cap, "%s", spec);
        return;
    }
    snprintf(out, cap, "%.*sxxxxx%s", (int)(colon + 1 - spec), spec, at);
}

static int invalid_ssh(const char *spec, const char *why, ld_error *err)
{
    char shown[1024];
    redact(spec, shown, sizeof shown);
    ld_error_set(err, LD_E_ARG, "invalid DOCKER_HOST address \"" QUOTE_FMT "\": invalid ssh "
                 "URL: %s", QUOTE(shown), why);
    return -1;
}

/* What ssh takes as a login name, and as a host name or address. */
static int user_char(int ch)
{
    return isalnum(ch) || (ch && strchr("-._~!$&'()*+,;=", ch));
}

static int host_char(int ch)
{
    return isalnum(ch) || (ch && strchr("-._~", ch));
}

/* [user@]host[:port][/path], the rest of "ssh://". */
static int parse_ssh(const char *spec, const char *rest, ld_host *out, ld_error *err)
{
    if (strchr(rest, '#'))
        return invalid_ssh(spec, "fragments are not allowed", err);
    if (strchr(rest, '?'))
        return invalid_ssh(spec, "query parameters are not allowed", err);
    size_t authority_len = strcspn(rest, "/");
    const char *path = rest + authority_len;
    const char *at = NULL;
    for (const char *p = rest; p < rest + authority_len; p++)
        if (*p == '@')
            at = p;
    const char *host = rest;
    if (at) {
        size_t user_len = (size_t)(at - rest);
        if (memchr(rest, ':', user_len))
            return invalid_ssh(spec, "plain-text password is not supported", err);
        if (user_len == 0 || user_len >= sizeof out->user)
            return invalid_ssh(spec, user_len ? "user name too long" : "empty user name", err);
        if (rest[0] == '-')
            return invalid_ssh(spec, "the user name may not start with '-'", err);
        for (size_t i = 0; i < user_len; i++)
            if (!user_char((unsigned char)rest[i]))
                return invalid_ssh(spec, "invalid character in the user name", err);
        snprintf(out->user, sizeof out->user, "%.*s", (int)user_len, rest);
        host = at + 1;
    }
    const char *end = rest + authority_len, *port = NULL;
    size_t host_len;
    int v6 = host[0] == '[';
    if (v6) {
        const char *close = memchr(host, ']', (size_t)(end - host));
        if (!close)
            return invalid_ssh(spec, "missing ']' in IPv6 address", err);
        if (close + 1 < end && close[1] != ':')
            return invalid_ssh(spec, "invalid port", err);
        port = close + 1 < end ? close + 2 : NULL;
        host++;
        host_len = (size_t)(close - host);
        for (size_t i = 0; i < host_len; i++)
            if (!isxdigit((unsigned char)host[i]) && host[i] != ':' && host[i] != '.')
                return invalid_ssh(spec, "invalid IPv6 address", err);
    } else {
        const char *colon = memchr(host, ':', (size_t)(end - host));
        host_len = colon ? (size_t)(colon - host) : (size_t)(end - host);
        port = colon ? colon + 1 : NULL;
    }
    if (host_len == 0)
        return invalid_ssh(spec, "hostname is empty", err);
    if (host[0] == '-')
        return invalid_ssh(spec, "the hostname may not start with '-'", err);
    if (host_len >= sizeof out->hostname)
        return invalid_ssh(spec, "hostname too long", err);
    for (size_t i = 0; !v6 && i < host_len; i++)
        if (!host_char((unsigned char)host[i]))
            return invalid_ssh(spec, "invalid character in the hostname", err);
    size_t port_len = port ? (size_t)(end - port) : 0;
    if (port_len) {
        long n = port_len <= 5 && all_digits(port, port_len) ? strtol(port, NULL, 10) : 0;
        if (n < 1 || n > 65535)
            return invalid_ssh(spec, "invalid port (1 to 65535)", err);
        out->port = (int)n;
    }
    if (strcmp(path, "/") == 0)
        path = "";
    if (strlen(path) >= sizeof out->socket_path)
        return invalid_ssh(spec, "socket path too long", err);
    out->kind = LD_HOST_SSH;
    snprintf(out->hostname, sizeof out->hostname, "%.*s", (int)host_len, host);
    snprintf(out->socket_path, sizeof out->socket_path, "%s", path);
    char port_text[8] = "";
    if (out->port)
        snprintf(port_text, sizeof port_text, ":%d", out->port);
    snprintf(out->normalized, sizeof out->normalized, "ssh://%s%s%s%s%s%s%s", out->user,
             out->user[0] ? "@" : "", v6 ? "[" : "", out->hostname, v6 ? "]" : "", port_text,
             out->socket_path);
    return 0;
}

int ld_host_parse(const char *spec, ld_host *out, ld_error *err)
{
    memset(out, 0, sizeof *out);
    if (!spec)
        spec = "";
    while (isspace((unsigned char)*spec))
        spec++;
    char trimmed[1024];
    size_t n = strlen(spec);
    while (n && isspace((unsigned char)spec[n - 1]))
        n--;
    if (n >= sizeof trimmed)
        return strncmp(spec, "ssh://", 6) == 0 ? invalid_ssh(spec, "address too long", err)
                                              : invalid(err, spec, "address too long");
    memcpy(trimmed, spec, n);
    trimmed[n] = '\0';
    if (n == 0)
        return parse_unix(trimmed, "", out, err);
    /* Spaces are fine in a socket path (as for the docker CLI); parse_tcp
     * refuses them. Control characters are refused everywhere. */
    for (size_t i = 0; i < n; i++)
        if (iscntrl((unsigned char)trimmed[i]))
            return strncmp(trimmed, "ssh://", 6) == 0
                ? invalid_ssh(trimmed, "invalid control character in URL", err)
                : invalid(err, trimmed, "invalid bind address format");

    const char *sep = strstr(trimmed, "://");
    if (!sep)
        return parse_tcp(trimmed, trimmed, out, err);
    size_t scheme_len = (size_t)(sep - trimmed);
    const char *rest = sep + 3;
    if (scheme_len == 3 && strncmp(trimmed, "tcp", 3) == 0)
        return parse_tcp(trimmed, rest, out, err);
    if (scheme_len == 4 && strncmp(trimmed, "unix", 4) == 0)
        return parse_unix(trimmed, rest, out, err);
    if (scheme_len == 3 && strncmp(trimmed, "ssh", 3) == 0)
        return parse_ssh(trimmed, rest, out, err);
    if ((scheme_len == 2 && strncmp(trimmed, "fd", 2) == 0) ||
        (scheme_len == 5 && strncmp(trimmed, "npipe", 5) == 0)) {
        ld_error_set(err, LD_E_ARG, "DOCKER_HOST \"" QUOTE_FMT "\": luadock speaks unix://, "
                     "tcp:// and ssh:// only", QUOTE(trimmed));
        return -1;
    }
    return invalid(err, trimmed, "invalid bind address format");
}
