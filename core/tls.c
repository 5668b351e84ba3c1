/* tls.c - TLS for tcp:// engines: which settings apply, the files they name,
 * the curl options they become, and what a TLS failure means in words.
 *
 * The environment is read exactly as the docker CLI reads it (DOCKER_TLS_VERIFY,
 * DOCKER_TLS, DOCKER_CERT_PATH, DOCKER_CONFIG); files are checked when the
 * client is made, so a missing CA or an encrypted key fails at once, before
 * any connection. Nothing here opens a connection or knows about Lua.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

#define WARNED_MAX 32   /* key files warned about once; more are warned again */

static int set_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v;
}

int ld_tls_wanted(const ld_tls_opts *o)
{
    if (o->mode == LD_TLS_FROM_ENV)
        return set_env("DOCKER_TLS_VERIFY") || set_env("DOCKER_TLS");
    return o->mode == LD_TLS_ON;
}

static int tls_fail(ld_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int tls_fail(ld_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = LD_E_TLS;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The folder of ca.pem, cert.pem, key.pem: DOCKER_CERT_PATH, else the
 * config folder ($DOCKER_CONFIG, else ~/.docker). */
static int cert_dir(char *out, size_t cap, ld_error *err)
{
    const char *dir = getenv("DOCKER_CERT_PATH");
    if (!dir || !*dir)
        dir = getenv("DOCKER_CONFIG");
    if (dir && *dir) {
        snprintf(out, cap, "%s", dir);
        return 0;
    }
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home)
        return tls_fail(err, "TLS is on but no folder holds its files: set DOCKER_CERT_PATH");
    snprintf(out, cap, "%s/.docker", home);
    return 0;
}

static int readable(const char *path)
{
    return access(path, R_OK) == 0;
}

/* One warning per process and file for a key others may read (as ssh
 * refuses such keys; the docker CLI says nothing). */
static void warn_key_mode(const char *path, const struct stat *st)
{
    static struct { dev_t dev; ino_t ino; } warned[WARNED_MAX];
    static int nwarned;
    if (!(st->st_mode & 077))
        return;
    for (int i = 0; i < nwarned; i++)
        if (warned[i].dev == st->st_dev && warned[i].ino == st->st_ino)
            return;
    if (nwarned < WARNED_MAX) {
        warned[nwarned].dev = st->st_dev;
        warned[nwarned].ino = st->st_ino;
        nwarned++;
    }
    fprintf(stderr, "luadock: warning: the TLS key %s can be read by group or others "
            "(mode %04o); chmod 600 it\n", path, (unsigned)(st->st_mode & 07777));
}

/* An encrypted PEM key would make OpenSSL ask for a pass phrase on the
 * terminal; the docker CLI refuses such keys, and so do we. */
static int check_key(const char *path, ld_error *err)
{
    struct stat st;
    if (stat(path, &st) == 0)
        warn_key_mode(path, &st);
    FILE *f = fopen(path, "rb");
    if (!f)
        return tls_fail(err, "TLS: cannot read the key %s: %s", path, strerror(errno));
    char head[8192];
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[n] = '\0';
    if (strstr(head, "ENCRYPTED"))
        return tls_fail(err, "TLS: the key %s is encrypted; luadock, like the docker CLI, needs "
                        "an unencrypted key (openssl pkey -in %s -out key.pem)", path, path);
    return 0;
}

static int keep(const char **dst, const char *path, ld_error *err)
{
    if (!path)
        return 0;
    *dst = strdup(path);
    if (!*dst) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

static int resolve_env(ld_tls_opts *out, ld_error *err)
{
    char dir[4096], ca[4200], cert[4200], key[4200];
    if (cert_dir(dir, sizeof dir, err) != 0)
        return -1;
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    out->no_verify = !set_env("DOCKER_TLS_VERIFY");
    /* The CLI needs ca.pem even without verification (docker/cli#2468). */
    if (!readable(ca))
        return tls_fail(err, "TLS is on (DOCKER_TLS_VERIFY or DOCKER_TLS) but the CA file %s "
                        "cannot be read: %s; DOCKER_CERT_PATH names the folder of ca.pem, "
                        "cert.pem and key.pem", ca, strerror(errno));
    int has_cert = readable(cert), has_key = readable(key);
    if (has_cert != has_key)
        return tls_fail(err, "TLS: found %s but not %s; a client certificate needs both",
                        has_cert ? cert : key, has_cert ? key : cert);
    if (has_key && check_key(key, err) != 0)
        return -1;
    return keep(&out->ca, ca, err) || keep(&out->cert, has_cert ? cert : NULL, err) ||
           keep(&out->key, has_key ? key : NULL, err) ? -1 : 0;
}

static int resolve_given(const ld_tls_opts *o, ld_tls_opts *out, ld_error *err)
{
    if (!o->cert != !o->key) {
        ld_error_set(err, LD_E_ARG, "TLS: a client certificate needs both cert and key (got "
                     "only %s)", o->cert ? "cert" : "key");
        return -1;
    }
    const char *files[3] = {o->ca, o->cert, o->key};
    const char *names[3] = {"CA file", "client certificate", "TLS key"};
    for (int i = 0; i < 3; i++)
        if (files[i] && !readable(files[i]))
            return tls_fail(err, "TLS: cannot read the %s %s: %s", names[i], files[i],
                            strerror(errno));
    if (o->key && check_key(o->key, err) != 0)
        return -1;
    out->no_verify = o->no_verify;
    return keep(&out->ca, o->ca, err) || keep(&out->cert, o->cert, err) ||
           keep(&out->key, o->key, err) ? -1 : 0;
}

int ld_tls_resolve(const ld_tls_opts *o, ld_tls_opts *out, ld_error *err)
{
    memset(out, 0, sizeof *out);
    out->mode = LD_TLS_ON;
    int rc = o->mode == LD_TLS_FROM_ENV ? resolve_env(out, err) : resolve_given(o, out, err);
    if (rc != 0)
        ld_tls_release(out);
    return rc;
}

void ld_tls_release(ld_tls_opts *t)
{
    free((void *)t->ca);
    free((void *)t->cert);
    free((void *)t->key);
    memset(t, 0, sizeof *t);
    t->mode = LD_TLS_OFF;
}

void ld_tls_connection_options(const ld_tls_opts *t, CURL *e)
{
    curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    /* no session resumption, as the docker CLI (Go's default): OpenSSL
     * servers that check client certificates without a session id context
     * (socat's verify=1) refuse a resumed session */
    curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    if (t->ca) {
        /* only this CA, as the docker CLI's tlscacert: not the system's too */
        curl_easy_setopt(e, CURLOPT_CAINFO, t->ca);
        curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    }
    if (t->cert) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, t->cert);
        curl_easy_setopt(e, CURLOPT_SSLKEY, t->key);
        curl_easy_setopt(e, CURLOPT_KEYPASSWD, "");   /* never a terminal prompt */
    }
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, t->no_verify ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, t->no_verify ? 0L : 2L);
}

