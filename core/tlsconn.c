/* tlsconn.c - a TLS session of our own over a connected socket, for the
 * hijacked (attach/exec with stdin) connections of TLS clients.
 *
 * libcurl does the TLS of every ordinary transfer, but it has no call that
 * ends only our half of a TLS connection. Stdin EOF over TLS must be a
 * close_notify alert (what Go's tls.Conn.CloseWrite sends, and what the
 * docker CLI sends): a bare TCP half-close under a TLS session is taken as
 * a truncation attack by OpenSSL 3 servers and fronts, which then drop the
 * whole connection. So hijack.c lets curl make the TCP connection and runs
 * TLS here, with the same files, checks and words as tls.c gives curl.
 * Reads and writes answer like curl_easy_recv/send (CURLE_AGAIN when the
 * socket would block), so hijack.c drives both the same way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct ld_tlsconn {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
};

static void openssl_detail(char *errbuf, size_t cap, const char *what)
{
    unsigned long e = ERR_get_error();
    char text[256] = "";
    if (e)
        ERR_error_string_n(e, text, sizeof text);
    snprintf(errbuf, cap, "%s%s%s", what, e ? ": " : "", text);
    ERR_clear_error();
}

/* OpenSSL writes to the socket with plain send(): a peer that went away
 * would raise SIGPIPE (curl avoids it with MSG_NOSIGNAL). Block it around
 * our writes and drop one that came, unless one was pending already. */
typedef struct { sigset_t old; int was_pending; } sigpipe_guard;

static void guard_on(sigpipe_guard *g)
{
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE);
    sigprocmask(SIG_BLOCK, &set, &g->old);
}

static void guard_off(sigpipe_guard *g)
{
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigpending(&pending);
    if (!g->was_pending && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0, 0};
        sigtimedwait(&set, NULL, &zero);
    }
    sigprocmask(SIG_SETMASK, &g->old, NULL);
}

/* Refuse to prompt for a pass phrase (tls.c has refused encrypted keys). */
static int no_passphrase(char *buf, int size, int rwflag, void *ud)
{
    (void)buf; (void)size; (void)rwflag; (void)ud;
    return 0;
}

static CURLcode load_files(SSL_CTX *ctx, const ld_tls_opts *t, char *errbuf, size_t cap)
{
    SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
    if (t->ca ? SSL_CTX_load_verify_locations(ctx, t->ca, NULL) != 1
              : SSL_CTX_set_default_verify_paths(ctx) != 1) {
        openssl_detail(errbuf, cap, "error setting certificate verify locations");
        return CURLE_SSL_CACERT_BADFILE;
    }
    if (t->cert && (SSL_CTX_use_certificate_chain_file(ctx, t->cert) != 1 ||
                    SSL_CTX_use_PrivateKey_file(ctx, t->key, SSL_FILETYPE_PEM) != 1 ||
                    SSL_CTX_check_private_key(ctx) != 1)) {
        openssl_detail(errbuf, cap, "unable to use the client certificate");
        return CURLE_SSL_CERTPROBLEM;
    }
    return CURLE_OK;
}

/* Name the engine (SNI, for names only, as curl) and, when verifying,
 * require its name or address in the certificate, as curl checks. */
static void expect_host(SSL *ssl, const char *host, int verify)
{
    unsigned char addr[16];
    int ip = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
    if (!ip)
        SSL_set_tlsext_host_name(ssl, host);
    if (verify && ip)
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
    else if (verify)
        SSL_set1_host(ssl, host);
}

/* Which curl failure a failed handshake is, with curl-like words, so that
 * tls.c says what went wrong the same way for both kinds of connection. */
static CURLcode handshake_failure(SSL *ssl, char *errbuf, size_t cap)
{
    long v = SSL_get_verify_result(ssl);
    if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH) {
        snprintf(errbuf, cap, "SSL: certificate subject name does not match target host name");
        ERR_clear_error();
        return CURLE_PEER_FAILED_VERIFICATION;
    }
    if (v != X509_V_OK) {
        snprintf(errbuf, cap, "SSL certificate problem: %s", X509_verify_cert_error_string(v));
        ERR_clear_error();
        return CURLE_PEER_FAILED_VERIFICATION;
    }
    openssl_detail(errbuf, cap, "TLS handshake failed");
    return CURLE_SSL_CONNECT_ERROR;
}

/* Wait for what OpenSSL wants: 0, or -1 once `until` passed or on
 * ld_cancel() (unless shielded: a clean-up's stream). */
static int wait_for(int fd, int ssl_error, double until, int shielded)
{
    struct pollfd p = {.fd = fd, .events = ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN};
    for (;;) {
        double left = until - ld_now();
        if (left <= 0)
            return -1;
        int n = poll(&p, 1, left > 0.2 ? 200 : (int)(left * 1000) + 1);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
        if (!shielded && ld_cancel_requested())
            return -1;
    }
}

