/* test_host.c - unit tests of DOCKER_HOST parsing (ld_host_parse).
 *
 * The vectors are the docker CLI's own (docker/cli opts/hosts_test.go:
 * TestParseHost, TestParseDockerDaemonHost, TestParseTCP and
 * TestParseInvalidUnixAddrInvalid) for the unix:// and tcp:// schemes, read
 * as facts and restated here, with TestParseTCP's default (127.0.0.1:2376)
 * replaced by ParseHost's (localhost:2375). fd:// and npipe:// are valid
 * for the docker CLI but must be refused by luadock, which speaks unix, tcp
 * and ssh. ssh:// follows the CLI's ssh helper (cli/connhelper/ssh: ParseURL
 * and the argv it builds), plus refusals that keep every part from being
 * read as an ssh option. Where luadock deliberately differs from a docker
 * vector the case says so. Also: the sun_path length limit, port ranges,
 * IPv6, trimming and the parsed fields. Pure: no engine, no Lua.
 */
#include <string.h>
#include "check.h"
#include "internal.h"

typedef struct valid_case {
    const char *in;
    const char *normalized;
} valid_case;

/* docker CLI vectors that luadock accepts with the same normalized output */
static const valid_case docker_valid[] = {
    /* TestParseHost */
    {"", "unix:///var/run/docker.sock"},
    {" ", "unix:///var/run/docker.sock"},
    {"  ", "unix:///var/run/docker.sock"},
    {"tcp://host:", "tcp://host:2375"},
    {"tcp://", "tcp://localhost:2375"},
    {"tcp://:2375", "tcp://localhost:2375"},
    {"tcp://:2376", "tcp://localhost:2376"},
    {"tcp://0.0.0.0:8080", "tcp://0.0.0.0:8080"},
    {"tcp://192.168.0.0:12000", "tcp://192.168.0.0:12000"},
    {"tcp://192.168:8080", "tcp://192.168:8080"},
    {" tcp://:7777/path ", "tcp://localhost:7777/path"},
    {"tcp://docker.com:2375", "tcp://docker.com:2375"},
    {"unix://", "unix:///var/run/docker.sock"},
    {"unix://path/to/socket", "unix://path/to/socket"},
    /* TestParseDockerDaemonHost */
    {"0.0.0.1:", "tcp://0.0.0.1:2375"},
    {"0.0.0.1:5555", "tcp://0.0.0.1:5555"},
    {"0.0.0.1:5555/path", "tcp://0.0.0.1:5555/path"},
    {"[::1]:", "tcp://[::1]:2375"},
    {"[::1]:5555/path", "tcp://[::1]:5555/path"},
    {"[0:0:0:0:0:0:0:1]:", "tcp://[0:0:0:0:0:0:0:1]:2375"},
    {"[0:0:0:0:0:0:0:1]:5555/path", "tcp://[0:0:0:0:0:0:0:1]:5555/path"},
    {":6666", "tcp://localhost:6666"},
    {":6666/path", "tcp://localhost:6666/path"},
    {"tcp://:7777", "tcp://localhost:7777"},
    {"tcp://:7777/path", "tcp://localhost:7777/path"},
    {"unix:///run/docker.sock", "unix:///run/docker.sock"},
    {"localhost:", "tcp://localhost:2375"},
    {"localhost:5555", "tcp://localhost:5555"},
    {"localhost:5555/path", "tcp://localhost:5555/path"},
    /* TestParseTCP (with ParseHost's default host and port) */
    {"[::1]:5555", "tcp://[::1]:5555"},
    {"[0:0:0:0:0:0:0:1]:5555", "tcp://[0:0:0:0:0:0:0:1]:5555"},
};

/* docker CLI vectors that are errors there too */
static const char *const docker_invalid[] = {
    /* TestParseHost */
    "something with spaces",
    "://",
    "unknown://",
    "tcp://:port",
    "tcp://invalid:port",
    /* TestParseDockerDaemonHost and TestParseTCP */
    "tcp:a.b.c.d",
    "tcp:a.b.c.d/path",
    "udp://127.0.0.1",
    "udp://127.0.0.1:2375",
    "tcp://unix:///run/docker.sock",
    /* TestParseInvalidUnixAddrInvalid */
    "unix://tcp://127.0.0.1",
};

