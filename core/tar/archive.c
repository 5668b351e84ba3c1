/* archive.c - tar archives with libarchive: making one from a host file or
 * folder (copy_in, build contexts) and extracting one that came out of a
 * container (copy_out) without letting it touch anything outside its
 * destination; and telling what is at a host path, which copy_in and
 * copy_out need to follow `docker cp`'s rules.
 *
 * Making: libarchive's own disk walker reads the tree with symlinks stored,
 * never followed; .dockerignore patterns prune it (dockerignore.c), and a
 * folder excluded by a pattern is still walked when an exception could
 * re-include something below it. Owners become 0:0 without names and mtimes
 * are cut to whole seconds, as moby's tar writer does. The top-level name
 * can be replaced (the engine only unpacks into an existing folder, so
 * `docker cp dir ctr:/new` is a tar whose top entry is named "new").
 * Extracting can likewise move the archive's top-level name to another
 * (the same rename, the other way), and refuse to turn a folder into a
 * non-folder or back, as the CLI does; names are renamed only after they
 * were cleaned, so a rename cannot bring back what cleaning refuses.
 *
 * Extracting treats the tar as hostile (fault #45 of tests/faults/README.md). Names are
 * cleaned here first: an absolute name or one with a ".." segment is
 * refused (the rule of ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS and
 * SECURE_NODOTDOT), then the name is rebased under the real path of the
 * destination. libarchive's write-to-disk then runs with SECURE_SYMLINKS
 * (no write through a symlink already on disk, including one the same
 * archive planted) and SECURE_NODOTDOT; SECURE_NOABSOLUTEPATHS itself
 * cannot be set, as every rebased name is absolute by construction (and an
 * absolute name that slipped through would still land below the root it is
 * appended to). Hard-link targets get the same cleaning and rebasing, and
 * lose any body, so nothing is ever written through a link. No
 * ARCHIVE_EXTRACT_OWNER and no ARCHIVE_EXTRACT_PERM: the mode is masked with
 * 0777 here, so setuid, setgid and sticky bits never reach the disk, and
 * the umask applies as for any tar extracted by a user. Devices, fifos and
 * sockets are skipped and counted. This file must not know about HTTP or
 * Lua, and must not change the process's working directory.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "luadock.h"

#define COPY_CHUNK 65536

/* ---- making a tar ---------------------------------------------------- */

static la_ssize_t to_buf(struct archive *a, void *ud, const void *data, size_t len)
{
    if (ld_buf_append(ud, data, len) != 0) {
        archive_set_error(a, ENOMEM, "out of memory");
        return -1;
    }
    return (la_ssize_t)len;
}

typedef struct maker {
    struct archive *disk, *tar;
    struct archive_entry_linkresolver *links;
    const char *const *exclude;
    ld_buf name;
    ld_error *err;
    char chunk[COPY_CHUNK];
} maker;

static int maker_fail(maker *m, struct archive *a, const char *what)
{
    int e = archive_errno(a);
    ld_error_set(m->err, e == ENOMEM ? LD_E_NOMEM : LD_E_IO, "%s: %s", what,
                 archive_error_string(a) ? archive_error_string(a) : "unknown error");
    return -1;
}