static int says(const char *text, const char *what)
{
    return strcasestr(text, what) != NULL;
}

/* The server refused our certificate (or its absence) with an alert. */
static int client_cert_refused(const char *detail)
{
    return says(detail, "alert certificate required") || says(detail, "alert handshake failure") ||
           says(detail, "alert bad certificate") || says(detail, "alert unknown ca") ||
           says(detail, "alert certificate unknown");
}

/* A TLS client talking to a plain HTTP server reads "HTTP/1.1 400" as a
 * TLS record: OpenSSL calls that a wrong version number. */
static int plain_server(const char *detail)
{
    return says(detail, "wrong version number") || says(detail, "packet length too long") ||
           says(detail, "record layer failure") || says(detail, "unknown protocol");
}

static void client_cert_error(ld_error *err, const ld_client *c, const char *detail)
{
    if (c->tls.cert)
        ld_error_set(err, LD_E_TLS, "TLS: the Docker daemon at %s refused the client "
                     "certificate %s (%s)", c->host.normalized, c->tls.cert, detail);
    else
        ld_error_set(err, LD_E_TLS, "TLS: the Docker daemon at %s requires a client "
                     "certificate and none was given (cert.pem/key.pem, or tls = { cert =, "
                     "key = }) (%s)", c->host.normalized, detail);
}