/* valid for the docker CLI, refused by luadock as a scheme it cannot speak */
static const char *const other_schemes[] = {
    "fd://",
    "fd://something",
    "npipe://",
    "npipe:////./pipe/foo",
};

static void test_docker_vectors(void)
{
    for (size_t i = 0; i < sizeof docker_valid / sizeof docker_valid[0]; i++) {
        ld_host h;
        ld_error err;
        ld_error_clear(&err);
        int rc = ld_host_parse(docker_valid[i].in, &h, &err);
        if (rc != 0)
            fprintf(stderr, "  \"%s\": %s\n", docker_valid[i].in, err.message);
        CHECK_INT_EQ(rc, 0);
        CHECK_STR_EQ(h.normalized, docker_valid[i].normalized);
        CHECK_INT_EQ(h.kind,
                     strncmp(docker_valid[i].normalized, "unix", 4) == 0 ? LD_HOST_UNIX
                                                                          : LD_HOST_TCP);
    }
    for (size_t i = 0; i < sizeof docker_invalid / sizeof docker_invalid[0]; i++) {
        ld_host h;
        ld_error err;
        ld_error_clear(&err);
        int rc = ld_host_parse(docker_invalid[i], &h, &err);
        if (rc == 0)
            fprintf(stderr, "  \"%s\" accepted as %s\n", docker_invalid[i], h.normalized);
        CHECK_INT_EQ(rc, -1);
        CHECK_INT_EQ(err.code, LD_E_ARG);
        CHECK(strstr(err.message, "DOCKER_HOST") != NULL);
        CHECK(strstr(err.message, docker_invalid[i]) != NULL);   /* quotes the value */
    }
    /* docker: "invalid proto, expected tcp: unix:///run/docker.sock" */
    ld_host h;
    ld_error err;
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse("tcp://unix:///run/docker.sock", &h, &err), -1);
    CHECK(strstr(err.message, "expected tcp") != NULL);

    for (size_t i = 0; i < sizeof other_schemes / sizeof other_schemes[0]; i++) {
        ld_error_clear(&err);
        CHECK_INT_EQ(ld_host_parse(other_schemes[i], &h, &err), -1);
        CHECK_INT_EQ(err.code, LD_E_ARG);
        CHECK(strstr(err.message, other_schemes[i]) != NULL);
        CHECK(strstr(err.message, "unix://, tcp:// and ssh:// only") != NULL);
    }
}

/* TestParseHost has "tcp://0.0.0.0:1234567890" -> "tcp://0.0.0.0:1234567890"
 * ("yeah it's valid :P"): the docker CLI never range-checks the port. luadock
 * refuses ports outside 1..65535 on purpose, since no connection could use
 * them; this is a deliberate difference, not a lapse. */
static void test_ports(void)
{
    static const struct { const char *in; int port; } good[] = {
        {"tcp://h:1", 1},         {"tcp://h:65535", 65535}, {"tcp://h:2376", 2376},
        {"h:80", 80},             {"tcp://h", 2375},        {"localhost", 2375},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ld_host h;
        ld_error err;
        ld_error_clear(&err);
        CHECK_INT_EQ(ld_host_parse(good[i].in, &h, &err), 0);
        CHECK_INT_EQ(h.kind, LD_HOST_TCP);
        CHECK_INT_EQ(h.port, good[i].port);
    }
    static const char *const bad[] = {
        "tcp://0.0.0.0:1234567890", "tcp://h:0",  "tcp://h:65536", "tcp://h:99999",
        "tcp://h:123456",           "tcp://h:-1", "tcp://h:+80",   "tcp://h:8o",
        "tcp://h:0x50",             "tcp://h:1:2", "h:65536",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ld_host h;
        ld_error err;
        ld_error_clear(&err);
        int rc = ld_host_parse(bad[i], &h, &err);
        if (rc == 0)
            fprintf(stderr, "  \"%s\" accepted as %s\n", bad[i], h.normalized);
        CHECK_INT_EQ(rc, -1);
        CHECK_INT_EQ(err.code, LD_E_ARG);
    }
    ld_host h;
    ld_error err;
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse("tcp://0.0.0.0:1234567890", &h, &err), -1);
    CHECK(strstr(err.message, "port out of range") != NULL);
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse("tcp://h:65536", &h, &err), -1);
    CHECK(strstr(err.message, "port out of range") != NULL);
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse("tcp://h:0", &h, &err), -1);
    CHECK(strstr(err.message, "port out of range") != NULL);
}

