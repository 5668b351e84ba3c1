/* floor.c — the C floor for the luadock benchmarks.
 *
 * Makes the same Engine calls luadock makes, with libcurl and cJSON used
 * directly and nothing else: one easy handle, reused for every request, so
 * the connection to the unix socket stays open (HTTP/1.1 keep-alive).
 *
 *   floor ping N          N x GET /_ping               (body must be "OK")
 *   floor inspect ID N    N x GET /v1.41/containers/ID/json, parsed, .Id read
 *   floor ps N            N x GET /v1.41/containers/json?all=1, parsed, the
 *                         array walked (Id, Names[0], State, Labels of each)
 *   floor pinspect ID N   the inspect above, N times with PAR (8) in flight
 *                         at once: one curl multi handle driving PAR easy
 *                         handles, each on its own connection; as one
 *                         finishes it is parsed (.Id read) and re-added until
 *                         N are done.
 *   floor version 1       what a client doing version negotiation does at
 *                         start: GET /_ping, read its Api-Version header
 *                         (capped at 1.41), then GET /v<that>/version,
 *                         parsed, .Version read.
 *
 * Before the timed loop of ping / inspect / ps the program does one
 * GET /_ping (the negotiation a client does when it connects), so the loop
 * measures steady-state calls on an open connection; every other benchmark
 * program (bench.lua, bench.py) does the same before its clock starts.
 * pinspect also pings once on each of its PAR handles at once (untimed), so
 * its PAR connections are open before the clock starts.
 * For `version` the timed part is the two requests (the shell times the
 * whole process anyway).
 *
 * Prints the elapsed seconds of the timed part (CLOCK_MONOTONIC) on stdout.
 * Exit status 0 on success, 1 on any failure (message on stderr).
 *
 * Build: cc -O2 floor.c $(pkg-config --cflags --libs libcurl libcjson) (floor_common.h beside it)
 * Socket: $DOCKER_HOST if it is unix://PATH, else /var/run/docker.sock.
 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "floor_common.h"

#define PAR 8   /* pinspect: requests in flight at once */

static CURL *h;
static buf body;
static char api_version[16];
static char errbuf[CURL_ERROR_SIZE];

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    (void)ud;
    size_t len = size * n;
    static const char name[] = "Api-Version:";
    if (len > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
        const char *v = data + sizeof name - 1;
        size_t vl = len - (sizeof name - 1);
        while (vl && (*v == ' ' || *v == '\t')) v++, vl--;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ')) vl--;
        if (vl >= sizeof api_version) vl = sizeof api_version - 1;
        memcpy(api_version, v, vl);
        api_version[vl] = '\0';
    }
    return len;
}

/* GET path; returns the body (NUL-terminated, valid until the next call). */
static const char *get(const char *path)
{
    char url[1024];
    snprintf(url, sizeof url, "http://localhost%s", path);
    body.len = 0;
    if (body.p) body.p[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) die(path, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) die(path, body.p ? body.p : "bad status");
    return body.p ? body.p : "";
}

static void ping(void)
{
    const char *b = get("/_ping");
    if (strcmp(b, "OK") != 0) die("/_ping", b);
}

/* 1.41 is what luadock and the benchmarks speak; a newer engine is capped. */
static const char *negotiate(void)
{
    ping();
    int maj = 0, min = 0;
    if (sscanf(api_version, "%d.%d", &maj, &min) != 2) return "1.41";
    if (maj > 1 || (maj == 1 && min > 41)) return "1.41";
    return api_version;
}

/* ---- pinspect: PAR transfers at once on one multi handle ------------------ */

typedef struct slot {
    CURL *easy;
    buf body;
    char errbuf[CURL_ERROR_SIZE];
} slot;

static CURLM *multi;
static slot slots[PAR];

static void slot_start(slot *s, const char *url)
{
    s->body.len = 0;
    if (s->body.p) s->body.p[0] = '\0';
    s->errbuf[0] = '\0';
    curl_easy_setopt(s->easy, CURLOPT_URL, url);
    if (curl_multi_add_handle(multi, s->easy) != CURLM_OK) die("curl_multi_add_handle", NULL);
}

/* Runs the multi until one transfer ends; returns its slot (removed from the
 * multi, status checked, body NUL-terminated). */
static slot *slot_next(const char *path)
{
    for (;;) {
        int running = 0, left = 0;
        if (curl_multi_perform(multi, &running) != CURLM_OK) die("curl_multi_perform", NULL);
        CURLMsg *m;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            slot *s = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            CURLcode rc = m->data.result;
            curl_multi_remove_handle(multi, s->easy);
            if (rc != CURLE_OK) die(path, s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
            long status = 0;
            curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
            if (status != 200) die(path, s->body.p ? s->body.p : "bad status");
            if (!s->body.p) die(path, "empty body");
            return s;
        }
        if (curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK) die("curl_multi_poll", NULL);
    }
}