int ld_tls_error_from_curl(ld_error *err, const ld_client *c, CURLcode rc, const char *detail)
{
    const char *addr = c->host.normalized;
    if (c->tls.mode != LD_TLS_ON)
        return 0;
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
        if (says(detail, "subject name") || says(detail, "host name") || says(detail, "hostname"))
            ld_error_set(err, LD_E_TLS, "TLS: the certificate of the Docker daemon at %s is "
                         "for another host name (%s)", addr, detail);
        else
            ld_error_set(err, LD_E_TLS, "TLS: the certificate of the Docker daemon at %s is "
                         "not signed by the CA %s (%s)", addr,
                         c->tls.ca ? c->tls.ca : "of the system", detail);
        return 1;
    case CURLE_SSL_CACERT_BADFILE:
        ld_error_set(err, LD_E_TLS, "TLS: cannot use the CA file %s (%s)",
                     c->tls.ca ? c->tls.ca : "of the system", detail);
        return 1;
    case CURLE_SSL_CERTPROBLEM:
        ld_error_set(err, LD_E_TLS, "TLS: cannot use the client certificate %s with the key "
                     "%s (%s)", c->tls.cert ? c->tls.cert : "-", c->tls.key ? c->tls.key : "-",
                     detail);
        return 1;
    case CURLE_SSL_CONNECT_ERROR:
        if (plain_server(detail))
            ld_error_set(err, LD_E_TLS, "TLS: the Docker daemon at %s does not speak TLS on "
                         "this port (it answered in plain HTTP); connect without TLS or check "
                         "the port (%s)", addr, detail);
        else if (client_cert_refused(detail))
            client_cert_error(err, c, detail);
        else
            ld_error_set(err, LD_E_TLS, "TLS: the handshake with the Docker daemon at %s "
                         "failed (%s)", addr, detail);
        return 1;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        /* TLS 1.3: a refused client certificate shows on the first read */
        if (!client_cert_refused(detail))
            return 0;
        client_cert_error(err, c, detail);
        return 1;
    default:
        return 0;
    }
}

void ld_error_unanswered(ld_error *err, const ld_client *c, CURLcode rc, const char *detail)
{
    if (c->host.kind != LD_HOST_TCP || err->code == LD_E_TLS)
        return;
    if (rc != CURLE_SEND_ERROR && rc != CURLE_RECV_ERROR && rc != CURLE_GOT_NOTHING)
        return;
    const char *addr = c->host.normalized;
    /* detail may be err->message itself, which the message below replaces */
    char copy[sizeof err->message];
    snprintf(copy, sizeof copy, "%s", detail && *detail ? detail : curl_easy_strerror(rc));
    detail = copy;
    if (c->tls.mode != LD_TLS_ON)
        ld_error_set(err, LD_E_PROTOCOL, "the Docker daemon at %s closed the connection without "
                     "answering (%.400s); if it expects TLS, set DOCKER_TLS_VERIFY=1 or connect "
                     "with tls = {...}", addr, detail);
    else if (!c->tls.cert)
        /* TLS 1.3: the server checks the client after the handshake, and
         * its alert may be lost when it closes at once */
        ld_error_set(err, LD_E_TLS, "TLS: the Docker daemon at %s closed the connection without "
                     "answering; it may require a client certificate, and none was given "
                     "(%.400s)", addr, detail);
    else
        ld_error_set(err, LD_E_TLS, "TLS: the Docker daemon at %s closed the connection without "
                     "answering; it may have refused the client certificate %s (%.400s)", addr,
                     c->tls.cert, detail);
}