static void test_unix_paths(void)
{
    ld_host h;
    ld_error err;
    char spec[600], path[400];

    /* sun_path holds 108 bytes with the NUL: 107 fit, 108 do not */
    memset(path, 'p', sizeof path);
    path[0] = '/';
    path[107] = '\0';
    snprintf(spec, sizeof spec, "unix://%s", path);
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse(spec, &h, &err), 0);
    CHECK_INT_EQ(strlen(h.socket_path), 107);
    CHECK_STR_EQ(h.socket_path, path);
    CHECK_STR_EQ(h.normalized, spec);

    for (size_t len = 108; len < sizeof path; len += 97) {
        memset(path, 'p', sizeof path);
        path[0] = '/';
        path[len] = '\0';
        snprintf(spec, sizeof spec, "unix://%s", path);
        ld_error_clear(&err);
        CHECK_INT_EQ(ld_host_parse(spec, &h, &err), -1);
        CHECK_INT_EQ(err.code, LD_E_ARG);
        CHECK(strstr(err.message, "too long") != NULL);
        if (len <= 300) {
            CHECK(strstr(err.message, path) != NULL);
        } else {
            /* a long path is quoted in part, so the reason is never cut off */
            path[300] = '\0';
            CHECK(strstr(err.message, path) != NULL);
            CHECK(strstr(err.message, "...\" is too long") != NULL);
        }
    }

    /* the fields */
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse("unix:///run/user/1000/docker.sock", &h, &err), 0);
    CHECK_INT_EQ(h.kind, LD_HOST_UNIX);
    CHECK_STR_EQ(h.socket_path, "/run/user/1000/docker.sock");
    CHECK_STR_EQ(h.normalized, "unix:///run/user/1000/docker.sock");
    CHECK_STR_EQ(h.hostname, "");
    CHECK_INT_EQ(h.port, 0);

    /* the docker CLI takes any path after unix://, spaces included */
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse("unix:///tmp/my dir/docker.sock", &h, &err), 0);
    CHECK_STR_EQ(h.socket_path, "/tmp/my dir/docker.sock");

    /* an address far longer than any buffer */
    char huge[3000];
    memset(huge, 'a', sizeof huge);
    memcpy(huge, "tcp://", 6);
    huge[sizeof huge - 1] = '\0';
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse(huge, &h, &err), -1);
    CHECK(strstr(err.message, "too long") != NULL);
    memcpy(huge, "unix://", 7);
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse(huge, &h, &err), -1);
    CHECK(strstr(err.message, "too long") != NULL);

    /* NULL means the default, like "" */
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse(NULL, &h, &err), 0);
    CHECK_STR_EQ(h.normalized, "unix:///var/run/docker.sock");
    CHECK_STR_EQ(h.socket_path, "/var/run/docker.sock");
}

