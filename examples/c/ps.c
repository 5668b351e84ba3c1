/* ps.c - a `docker ps -a` look-alike written against the luadock C core alone.
 *
 * It proves that core/ stands without Lua: it opens a client (DOCKER_HOST is
 * honoured, -H overrides it), finds the container_list operation, builds its
 * path and query, calls the engine and reads the JSON answer with cJSON, then
 * prints the CLI's table (or only ids with -q). It changes nothing on the
 * engine. Text from the engine is never printed raw, since a container's
 * command or image name may hold anything a terminal would obey: COMMAND is
 * quoted with escapes as the CLI does, other fields have control characters
 * replaced by '?'.
 *
 *   build/examples/ps [-q] [--no-trunc] [-H HOST] [-f KEY=VALUE]...
 *   e.g. build/examples/ps -f label=luadock.managed=1 -f status=running
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "luadock.h"

#define MAX_FILTERS 32
#define NCOLS 7
#define MIN_CELL 10   /* the CLI's tabwriter minimum cell width, padding included */

static const char *const titles[NCOLS] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
                                          "STATUS", "PORTS", "NAMES"};

typedef struct row {
    char *col[NCOLS];
} row;

static void usage(FILE *to)
{
    fputs("usage: ps [-q] [--no-trunc] [-H HOST] [-f KEY=VALUE]...\n"
          "  lists all containers like `docker ps -a`; -f filters as the Engine does\n"
          "  (label=k=v, status=running, name=x, ...), -q prints ids only\n", to);
}

/* A malloc'd copy of s with control characters (C0, DEL, and C1 in UTF-8)
 * replaced by '?'. */
static char *sanitize(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9F) {
            out[j++] = '?';
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            out[j++] = '?';
        } else {
            out[j++] = (char)c;
        }
    }
    out[j] = '\0';
    return out;
}

/* Append s in double quotes the way Go's strconv.Quote writes it (as the
 * docker CLI shows COMMAND): \" and \\ escaped, control characters as \n,
 * \t, \x1b, C1 controls as \u0085; other UTF-8 kept. */
static int append_quoted(ld_buf *out, const char *s, size_t n)
{
    int rc = ld_buf_appends(out, "\"");
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\a': esc = "\\a"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\v': esc = "\\v"; break;
        default: break;
        }
        if (esc)
            rc = ld_buf_appends(out, esc);
        else if (c < 0x20 || c == 0x7F)
            rc = ld_buf_appendf(out, "\\x%02x", c);
        else if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
                 (unsigned char)s[i + 1] <= 0x9F)
            rc = ld_buf_appendf(out, "\\u%04x", (unsigned char)s[++i]);
        else
            rc = ld_buf_append(out, &s[i], 1);
    }
    return rc | ld_buf_appends(out, "\"");
}

/* Number of characters (UTF-8 code points) in s, for column widths. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* docker's units.HumanDuration */
static void human_duration(char *buf, size_t size, long long seconds)
{
    if (seconds < 1) {
        snprintf(buf, size, "Less than a second");
        return;
    }
    if (seconds == 1) {
        snprintf(buf, size, "1 second");
        return;
    }
    if (seconds < 60) {
        snprintf(buf, size, "%lld seconds", seconds);
        return;
    }
    long long minutes = seconds / 60;
    if (minutes == 1) {
        snprintf(buf, size, "About a minute");
        return;
    }
    if (minutes < 60) {
        snprintf(buf, size, "%lld minutes", minutes);
        return;
    }
    long long hours = (seconds + 1800) / 3600;
    if (hours == 1)
        snprintf(buf, size, "About an hour");
    else if (hours < 48)
        snprintf(buf, size, "%lld hours", hours);
    else if (hours < 24 * 7 * 2)
        snprintf(buf, size, "%lld days", hours / 24);
    else if (hours < 24 * 30 * 2)
        snprintf(buf, size, "%lld weeks", hours / (24 * 7));
    else if (hours < 24 * 365 * 2)
        snprintf(buf, size, "%lld months", hours / (24 * 30));
    else
        snprintf(buf, size, "%lld years", hours / (24 * 365));
}

