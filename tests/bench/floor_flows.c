/* floor_flows.c — the C floor for the flow benchmarks (flows.sh): whole
 * one-shot runs, a large log read, an events stream. libcurl and cJSON used
 * directly, one easy handle per thread kept open (keep-alive over the unix
 * socket), no other library: the least a client can do for these flows. It
 * only measures; it never decides whether a number is good.
 *
 *   floor_flows run IMAGE N          N one-shot runs of `true`, one after the
 *                                    other: create (labelled luadock.managed=1,
 *                                    luadock.bench=1, and luadock.bench.run=
 *                                    $BENCH_RUN when set), start, wait, logs,
 *                                    delete
 *   floor_flows prun IMAGE N         the same N runs, 8 at once: 8 threads, each
 *                                    with its own handle doing its share
 *   floor_flows logs ID              GET the container's logs (stdout+stderr),
 *                                    frames demultiplexed, payload bytes counted
 *   floor_flows loglines ID          the same, and the lines counted (a line
 *                                    split across reads counts once)
 *   floor_flows events SINCE PREFIX N  GET /events since SINCE filtered to image
 *                                    tag events; each line parsed; returns once N
 *                                    events whose Actor name starts with PREFIX
 *                                    have come
 *   floor_flows tag IMAGE REPO N     N tags REPO:t1..tN of IMAGE (the events the
 *                                    row above reads); untag REPO N removes them
 *
 * Prints the elapsed seconds of the timed part (CLOCK_MONOTONIC); logs and
 * loglines add the byte count and the line count. Exit 0, or 1 with a message
 * on stderr. A run's container is deleted even when its wait failed.
 *
 * Build: cc -O2 floor_flows.c $(pkg-config --cflags --libs libcurl libcjson) -lpthread
 * Socket: $DOCKER_HOST if it is unix://PATH, else /var/run/docker.sock.
 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "floor_common.h"

#define PAR 8
#define API "/v1.41"

typedef struct conn {
    CURL *h;
    buf body;
    char errbuf[CURL_ERROR_SIZE];
} conn;

static const char *sock = "/var/run/docker.sock";

static void conn_open(conn *c)
{
    memset(c, 0, sizeof *c);
    c->h = curl_easy_init();
    if (!c->h) die("curl_easy_init", NULL);
    curl_easy_setopt(c->h, CURLOPT_UNIX_SOCKET_PATH, sock);
    curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
}

/* One request; the body (NUL-terminated) stays in c->body until the next.
 * method "GET", "POST" (json may be NULL: empty body) or "DELETE". */
static const char *request(conn *c, const char *method, const char *path, const char *json,
                           long want)
{
    char url[1024];
    snprintf(url, sizeof url, "http://localhost%s", path);
    struct curl_slist *hdr = NULL;
    c->body.len = 0;
    if (c->body.p) c->body.p[0] = '\0';
    c->errbuf[0] = '\0';
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->body);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, NULL);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, json ? json : "");
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)(json ? strlen(json) : 0));
        if (json) hdr = curl_slist_append(hdr, "Content-Type: application/json");
    } else {
        curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") ? method : NULL);
    }
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdr);
    CURLcode rc = curl_easy_perform(c->h);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK) die(path, c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
    if (status != want) die(path, c->body.p ? c->body.p : "unexpected status");
    return c->body.p ? c->body.p : "";
}

/* ---- one-shot runs -------------------------------------------------------- */

static const char *image;