static void test_tcp_fields(void)
{
    ld_host h;
    ld_error err;
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse("[::1]:5555", &h, &err), 0);
    CHECK_INT_EQ(h.kind, LD_HOST_TCP);
    CHECK_STR_EQ(h.hostname, "::1");                 /* without brackets */
    CHECK_INT_EQ(h.port, 5555);
    CHECK_STR_EQ(h.base_path, "");
    CHECK_STR_EQ(h.normalized, "tcp://[::1]:5555");
    CHECK_STR_EQ(h.socket_path, "");

    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse("tcp://[fe80::1:2]:2376/v/x", &h, &err), 0);
    CHECK_STR_EQ(h.hostname, "fe80::1:2");
    CHECK_INT_EQ(h.port, 2376);
    CHECK_STR_EQ(h.base_path, "/v/x");
    CHECK_STR_EQ(h.normalized, "tcp://[fe80::1:2]:2376/v/x");

    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse("tcp://docker.example.com:2376/base/", &h, &err), 0);
    CHECK_STR_EQ(h.hostname, "docker.example.com");
    CHECK_STR_EQ(h.base_path, "/base");              /* trailing '/' dropped */
    CHECK_STR_EQ(h.normalized, "tcp://docker.example.com:2376/base");

    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse("tcp://10.0.0.2", &h, &err), 0);
    CHECK_STR_EQ(h.hostname, "10.0.0.2");
    CHECK_INT_EQ(h.port, 2375);
    CHECK_STR_EQ(h.normalized, "tcp://10.0.0.2:2375");

    /* malformed IPv6 and other malformed tcp addresses. Three differ from the
     * docker CLI on purpose: it reads "tcp://::1" as [::1]:2375 and drops a
     * query or "user@" silently; luadock asks for brackets and refuses the
     * others rather than lose part of the address (curl would take "user@"
     * as credentials). */
    static const char *const bad[] = {
        "tcp://[::1",      "tcp://[::1]x",   "tcp://[::1]5555", "tcp://::1",
        "tcp://h:1?x=1",   "tcp://h:1#frag", "tcp://user@h:1",  "tcp://a b:1",
        "unix ://x",       "TCP ://h",       "http://h:1",      "https://h:1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ld_error_clear(&err);
        int rc = ld_host_parse(bad[i], &h, &err);
        if (rc == 0)
            fprintf(stderr, "  \"%s\" accepted as %s\n", bad[i], h.normalized);
        CHECK_INT_EQ(rc, -1);
        CHECK_INT_EQ(err.code, LD_E_ARG);
    }
}

static void test_trimming(void)
{
    static const valid_case cases[] = {
        {"\t unix:///tmp/d.sock \n", "unix:///tmp/d.sock"},
        {"\r\ntcp://h:1\r\n", "tcp://h:1"},
        {" \t\n ", "unix:///var/run/docker.sock"},
        {"  [::1]:7  ", "tcp://[::1]:7"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ld_host h;
        ld_error err;
        ld_error_clear(&err);
        CHECK_INT_EQ(ld_host_parse(cases[i].in, &h, &err), 0);
        CHECK_STR_EQ(h.normalized, cases[i].normalized);
    }
    ld_host h;
    ld_error err;
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse("unix:///tmp/d.sock \n", &h, &err), 0);
    CHECK_STR_EQ(h.socket_path, "/tmp/d.sock");     /* trimmed, not kept in the path */

    /* inner control characters are refused, not trimmed */
    static const char *const bad[] = {"tcp://h:1\n2", "unix:///tmp/a\tb", "tcp://h\r:1",
                                      "unix:///tmp/\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ld_error_clear(&err);
        CHECK_INT_EQ(ld_host_parse(bad[i], &h, &err), -1);
        CHECK_INT_EQ(err.code, LD_E_ARG);
    }
}

typedef struct ssh_case {
    const char *in, *normalized, *user, *host, *path;
    int port;
    const char *argv;   /* the ssh command, argv elements joined by '|' */
} ssh_case;