static void pinspect_setup(const char *sock)
{
    multi = curl_multi_init();
    if (!multi) die("curl_multi_init", NULL);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)PAR);
    for (int i = 0; i < PAR; i++) {
        slot *s = &slots[i];
        s->easy = curl_easy_init();
        if (!s->easy) die("curl_easy_init", NULL);
        curl_easy_setopt(s->easy, CURLOPT_UNIX_SOCKET_PATH, sock);
        curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, &s->body);
        curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
        curl_easy_setopt(s->easy, CURLOPT_PRIVATE, (char *)s);
        curl_easy_setopt(s->easy, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(s->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    }
    /* one ping on every handle at once (untimed): PAR connections are open */
    for (int i = 0; i < PAR; i++) slot_start(&slots[i], "http://localhost/_ping");
    for (int i = 0; i < PAR; i++) {
        slot *s = slot_next("/_ping");
        if (strcmp(s->body.p, "OK") != 0) die("/_ping", s->body.p);
    }
}

static void pinspect_cleanup(void)
{
    for (int i = 0; i < PAR; i++) {
        curl_easy_cleanup(slots[i].easy);
        free(slots[i].body.p);
    }
    curl_multi_cleanup(multi);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: floor ping N | floor inspect ID N | floor pinspect ID N | floor ps N | floor version 1\n");
        return 2;
    }
    const char *what = argv[1];
    const char *id = NULL;
    long n;
    if (strcmp(what, "inspect") == 0 || strcmp(what, "pinspect") == 0) {
        if (argc < 4) die("inspect needs ID N", NULL);
        id = argv[2];
        n = strtol(argv[3], NULL, 10);
    } else {
        n = strtol(argv[2], NULL, 10);
    }
    if (n < 1) die("N must be >= 1", NULL);

    const char *sock = "/var/run/docker.sock";
    const char *dh = getenv("DOCKER_HOST");
    if (dh && strncmp(dh, "unix://", 7) == 0 && dh[7]) sock = dh + 7;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) die("curl_global_init", NULL);
    h = curl_easy_init();
    if (!h) die("curl_easy_init", NULL);
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);

    char path[1024];
    double t0, t1;
    long count = 0;

    if (strcmp(what, "version") == 0) {
        t0 = now();
        for (long i = 0; i < n; i++) {
            const char *v = negotiate();
            snprintf(path, sizeof path, "/v%s/version", v);
            cJSON *j = cJSON_Parse(get(path));
            if (!j) die(path, "bad JSON");
            const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "Version");
            if (!cJSON_IsString(ver)) die(path, "no Version");
            count += (long)strlen(ver->valuestring);
            cJSON_Delete(j);
        }
        t1 = now();
    } else {
        const char *v = negotiate();  /* connect + negotiate, untimed */
        if (strcmp(what, "ping") == 0) {
            t0 = now();
            for (long i = 0; i < n; i++) ping();
            t1 = now();
        } else if (strcmp(what, "inspect") == 0) {
            snprintf(path, sizeof path, "/v%s/containers/%s/json", v, id);
            t0 = now();
            for (long i = 0; i < n; i++) {
                cJSON *j = cJSON_Parse(get(path));
                if (!j) die(path, "bad JSON");
                const cJSON *cid = cJSON_GetObjectItemCaseSensitive(j, "Id");
                if (!cJSON_IsString(cid)) die(path, "no Id");
                count += (long)strlen(cid->valuestring);
                cJSON_Delete(j);
            }
            t1 = now();
        } else if (strcmp(what, "pinspect") == 0) {
            char url[sizeof path + 32];
            snprintf(path, sizeof path, "/v%s/containers/%s/json", v, id);
            snprintf(url, sizeof url, "http://localhost%s", path);
            pinspect_setup(sock);
            long started = 0, done = 0;
            t0 = now();
            for (int i = 0; i < PAR && started < n; i++, started++) slot_start(&slots[i], url);
            while (done < n) {
                slot *s = slot_next(path);
                done++;
                cJSON *j = cJSON_Parse(s->body.p);
                if (!j) die(path, "bad JSON");
                const cJSON *cid = cJSON_GetObjectItemCaseSensitive(j, "Id");
                if (!cJSON_IsString(cid)) die(path, "no Id");
                count += (long)strlen(cid->valuestring);
                cJSON_Delete(j);
                if (started < n) {
                    slot_start(s, url);
                    started++;
                }
            }
            t1 = now();
            pinspect_cleanup();
        } else if (strcmp(what, "ps") == 0) {
            snprintf(path, sizeof path, "/v%s/containers/json?all=1", v);
            t0 = now();
            for (long i = 0; i < n; i++) {
                cJSON *j = cJSON_Parse(get(path));
                if (!cJSON_IsArray(j)) die(path, "not a JSON array");
                const cJSON *c;
                cJSON_ArrayForEach(c, j) {
                    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(c, "Id");
                    const cJSON *names = cJSON_GetObjectItemCaseSensitive(c, "Names");
                    const cJSON *state = cJSON_GetObjectItemCaseSensitive(c, "State");
                    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
                    const cJSON *l;
                    if (cJSON_IsString(cid)) count++;
                    if (cJSON_IsArray(names) && cJSON_IsString(names->child)) count++;
                    if (cJSON_IsString(state)) count++;
                    cJSON_ArrayForEach(l, labels) count++;
                }
                cJSON_Delete(j);
            }
            t1 = now();
        } else {
            die("unknown benchmark", what);
        }
    }

    printf("%.6f\n", t1 - t0);
    if (count < 0) puts("");  /* keep `count` live */
    curl_easy_cleanup(h);
    free(body.p);
    curl_global_cleanup();
    return 0;
}