static void one_run(conn *c)
{
    char body[512], path[256], id[80];
    const char *run = getenv("BENCH_RUN");
    snprintf(body, sizeof body, "{\"Image\":\"%s\",\"Cmd\":[\"true\"],\"Labels\":"
             "{\"luadock.managed\":\"1\",\"luadock.bench\":\"1\"%s%s%s}}", image,
             run ? ",\"luadock.bench.run\":\"" : "", run ? run : "", run ? "\"" : "");
    cJSON *j = cJSON_Parse(request(c, "POST", API "/containers/create", body, 201));
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(j, "Id");
    if (!cJSON_IsString(jid)) die("create", "no Id");
    snprintf(id, sizeof id, "%s", jid->valuestring);
    cJSON_Delete(j);
    snprintf(path, sizeof path, API "/containers/%s/start", id);
    request(c, "POST", path, NULL, 204);
    snprintf(path, sizeof path, API "/containers/%s/wait", id);
    j = cJSON_Parse(request(c, "POST", path, NULL, 200));
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "StatusCode");
    if (!cJSON_IsNumber(code) || code->valuedouble != 0) die("wait", "non-zero exit");
    cJSON_Delete(j);
    snprintf(path, sizeof path, API "/containers/%s/logs?stdout=1&stderr=1", id);
    request(c, "GET", path, NULL, 200);
    snprintf(path, sizeof path, API "/containers/%s?force=1", id);
    request(c, "DELETE", path, NULL, 204);
}

typedef struct share {
    long n;
    pthread_t t;
} share;

static void *run_share(void *ud)
{
    share *s = ud;
    conn c;
    conn_open(&c);
    request(&c, "GET", "/_ping", NULL, 200);
    for (long i = 0; i < s->n; i++) one_run(&c);
    curl_easy_cleanup(c.h);
    free(c.body.p);
    return NULL;
}

/* ---- logs: frames of 8-byte headers, counted as they stream --------------- */

typedef struct demux {
    unsigned char hdr[8];
    size_t hdr_len, left;   /* header bytes seen; payload bytes left in this frame */
    long long bytes, lines;
    int count_lines;
} demux;

static size_t on_frames(char *data, size_t size, size_t n, void *ud)
{
    demux *m = ud;
    size_t len = size * n, i = 0;
    while (i < len) {
        if (m->left == 0) {
            while (i < len && m->hdr_len < 8) m->hdr[m->hdr_len++] = (unsigned char)data[i++];
            if (m->hdr_len < 8) break;
            m->left = ((size_t)m->hdr[4] << 24) | ((size_t)m->hdr[5] << 16) |
                      ((size_t)m->hdr[6] << 8) | m->hdr[7];
            m->hdr_len = 0;
            continue;
        }
        size_t take = len - i < m->left ? len - i : m->left;
        m->bytes += (long long)take;
        if (m->count_lines) {
            const char *p = data + i, *end = data + i + take;
            while ((p = memchr(p, '\n', (size_t)(end - p)))) { m->lines++; p++; }
        }
        m->left -= take;
        i += take;
    }
    return len;
}

/* ---- events: JSON lines, counted until N of ours ----------------------------- */

typedef struct evs {
    buf line;
    const char *prefix;
    long want, seen;
} evs;

static size_t on_events(char *data, size_t size, size_t n, void *ud)
{
    evs *e = ud;
    size_t len = size * n;
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t chunk = (size_t)((nl ? nl : end) - p);
        if (on_body((char *)p, 1, chunk, &e->line) != chunk) return 0;
        p += chunk;
        if (!nl) break;
        p++;
        cJSON *j = cJSON_ParseWithLength(e->line.p ? e->line.p : "", e->line.len);
        const cJSON *actor = cJSON_GetObjectItemCaseSensitive(j, "Actor");
        const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(actor, "Attributes");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(attrs, "name");
        if (cJSON_IsString(name) && strncmp(name->valuestring, e->prefix, strlen(e->prefix)) == 0)
            e->seen++;
        cJSON_Delete(j);
        e->line.len = 0;
        if (e->seen >= e->want) return 0;   /* enough: end the transfer */
    }
    return len;
}