static const ssh_case ssh_valid[] = {
    {"ssh://foo", "ssh://foo", "", "foo", "", 0,
     "ssh|-o ConnectTimeout=30|-T|--|foo|docker system dial-stdio"},
    {"ssh://me@foo:10022", "ssh://me@foo:10022", "me", "foo", "", 10022,
     "ssh|-l|me|-p|10022|-o ConnectTimeout=30|-T|--|foo|docker system dial-stdio"},
    {"ssh://me@foo/", "ssh://me@foo", "me", "foo", "", 0,
     "ssh|-l|me|-o ConnectTimeout=30|-T|--|foo|docker system dial-stdio"},
    {"ssh://foo/var/run/docker.sock", "ssh://foo/var/run/docker.sock", "", "foo",
     "/var/run/docker.sock", 0,
     "ssh|-o ConnectTimeout=30|-T|--|foo|docker '--host=unix:///var/run/docker.sock' system "
     "dial-stdio"},
    {"ssh://u@[::1]:22/run/user/1000/docker.sock", "ssh://u@[::1]:22/run/user/1000/docker.sock",
     "u", "::1", "/run/user/1000/docker.sock", 22,
     "ssh|-l|u|-p|22|-o ConnectTimeout=30|-T|--|::1|docker "
     "'--host=unix:///run/user/1000/docker.sock' system dial-stdio"},
    /* a quote or a shell word in the path is quoted for the remote shell */
    {"ssh://h/tmp/it's;$(x) d.sock", "ssh://h/tmp/it's;$(x) d.sock", "", "h",
     "/tmp/it's;$(x) d.sock", 0,
     "ssh|-o ConnectTimeout=30|-T|--|h|docker '--host=unix:///tmp/it'\\''s;$(x) d.sock' "
     "system dial-stdio"},
    /* the CLI's Port() is "" for "host:" */
    {"ssh://h:", "ssh://h", "", "h", "", 0, "ssh|-o ConnectTimeout=30|-T|--|h|docker system dial-stdio"},
    {"  ssh://deploy@web-1.example.com  ", "ssh://deploy@web-1.example.com", "deploy",
     "web-1.example.com", "", 0,
     "ssh|-l|deploy|-o ConnectTimeout=30|-T|--|web-1.example.com|docker system dial-stdio"},
};

static const struct { const char *in, *why; } ssh_invalid[] = {
    {"ssh://me:passw0rd@foo", "plain-text password is not supported"},
    {"ssh://me:@foo", "plain-text password is not supported"},
    {"ssh://foo?bar", "query parameters are not allowed"},
    {"ssh://foo/x?bar=1", "query parameters are not allowed"},
    {"ssh://foo#bar", "fragments are not allowed"},
    {"ssh://", "hostname is empty"},
    {"ssh:///var/run/docker.sock", "hostname is empty"},
    {"ssh://me@", "hostname is empty"},
    {"ssh://me@:22", "hostname is empty"},
    {"ssh://-oProxyCommand=x", "may not start with '-'"},
    {"ssh://me@-host", "may not start with '-'"},
    {"ssh://-l@host", "may not start with '-'"},
    {"ssh://@host", "empty user name"},
    {"ssh://h:0", "invalid port"},
    {"ssh://h:65536", "invalid port"},
    {"ssh://h:22x", "invalid port"},
    {"ssh://h:-1", "invalid port"},
    {"ssh://[::1", "missing ']'"},
    {"ssh://[::1]x", "invalid port"},
    {"ssh://h\tx", "invalid control character"},
    {"ssh://h\x01", "invalid control character"},
    {"ssh://a b", "invalid character in the hostname"},
    {"ssh://a'b", "invalid character in the hostname"},
    {"ssh://u ser@h", "invalid character in the user name"},
};