static const char *str_item(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* "0.0.0.0:8080->80/tcp, 443/tcp" */
static int format_ports(ld_buf *out, const cJSON *ports)
{
    const cJSON *p;
    int first = 1, rc = 0;
    cJSON_ArrayForEach(p, ports) {
        const cJSON *priv = cJSON_GetObjectItemCaseSensitive(p, "PrivatePort");
        const cJSON *pub = cJSON_GetObjectItemCaseSensitive(p, "PublicPort");
        const char *type = str_item(p, "Type");
        const char *ip = str_item(p, "IP");
        if (!cJSON_IsNumber(priv))
            continue;
        rc |= ld_buf_appends(out, first ? "" : ", ");
        if (cJSON_IsNumber(pub)) {
            int v6 = strchr(ip, ':') != NULL;
            rc |= ld_buf_appendf(out, "%s%s%s:%d->", v6 ? "[" : "", ip, v6 ? "]" : "",
                                 (int)pub->valuedouble);
        }
        rc |= ld_buf_appendf(out, "%d/%s", (int)priv->valuedouble, type[0] ? type : "tcp");
        first = 0;
    }
    if (!out->data)
        rc |= ld_buf_appends(out, "");
    return rc;
}

/* The first name that is not a link ("/a/b"), without its leading '/'. */
static const char *primary_name(const cJSON *names)
{
    const char *first = NULL;
    const cJSON *n;
    cJSON_ArrayForEach(n, names) {
        if (!cJSON_IsString(n))
            continue;
        const char *s = n->valuestring;
        if (!first)
            first = s;
        if (!strchr(s + 1, '/')) {
            first = s;
            break;
        }
    }
    if (!first)
        return "";
    return first[0] == '/' ? first + 1 : first;
}

static int fill_row(row *r, const cJSON *c, int no_trunc, time_t now)
{
    char buf[80];
    ld_buf cmd = {0}, ports = {0};
    const char *id = str_item(c, "Id");
    const char *command = str_item(c, "Command");
    int rc = 0;

    snprintf(buf, sizeof buf, "%.*s", no_trunc ? 64 : 12, id);
    r->col[0] = sanitize(buf);
    r->col[1] = sanitize(str_item(c, "Image"));
    if (!no_trunc && width(command) > 20) {
        /* the CLI's Ellipsis: 19 characters (never half a UTF-8 sequence) and "…" */
        size_t i = 0, chars = 0;
        ld_buf cut = {0};
        while (command[i] && chars < 19) {
            i++;
            while (((unsigned char)command[i] & 0xC0) == 0x80)
                i++;
            chars++;
        }
        rc |= ld_buf_append(&cut, command, i);
        rc |= ld_buf_appends(&cut, "\xe2\x80\xa6");
        if (rc == 0)
            rc |= append_quoted(&cmd, cut.data, cut.len);
        ld_buf_free(&cut);
    } else {
        rc |= append_quoted(&cmd, command, strlen(command));
    }
    r->col[2] = cmd.data ? strdup(cmd.data) : NULL;
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(c, "Created");
    long long age = cJSON_IsNumber(created) ? (long long)now - (long long)created->valuedouble : 0;
    char human[48];
    human_duration(human, sizeof human, age < 0 ? 0 : age);
    snprintf(buf, sizeof buf, "%s ago", human);
    r->col[3] = sanitize(buf);
    r->col[4] = sanitize(str_item(c, "Status"));
    rc |= format_ports(&ports, cJSON_GetObjectItemCaseSensitive(c, "Ports"));
    r->col[5] = ports.data ? sanitize(ports.data) : NULL;
    r->col[6] = sanitize(primary_name(cJSON_GetObjectItemCaseSensitive(c, "Names")));
    ld_buf_free(&cmd);
    ld_buf_free(&ports);
    for (int i = 0; i < NCOLS; i++)
        if (!r->col[i])
            rc = -1;
    return rc;
}

/* filters={"key":["value",...]} from "key=value" arguments */
static char *filters_json(char **filters, int n)
{
    cJSON *doc = cJSON_CreateObject();
    if (!doc)
        return NULL;
    for (int i = 0; i < n; i++) {
        char *eq = strchr(filters[i], '=');
        *eq = '\0';
        cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, filters[i]);
        if (!list)
            list = cJSON_AddArrayToObject(doc, filters[i]);
        *eq = '=';
        if (!list || !cJSON_AddItemToArray(list, cJSON_CreateString(eq + 1))) {
            cJSON_Delete(doc);
            return NULL;
        }
    }
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return text;
}