int main(int argc, char **argv)
{
    floor_name = "floor_flows";
    if (argc < 3) {
        fprintf(stderr, "usage: floor_flows run|prun IMAGE N | logs|loglines ID | "
                        "events SINCE PREFIX N | tag IMAGE REPO N | untag REPO N\n");
        return 2;
    }
    const char *what = argv[1];
    const char *dh = getenv("DOCKER_HOST");
    if (dh && strncmp(dh, "unix://", 7) == 0 && dh[7]) sock = dh + 7;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) die("curl_global_init", NULL);
    conn c;
    conn_open(&c);
    request(&c, "GET", "/_ping", NULL, 200);   /* connect, untimed */
    char path[1024];
    double t0 = now(), t1;

    if ((strcmp(what, "run") == 0 || strcmp(what, "prun") == 0) && argc >= 4) {
        image = argv[2];
        long n = strtol(argv[3], NULL, 10);
        if (what[0] == 'r') {
            t0 = now();
            for (long i = 0; i < n; i++) one_run(&c);
            t1 = now();
        } else {
            share s[PAR];
            t0 = now();
            for (int i = 0; i < PAR; i++) {
                s[i].n = n / PAR + (i < n % PAR ? 1 : 0);
                if (pthread_create(&s[i].t, NULL, run_share, &s[i]) != 0) die("pthread_create", NULL);
            }
            for (int i = 0; i < PAR; i++) pthread_join(s[i].t, NULL);
            t1 = now();
        }
        printf("%.6f\n", t1 - t0);
    } else if (strcmp(what, "logs") == 0 || strcmp(what, "loglines") == 0) {
        demux m = {.count_lines = strcmp(what, "loglines") == 0};
        snprintf(path, sizeof path, "http://localhost" API "/containers/%s/logs?stdout=1&stderr=1",
                 argv[2]);
        curl_easy_setopt(c.h, CURLOPT_URL, path);
        curl_easy_setopt(c.h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, on_frames);
        curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &m);
        t0 = now();
        CURLcode rc = curl_easy_perform(c.h);
        t1 = now();
        if (rc != CURLE_OK) die("logs", c.errbuf[0] ? c.errbuf : curl_easy_strerror(rc));
        printf("%.6f %lld %lld\n", t1 - t0, m.bytes, m.lines);
    } else if (strcmp(what, "events") == 0 && argc >= 5) {
        evs e = {.prefix = argv[3], .want = strtol(argv[4], NULL, 10)};
        char *f = curl_easy_escape(c.h, "{\"type\":[\"image\"],\"event\":[\"tag\"]}", 0);
        snprintf(path, sizeof path, "http://localhost" API "/events?since=%s&filters=%s", argv[2], f);
        curl_free(f);
        curl_easy_setopt(c.h, CURLOPT_URL, path);
        curl_easy_setopt(c.h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, on_events);
        curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &e);
        t0 = now();
        CURLcode rc = curl_easy_perform(c.h);
        t1 = now();
        if (e.seen < e.want) die("events", rc == CURLE_OK ? "stream ended early" : c.errbuf);
        printf("%.6f\n", t1 - t0);
        free(e.line.p);
    } else if (strcmp(what, "tag") == 0 && argc >= 5) {
        long n = strtol(argv[4], NULL, 10);
        t0 = now();
        for (long i = 1; i <= n; i++) {
            snprintf(path, sizeof path, API "/images/%s/tag?repo=%s&tag=t%ld", argv[2], argv[3], i);
            request(&c, "POST", path, NULL, 201);
        }
        t1 = now();
        printf("%.6f\n", t1 - t0);
    } else if (strcmp(what, "untag") == 0 && argc >= 4) {
        long n = strtol(argv[3], NULL, 10);
        for (long i = 1; i <= n; i++) {
            snprintf(path, sizeof path, API "/images/%s:t%ld?noprune=1", argv[2], i);
            request(&c, "DELETE", path, NULL, 200);
        }
        printf("0\n");
    } else {
        die("unknown benchmark or missing arguments", what);
    }
    curl_easy_cleanup(c.h);
    free(c.body.p);
    curl_global_cleanup();
    return 0;
}