CURLcode ld_tlsconn_open(const ld_client *c, int fd, double until, int shielded,
                         ld_tlsconn **out, char *errbuf, size_t cap)
{
    const ld_tls_opts *t = &c->tls;
    *out = NULL;
    ERR_clear_error();
    ld_tlsconn *tc = ld_calloc(1, sizeof *tc);
    if (!tc)
        return CURLE_OUT_OF_MEMORY;
    tc->fd = fd;
    tc->ctx = SSL_CTX_new(TLS_client_method());
    if (!tc->ctx) {
        free(tc);
        return CURLE_OUT_OF_MEMORY;
    }
    SSL_CTX_set_min_proto_version(tc->ctx, TLS1_2_VERSION);
    /* a peer closing without close_notify ends the stream; the frame
     * decoder still catches a cut in the middle of a frame */
    SSL_CTX_set_options(tc->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_verify(tc->ctx, t->no_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    CURLcode rc = load_files(tc->ctx, t, errbuf, cap);
    if (rc == CURLE_OK && !(tc->ssl = SSL_new(tc->ctx)))
        rc = CURLE_OUT_OF_MEMORY;
    if (rc == CURLE_OK && SSL_set_fd(tc->ssl, fd) != 1)
        rc = CURLE_SSL_CONNECT_ERROR;
    if (rc != CURLE_OK) {
        ld_tlsconn_free(tc);
        return rc;
    }
    expect_host(tc->ssl, c->host.hostname, !t->no_verify);
    for (;;) {
        sigpipe_guard g;
        guard_on(&g);
        int r = SSL_connect(tc->ssl);
        guard_off(&g);
        if (r == 1)
            break;
        int e = SSL_get_error(tc->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            rc = handshake_failure(tc->ssl, errbuf, cap);
            break;
        }
        if (wait_for(fd, e, until, shielded) != 0) {
            snprintf(errbuf, cap, "TLS handshake timed out or was canceled");
            rc = CURLE_OPERATION_TIMEDOUT;
            break;
        }
    }
    if (rc != CURLE_OK) {
        ld_tlsconn_free(tc);
        return rc;
    }
    *out = tc;
    return CURLE_OK;
}

/* What a failed SSL_read or SSL_write means: AGAIN, the end, or an error. */
static CURLcode io_result(ld_tlsconn *tc, int r, int *eof, char *errbuf, size_t cap)
{
    int e = SSL_get_error(tc->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return CURLE_AGAIN;
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0)) {
        *eof = 1;
        return CURLE_OK;
    }
    if (e == SSL_ERROR_SYSCALL)
        snprintf(errbuf, cap, "TLS connection failed: %s", strerror(errno));
    else
        openssl_detail(errbuf, cap, "TLS connection failed");
    return CURLE_RECV_ERROR;
}

CURLcode ld_tlsconn_recv(ld_tlsconn *tc, char *buf, size_t n, size_t *got, char *errbuf,
                         size_t cap)
{
    *got = 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_read(tc->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
    if (r > 0) {
        *got = (size_t)r;
        return CURLE_OK;
    }
    int eof = 0;
    return io_result(tc, r, &eof, errbuf, cap);   /* at the end, *got stays 0 */
}

CURLcode ld_tlsconn_send(ld_tlsconn *tc, const char *buf, size_t n, size_t *sent, char *errbuf,
                         size_t cap)
{
    *sent = 0;
    ERR_clear_error();
    errno = 0;
    sigpipe_guard g;
    guard_on(&g);
    int r = SSL_write(tc->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
    guard_off(&g);
    if (r > 0) {
        *sent = (size_t)r;
        return CURLE_OK;
    }
    int eof = 0;
    CURLcode rc = io_result(tc, r, &eof, errbuf, cap);
    if (rc == CURLE_OK) {   /* the peer is gone: writing cannot go on */
        snprintf(errbuf, cap, "the connection was closed");
        rc = CURLE_SEND_ERROR;
    }
    return rc == CURLE_RECV_ERROR ? CURLE_SEND_ERROR : rc;
}

/* Send close_notify (our half ends; reading goes on), then end the TCP
 * half too for peers that only watch the socket. */
int ld_tlsconn_close_write(ld_tlsconn *tc, double until)
{
    for (;;) {
        ERR_clear_error();
        sigpipe_guard g;
        guard_on(&g);
        int r = SSL_shutdown(tc->ssl);
        guard_off(&g);
        if (r >= 0)
            break;
        int e = SSL_get_error(tc->ssl, r);
        if ((e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) ||
            wait_for(tc->fd, e, until, 1) != 0) {
            ERR_clear_error();
            return -1;
        }
    }
    return 0;
}

void ld_tlsconn_free(ld_tlsconn *tc)
{
    if (!tc)
        return;
    if (tc->ssl) {
        if (!(SSL_get_shutdown(tc->ssl) & SSL_SENT_SHUTDOWN)) {
            sigpipe_guard g;
            guard_on(&g);
            SSL_shutdown(tc->ssl);   /* best effort; the socket closes next */
            guard_off(&g);
        }
        SSL_free(tc->ssl);
    }
    SSL_CTX_free(tc->ctx);
    ERR_clear_error();
    free(tc);
}