static void test_ssh(void)
{
    for (size_t i = 0; i < sizeof ssh_valid / sizeof ssh_valid[0]; i++) {
        const ssh_case *k = &ssh_valid[i];
        ld_host h;
        ld_error err;
        ld_error_clear(&err);
        int rc = ld_host_parse(k->in, &h, &err);
        if (rc != 0)
            fprintf(stderr, "  \"%s\": %s\n", k->in, err.message);
        CHECK_INT_EQ(rc, 0);
        CHECK_INT_EQ(h.kind, LD_HOST_SSH);
        CHECK_STR_EQ(h.normalized, k->normalized);
        CHECK_STR_EQ(h.user, k->user);
        CHECK_STR_EQ(h.hostname, k->host);
        CHECK_STR_EQ(h.socket_path, k->path);
        CHECK_INT_EQ(h.port, k->port);
        ld_ssh_command cmd;
        CHECK_INT_EQ(ld_ssh_command_build(&h, &cmd), 0);
        char joined[1024] = "";
        for (int a = 0; cmd.argv[a]; a++) {
            if (a)
                strcat(joined, "|");
            strcat(joined, cmd.argv[a]);
        }
        CHECK_STR_EQ(joined, k->argv);
        /* the normalized form parses to the same thing */
        ld_host again;
        CHECK_INT_EQ(ld_host_parse(h.normalized, &again, &err), 0);
        CHECK_STR_EQ(again.normalized, h.normalized);
    }
    for (size_t i = 0; i < sizeof ssh_invalid / sizeof ssh_invalid[0]; i++) {
        ld_host h;
        ld_error err;
        ld_error_clear(&err);
        int rc = ld_host_parse(ssh_invalid[i].in, &h, &err);
        if (rc == 0)
            fprintf(stderr, "  \"%s\" accepted as %s\n", ssh_invalid[i].in, h.normalized);
        CHECK_INT_EQ(rc, -1);
        CHECK_INT_EQ(err.code, LD_E_ARG);
        CHECK(strstr(err.message, "DOCKER_HOST") != NULL);
        CHECK(strstr(err.message, "invalid ssh URL") != NULL);
        if (!strstr(err.message, ssh_invalid[i].why))
            fprintf(stderr, "  \"%s\": %s\n", ssh_invalid[i].in, err.message);
        CHECK(strstr(err.message, ssh_invalid[i].why) != NULL);
    }
    /* the password never shows in the message */
    ld_host h;
    ld_error err;
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse("ssh://me:s3cret@foo:22/x", &h, &err), -1);
    CHECK(strstr(err.message, "s3cret") == NULL);
    CHECK(strstr(err.message, "ssh://me:xxxxx@foo:22/x") != NULL);
    /* nor when it holds '#', '/' or '?' (other refusals come first), nor
     * when the whole address is too long */
    static const char *const tricky[] = {"ssh://me:pa#s3cret@foo", "ssh://me:p/s3cret@foo",
                                         "ssh://me:p?s3cret@foo/x"};
    for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
        ld_error_clear(&err);
        CHECK_INT_EQ(ld_host_parse(tricky[i], &h, &err), -1);
        if (strstr(err.message, "s3cret"))
            fprintf(stderr, "  \"%s\": %s\n", tricky[i], err.message);
        CHECK(strstr(err.message, "s3cret") == NULL);
    }
    char longspec[1200] = "ssh://me:s3cret@";
    memset(longspec + 16, 'h', 1100);
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse(longspec, &h, &err), -1);
    CHECK(strstr(err.message, "s3cret") == NULL);
    /* a remote socket path must fit a unix socket address */
    char spec[300] = "ssh://h/";
    memset(spec + 8, 'p', 120);
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_host_parse(spec, &h, &err), -1);
    CHECK(strstr(err.message, "socket path too long") != NULL);
}

/* A normalized address parses to itself. */
static void test_normalized_fixpoint(void)
{
    int bad = 0;
    for (size_t i = 0; i < sizeof docker_valid / sizeof docker_valid[0]; i++) {
        ld_host a, b;
        ld_error err;
        ld_error_clear(&err);
        if (ld_host_parse(docker_valid[i].in, &a, &err) != 0 ||
            ld_host_parse(a.normalized, &b, &err) != 0 || strcmp(a.normalized, b.normalized) ||
            a.kind != b.kind || a.port != b.port || strcmp(a.hostname, b.hostname) ||
            strcmp(a.base_path, b.base_path) || strcmp(a.socket_path, b.socket_path))
            bad++;
    }
    CHECK_INT_EQ(bad, 0);
}

int main(void)
{
    test_docker_vectors();
    test_ports();
    test_unix_paths();
    test_tcp_fields();
    test_trimming();
    test_normalized_fixpoint();
    test_ssh();
    CHECK_DONE();
}