static int fail(const ld_error *err)
{
    fprintf(stderr, "ps: %s\n", err->message[0] ? err->message : ld_error_code_name(err->code));
    return 1;
}

int main(int argc, char **argv)
{
    const char *host = NULL;
    char *filters[MAX_FILTERS];
    int nfilters = 0, quiet = 0, no_trunc = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--no-trunc") == 0) {
            no_trunc = 1;
        } else if ((strcmp(a, "-H") == 0 || strcmp(a, "--host") == 0) && i + 1 < argc) {
            host = argv[++i];
        } else if ((strcmp(a, "-f") == 0 || strcmp(a, "--filter") == 0) && i + 1 < argc) {
            char *f = argv[++i];
            if (!strchr(f, '=') || f[0] == '=') {
                fprintf(stderr, "ps: bad filter \"%s\" (KEY=VALUE expected)\n", f);
                return 2;
            }
            if (nfilters == MAX_FILTERS) {
                fprintf(stderr, "ps: at most %d filters\n", MAX_FILTERS);
                return 2;
            }
            filters[nfilters++] = f;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }

    ld_error err;
    ld_error_clear(&err);
    ld_client_opts opts = {.host = host};
    ld_client *client = NULL;
    if (ld_client_new(&opts, &client, &err) != 0)
        return fail(&err);

    const ld_op *op = ld_op_find("container_list");
    ld_buf path = {0}, query = {0};
    char *fjson = nfilters ? filters_json(filters, nfilters) : NULL;
    int rc = op ? ld_op_path(op, NULL, 0, &path, &err) : -1;
    if (!op)
        ld_error_set(&err, LD_E_ARG, "the core has no container_list operation");
    if (rc == 0 && (ld_query_add(&query, "all", "1", 1) != 0 ||
                    (nfilters && (!fjson || ld_query_add(&query, "filters", fjson,
                                                         strlen(fjson)) != 0)))) {
        ld_error_set(&err, LD_E_NOMEM, "out of memory");
        rc = -1;
    }
    ld_response resp = {0};
    if (rc == 0) {
        ld_request req = {.method = op->method, .path = path.data, .query = query.data};
        rc = ld_client_call(client, &req, &resp, &err);
    }
    cJSON_free(fjson);
    ld_buf_free(&path);
    ld_buf_free(&query);
    ld_client_free(client);
    if (rc != 0)
        return fail(&err);

    cJSON *list = cJSON_ParseWithLength(resp.body, resp.len);
    ld_response_free(&resp);
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(list);
        fputs("ps: the engine's answer is not a JSON array\n", stderr);
        return 1;
    }

    int n = cJSON_GetArraySize(list);
    row *rows = calloc((size_t)n + 1, sizeof *rows);
    size_t w[NCOLS];
    int status = 0;
    time_t now = time(NULL);
    if (!rows) {
        cJSON_Delete(list);
        fputs("ps: out of memory\n", stderr);
        return 1;
    }
    for (int c = 0; c < NCOLS; c++)
        w[c] = width(titles[c]);
    /* the CLI's tabwriter: cells padded by 3, and at least 10 wide with it */
    const cJSON *item;
    int i = 0;
    cJSON_ArrayForEach(item, list) {
        if (fill_row(&rows[i], item, no_trunc, now) != 0) {
            fputs("ps: out of memory\n", stderr);
            status = 1;
            n = i + 1;
            break;
        }
        for (int c = 0; c < NCOLS; c++)
            if (width(rows[i].col[c]) > w[c])
                w[c] = width(rows[i].col[c]);
        i++;
    }
    cJSON_Delete(list);

    if (status == 0) {
        if (quiet) {
            for (i = 0; i < n; i++)
                printf("%s\n", rows[i].col[0]);
        } else {
            for (i = -1; i < n; i++) {
                for (int c = 0; c < NCOLS; c++) {
                    const char *text = i < 0 ? titles[c] : rows[i].col[c];
                    if (c == NCOLS - 1)
                        printf("%s\n", text);
                    else
                        printf("%s%*s", text,
                               (int)((w[c] + 3 < MIN_CELL ? MIN_CELL : w[c] + 3) - width(text)),
                               "");
                }
            }
        }
    }
    for (i = 0; i < n; i++)
        for (int c = 0; c < NCOLS; c++)
            free(rows[i].col[c]);
    free(rows);
    return status;
}