static int set_name(maker *m, const char *a, const char *b)
{
    m->name.len = 0;
    if (ld_buf_appends(&m->name, a) != 0 || ld_buf_appends(&m->name, b) != 0) {
        ld_error_set(m->err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

/* Write one entry under m->name, with its data unless it became a link. */
static int emit(maker *m, struct archive_entry *entry)
{
    if (archive_entry_filetype(entry) == AE_IFSOCK)
        return 0;   /* tar has no sockets; moby leaves them out too */
    archive_entry_copy_pathname(entry, m->name.data);
    archive_entry_set_uid(entry, 0);
    archive_entry_set_gid(entry, 0);
    archive_entry_set_uname(entry, NULL);
    archive_entry_set_gname(entry, NULL);
    archive_entry_set_mtime(entry, archive_entry_mtime(entry), 0);
    archive_entry_unset_atime(entry);
    archive_entry_unset_ctime(entry);
    archive_entry_unset_birthtime(entry);
    struct archive_entry *e = entry, *sparse = NULL;
    archive_entry_linkify(m->links, &e, &sparse);
    if (!e)
        return 0;   /* deferred: cannot happen with the tar strategy */
    int rc = archive_write_header(m->tar, e);
    if (rc < ARCHIVE_WARN)
        return maker_fail(m, m->tar, m->name.data);
    if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFREG ||
        archive_entry_size(e) <= 0)
        return 0;
    for (;;) {
        la_ssize_t n = archive_read_data(m->disk, m->chunk, sizeof m->chunk);
        if (n == 0)
            return 0;
        if (n < 0)
            return maker_fail(m, m->disk, m->name.data);
        if (archive_write_data(m->tar, m->chunk, (size_t)n) < 0)
            return maker_fail(m, m->tar, m->name.data);
    }
}

/* The walk. `root` is the opened path without trailing slashes; `top` the
 * name the path itself is stored under; `prefix` "" or "top/". */
static int walk(maker *m, const char *root, const char *top, const char *prefix,
                int keep_root)
{
    struct archive_entry *entry = archive_entry_new();
    if (!entry) {
        ld_error_set(m->err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    size_t rootlen = strcmp(root, "/") == 0 ? 0 : strlen(root);
    int rc = 0;
    for (;;) {
        int r = archive_read_next_header2(m->disk, entry);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            rc = maker_fail(m, m->disk, root);
            break;
        }
        const char *path = archive_entry_pathname(entry);
        const char *rel = path && strncmp(path, root, rootlen) == 0 ? path + rootlen : "";
        while (*rel == '/')
            rel++;
        int is_dir = archive_entry_filetype(entry) == AE_IFDIR;
        int can_descend = is_dir && archive_read_disk_can_descend(m->disk);
        if (*rel == '\0') {   /* the path itself */
            if (can_descend)
                archive_read_disk_descend(m->disk);
            if (is_dir && !keep_root)
                continue;
            if (set_name(m, top, "") != 0) {
                rc = -1;
                break;
            }
        } else {
            if (ld_ignore_match(m->exclude, rel)) {
                if (can_descend && ld_ignore_descend(m->exclude, rel))
                    archive_read_disk_descend(m->disk);
                continue;
            }
            if (can_descend)
                archive_read_disk_descend(m->disk);
            if (set_name(m, prefix, rel) != 0) {
                rc = -1;
                break;
            }
        }
        if ((rc = emit(m, entry)) != 0)
            break;
    }
    archive_entry_free(entry);
    return rc;
}

/* One path segment: not empty, no "/", not "." or "..". */
static int is_segment(const char *s)
{
    return *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

int ld_tar_create(const char *path, const ld_tar_opts *opts, ld_buf *out, ld_error *err)
{
    static const ld_tar_opts none = {0};
    if (!opts)
        opts = &none;
    if (!path || !*path || !out) {
        ld_error_set(err, LD_E_ARG, "a path is needed");
        return -1;
    }
    if (opts->name && !is_segment(opts->name)) {
        ld_error_set(err, LD_E_ARG, "name %s is not one path segment", opts->name);
        return -1;
    }
    if (ld_ignore_check(opts->exclude, err) != 0)
        return -1;
    struct stat st, lst;
    if (lstat(path, &st) != 0) {
        ld_error_set(err, LD_E_IO, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    /* the path without trailing slashes, and its last segment */
    char *root = strdup(path), *real = NULL;
    ld_buf prefix = {0};
    maker m = {.exclude = opts->exclude, .err = err};
    int rc = -1;
    if (!root)
        goto nomem;
    size_t len = strlen(root);
    while (len > 1 && root[len - 1] == '/')
        root[--len] = '\0';
    const char *slash = strrchr(root, '/');
    const char *base = slash ? slash + 1 : root;
    /* lstat of "link/" went through the link: the user named the folder it
     * points at, which the walker (never following links) must open by its
     * real path; ".." is named by its real name, as the CLI makes the path
     * absolute first */
    int via_link = S_ISDIR(st.st_mode) && lstat(root, &lst) == 0 && S_ISLNK(lst.st_mode);
    if (via_link || strcmp(base, "..") == 0) {
        if (!(real = realpath(root, NULL))) {
            ld_error_set(err, LD_E_IO, "cannot read %s: %s", path, strerror(errno));
            goto done;
        }
        if (!via_link) {
            slash = strrchr(real, '/');
            base = slash + 1;
        }
    }
    const char *opened = via_link ? real : root;
    /* "dir/." and "." have no name of their own: contents only, unless given one */
    int keep_root = opts->name != NULL || (opts->keep_root && S_ISDIR(st.st_mode) && *base &&
                                           strcmp(base, ".") != 0 && strcmp(base, "..") != 0);
    const char *top = opts->name ? opts->name : base;
    if (keep_root && (ld_buf_appends(&prefix, top) != 0 || ld_buf_appends(&prefix, "/") != 0))
        goto nomem;
    if (ld_buf_append(&prefix, "", 0) != 0)
        goto nomem;

    m.disk = archive_read_disk_new();
    m.tar = archive_write_new();
    m.links = archive_entry_linkresolver_new();
    if (!m.disk || !m.tar || !m.links)
        goto nomem;
    archive_read_disk_set_symlink_physical(m.disk);
    archive_read_disk_set_behavior(m.disk, ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
                                               ARCHIVE_READDISK_NO_FFLAGS |
                                               ARCHIVE_READDISK_NO_SPARSE);
    archive_write_set_format_pax_restricted(m.tar);
    archive_entry_linkresolver_set_strategy(m.links, archive_format(m.tar));
    if (archive_write_open2(m.tar, out, NULL, to_buf, NULL, NULL) != ARCHIVE_OK) {
        rc = maker_fail(&m, m.tar, "tar");
        goto done;
    }
    if (archive_read_disk_open(m.disk, opened) != ARCHIVE_OK) {
        rc = maker_fail(&m, m.disk, path);
        goto done;
    }
    rc = walk(&m, opened, top, prefix.data, keep_root);
    if (rc == 0 && archive_write_close(m.tar) != ARCHIVE_OK)
        rc = maker_fail(&m, m.tar, "tar");
    goto done;
nomem:
    ld_error_set(err, LD_E_NOMEM, "out of memory");
done:
    if (m.disk)
        archive_read_free(m.disk);
    if (m.tar)
        archive_write_free(m.tar);
    if (m.links)
        archive_entry_linkresolver_free(m.links);
    ld_buf_free(&m.name);
    ld_buf_free(&prefix);
    free(real);
    free(root);
    return rc;
}

int ld_tar_from_path(const char *path, const char *const *exclude_patterns, ld_buf *out,
                     ld_error *err)
{
    ld_tar_opts opts = {.exclude = exclude_patterns};
    return ld_tar_create(path, &opts, out, err);
}

/* ---- extracting a tar ------------------------------------------------ */

/* Append `name` cleaned to `out` (after `out`'s current contents): empty and
 * "." segments dropped. Returns 1, 0 for the root itself, -1 when the name is
 * absolute or has a ".." segment, -2 out of memory. */
static int clean_name(const char *name, ld_buf *out)
{
    if (!name || name[0] == '/')
        return -1;
    int segs = 0;
    while (*name) {
        const char *end = strchr(name, '/');
        size_t n = end ? (size_t)(end - name) : strlen(name);
        if (n == 2 && name[0] == '.' && name[1] == '.')
            return -1;
        if (n > 0 && !(n == 1 && name[0] == '.')) {
            if (ld_buf_append(out, "/", 1) != 0 || ld_buf_append(out, name, n) != 0)
                return -2;
            segs++;
        }
        name += n;
        while (*name == '/')
            name++;
    }
    return segs > 0;
}

typedef struct extractor {
    struct archive *in, *disk;
    const char *root;
    ld_untar_opts opts;
    ld_buf rel, path, link;
    ld_untar_stats *st;
    ld_error *err;
} extractor;

static int skip(size_t *counter, ld_untar_stats *st)
{
    (*counter)++;
    st->skipped++;
    return 0;
}

static int copy_body(extractor *x)
{
    const void *block;
    size_t size;
    la_int64_t offset;
    for (;;) {
        int r = archive_read_data_block(x->in, &block, &size, &offset);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r < ARCHIVE_WARN) {
            ld_error_set(x->err, LD_E_PROTOCOL, "bad tar data: %s", archive_error_string(x->in));
            return -1;
        }
        if (archive_write_data_block(x->disk, block, size, offset) < ARCHIVE_WARN) {
            ld_error_set(x->err, LD_E_IO, "cannot write %s: %s", x->path.data,
                         archive_error_string(x->disk));
            return -1;
        }
    }
}

/* `out` := the real destination root, then `name` cleaned and, with the
 * rename options, moved from under rename_from to under rename_to. 1, 0 for
 * the destination itself, -1 when the name is unsafe or outside
 * rename_from, -2 out of memory. */
static int place(extractor *x, const char *name, ld_buf *out)
{
    x->rel.len = 0;
    out->len = 0;
    if (ld_buf_append(&x->rel, "", 0) != 0 || ld_buf_appends(out, x->root) != 0)
        return -2;
    int r = clean_name(name, &x->rel);
    const char *from = x->opts.rename_from, *rest = x->rel.data;
    if (r < 0 || (r == 0 && (!from || strcmp(from, ".") != 0)))
        return r;
    if (from) {
        if (strcmp(from, ".") != 0) {   /* rel is "/<from>" or "/<from>/..." */
            size_t n = strlen(from);
            if (strncmp(rest + 1, from, n) != 0 || (rest[n + 1] != '\0' && rest[n + 1] != '/'))
                return -1;
            rest += n + 1;
        }
        if (ld_buf_append(out, "/", 1) != 0 || ld_buf_appends(out, x->opts.rename_to) != 0)
            return -2;
        r = 1;
    }
    return ld_buf_appends(out, rest) != 0 ? -2 : r;
}

/* docker cp's NoOverwriteDirNonDir: what is already at x->path keeps its
 * kind (folder or not); a clash fails the whole copy, as the CLI does. A
 * path whose folder is reached through a symlink is not looked at (its
 * write is refused as unsafe anyway), so nothing outside the destination
 * can decide, or show up in, an error. */
static int clash(extractor *x, int want_dir)
{
    struct stat sb;
    if (!x->opts.no_overwrite_dir_nondir || lstat(x->path.data, &sb) != 0 ||
        !S_ISDIR(sb.st_mode) == !want_dir)
        return 0;
    /* the root is a real path and the names are clean, so the folder's real
     * path differs from its name only when a symlink is on the way */
    char *slash = strrchr(x->path.data, '/');
    *slash = '\0';
    const char *parent = *x->path.data ? x->path.data : "/";
    char *real = realpath(parent, NULL);
    int through_link = !real || strcmp(real, parent) != 0;
    *slash = '/';
    free(real);
    if (through_link)
        return 0;
    ld_error_set(x->err, LD_E_IO, S_ISDIR(sb.st_mode)
                                      ? "cannot overwrite directory %s with a non-directory"
                                      : "cannot overwrite non-directory %s with a directory",
                 x->path.data);
    return -1;
}

/* One entry: check it, rebase it, write it or count why not. */
static int extract_one(extractor *x, struct archive_entry *e)
{
    ld_untar_stats *st = x->st;
    const char *hardlink = archive_entry_hardlink(e);   /* invalid once replaced */
    int is_link = hardlink != NULL;
    if (!is_link) {
        switch (archive_entry_filetype(e)) {
        case AE_IFREG: case AE_IFDIR: case AE_IFLNK: break;
        case AE_IFCHR: case AE_IFBLK: return skip(&st->devices, st);
        case AE_IFIFO: return skip(&st->fifos, st);
        case AE_IFSOCK: return skip(&st->sockets, st);
        default: return skip(&st->other, st);
        }
    }
    int r = place(x, archive_entry_pathname(e), &x->path);
    if (r == -2)
        goto nomem;
    if (r == 0)
        return 0;   /* "." or "./": the destination itself stays as it is */
    if (r < 0)
        return skip(&st->unsafe, st);
    if (is_link) {
        r = place(x, hardlink, &x->link);
        if (r == -2)
            goto nomem;
        if (r <= 0)
            return skip(&st->unsafe, st);
        archive_entry_copy_hardlink(e, x->link.data);
        archive_entry_set_size(e, 0);   /* never write a body through a link */
    }
    if (clash(x, !is_link && archive_entry_filetype(e) == AE_IFDIR) != 0)
        return -1;
    archive_entry_copy_pathname(e, x->path.data);
    archive_entry_set_perm(e, archive_entry_perm(e) & 0777);
    r = archive_write_header(x->disk, e);
    if (r == ARCHIVE_FAILED) {
        /* libarchive's own refusals (a symlink on the way, "..") carry no
         * errno; a hard link to a skipped or missing target is refused too */
        int eno = archive_errno(x->disk);
        if (eno <= 0 || is_link)
            return skip(&st->unsafe, st);
    }
    if (r < ARCHIVE_WARN) {
        ld_error_set(x->err, LD_E_IO, "cannot extract %s: %s", x->path.data,
                     archive_error_string(x->disk));
        return -1;
    }
    if (archive_entry_size(e) > 0 && !is_link && copy_body(x) != 0)
        return -1;
    if (archive_write_finish_entry(x->disk) < ARCHIVE_WARN) {
        ld_error_set(x->err, LD_E_IO, "cannot extract %s: %s", x->path.data,
                     archive_error_string(x->disk));
        return -1;
    }
    st->files++;
    return 0;
nomem:
    ld_error_set(x->err, LD_E_NOMEM, "out of memory");
    return -1;
}

int ld_tar_extract(const char *data, size_t len, const char *dest_dir, const ld_untar_opts *opts,
                   ld_untar_stats *stats, ld_error *err)
{
    static const ld_untar_opts none = {0};
    ld_untar_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!opts)
        opts = &none;
    if (!data || !dest_dir || !*dest_dir) {
        ld_error_set(err, LD_E_ARG, "tar data and a destination folder are needed");
        return -1;
    }
    if (!opts->rename_from != !opts->rename_to ||
        (opts->rename_from && (strcmp(opts->rename_from, ".") != 0 &&
                               !is_segment(opts->rename_from))) ||
        (opts->rename_to && !is_segment(opts->rename_to))) {
        ld_error_set(err, LD_E_ARG, "rename_from and rename_to must both be one path segment"
                                    " (rename_from may be \".\")");
        return -1;
    }
    /* the real path: no symlink or ".." left in the part we rebase onto */
    char *root = realpath(dest_dir, NULL);
    struct stat sb;
    if (!root || stat(root, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        ld_error_set(err, LD_E_ARG, "%s is not a folder%s%s", dest_dir, root ? "" : ": ",
                     root ? "" : strerror(errno));
        free(root);
        return -1;
    }
    extractor x = {.root = strcmp(root, "/") == 0 ? "" : root, .opts = *opts, .st = stats,
                   .err = err};
    x.in = archive_read_new();
    x.disk = archive_write_disk_new();
    int rc = -1;
    if (!x.in || !x.disk) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        goto done;
    }
    archive_read_support_format_tar(x.in);
    archive_write_disk_set_options(x.disk, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                               ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                               ARCHIVE_EXTRACT_TIME);
    if (archive_read_open_memory(x.in, data, len) != ARCHIVE_OK) {
        ld_error_set(err, LD_E_PROTOCOL, "not a tar archive: %s", archive_error_string(x.in));
        goto done;
    }
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(x.in, &e);
        if (r == ARCHIVE_EOF) {
            rc = 0;
            break;
        }
        if (r < ARCHIVE_WARN) {
            ld_error_set(err, LD_E_PROTOCOL, "not a tar archive: %s",
                         archive_error_string(x.in));
            break;
        }
        if (extract_one(&x, e) != 0)
            break;
    }
    /* folder modes and times are set at close; a failure there is an error */
    if (archive_write_close(x.disk) < ARCHIVE_WARN && rc == 0) {
        ld_error_set(err, LD_E_IO, "cannot finish extracting: %s",
                     archive_error_string(x.disk));
        rc = -1;
    }
done:
    if (x.in)
        archive_read_free(x.in);
    if (x.disk)
        archive_write_free(x.disk);
    ld_buf_free(&x.rel);
    ld_buf_free(&x.path);
    ld_buf_free(&x.link);
    free(root);
    return rc;
}

/* ---- what is at a host path --------------------------------------------- */

int ld_path_stat(const char *path, int follow, ld_path_kind *kind, ld_buf *real_path,
                 ld_error *err)
{
    struct stat st;
    if (!path || !*path || !kind) {
        ld_error_set(err, LD_E_ARG, "a path is needed");
        return -1;
    }
    if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) {
        if (errno == ENOENT) {
            *kind = LD_PATH_MISSING;
            return 0;
        }
        ld_error_set(err, LD_E_IO, "%s %s: %s", follow ? "stat" : "lstat", path, strerror(errno));
        return -1;
    }
    switch (st.st_mode & S_IFMT) {
    case S_IFDIR: *kind = LD_PATH_DIR; break;
    case S_IFLNK: *kind = LD_PATH_SYMLINK; break;
    case S_IFIFO: *kind = LD_PATH_FIFO; break;
    case S_IFSOCK: *kind = LD_PATH_SOCKET; break;
    case S_IFCHR: *kind = LD_PATH_CHAR_DEVICE; break;
    case S_IFBLK: *kind = LD_PATH_BLOCK_DEVICE; break;
    default: *kind = LD_PATH_FILE; break;
    }
    if (follow && real_path) {
        char *real = realpath(path, NULL);
        if (!real) {
            ld_error_set(err, LD_E_IO, "realpath %s: %s", path, strerror(errno));
            return -1;
        }
        int rc = ld_buf_appends(real_path, real);
        free(real);
        if (rc != 0) {
            ld_error_set(err, LD_E_NOMEM, "out of memory");
            return -1;
        }
    }
    return 0;
}
