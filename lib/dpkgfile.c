/* SPDX-License-Identifier: MIT */
/*
 * The dpkg database's file formats (status, .list, .md5sums, diversions),
 * parsed from bytes in memory with a cap on every line and field, and the
 * capped whole-file read they are fed from. Contracts in lib/dpkg.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dpkg.h"
#include "util.h"

/* The next line of [*pos, len) without its '\n'; false at the end. */
static bool next_line(const char *buf, size_t len, size_t *pos, const char **ret, size_t *ret_n)
{
        const char *nl;

        if (*pos >= len)
                return false;
        *ret = buf + *pos;
        nl = memchr(*ret, '\n', len - *pos);
        *ret_n = nl ? (size_t) (nl - *ret) : len - *pos;
        *pos += *ret_n + (nl ? 1 : 0);
        return true;
}

/* Copies a field value (n bytes) into out (cap bytes) if it fits and
 * every byte passes ok(); false otherwise. */
static bool take(char *out, size_t cap, const char *s, size_t n, bool (*ok)(char c, size_t i))
{
        if (n == 0 || n >= cap)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!ok(s[i], i))
                        return false;
        memcpy(out, s, n);
        out[n] = '\0';
        return true;
}

/* Debian policy 5.6.1: [a-z0-9][a-z0-9+.-]+ (no '/', so safe in a file name). */
static bool name_ok(char c, size_t i)
{
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                return true;
        return i > 0 && (c == '+' || c == '.' || c == '-');
}

static bool arch_ok(char c, size_t i)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && c == '-');
}

/* Policy 5.6.12: alphanumerics and . + - ~ : (we are lenient: any printable but blanks). */
static bool version_ok(char c, size_t i)
{
        return c > ' ' && c < 0x7f;
}

/* The value of "Field: value" when line starts with field (case-insensitive, RFC 822). */
static bool field(const char *line, size_t n, const char *name, const char **ret, size_t *ret_n)
{
        size_t k = strlen(name);

        if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
                return false;
        line += k + 1;
        n -= k + 1;
        while (n && (*line == ' ' || *line == '\t'))
                line++, n--;
        while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
                n--;
        *ret = line;
        *ret_n = n;
        return true;
}

/* The stanza being read: what it said, and whether it broke a rule. */
typedef struct stanza {
        sa_dpkg_pkg pkg;
        bool installed, bad, any;
} stanza;

static void stanza_line(stanza *s, const char *line, size_t n)
{
        const char *v;
        size_t vn;

        s->any = true;
        if (field(line, n, "Package", &v, &vn)) {
                if (!take(s->pkg.base, sizeof s->pkg.base - SA_DPKG_ARCH_MAX, v, vn, name_ok))
                        s->bad = true;
        } else if (field(line, n, "Version", &v, &vn)) {
                if (!take(s->pkg.version, sizeof s->pkg.version, v, vn, version_ok))
                        s->bad = true;
        } else if (field(line, n, "Architecture", &v, &vn)) {
                if (!take(s->pkg.arch, sizeof s->pkg.arch, v, vn, arch_ok))
                        s->bad = true;
        } else if (field(line, n, "Multi-Arch", &v, &vn)) {
                s->pkg.multiarch_same = vn == 4 && memcmp(v, "same", 4) == 0;
        } else if (field(line, n, "Status", &v, &vn)) {
                /* "<want> ok installed": held and to-be-removed packages are still installed. */
                static const char tail[] = " ok installed";
                size_t tn = sizeof tail - 1;

                s->installed = vn > tn && memcmp(v + vn - tn, tail, tn) == 0 &&
                               memchr(v, ' ', vn - tn) == NULL;
        }
}

/* Ends a stanza: appends it when it is an installed, well-formed package. */
static int stanza_end(stanza *s, size_t max, sa_dpkg_pkg **pkgs, size_t *cap, size_t *n, size_t *bad)
{
        int r;

        if (!s->any)
                return 0;
        if (s->installed) {
                if (s->bad || !s->pkg.base[0] || !s->pkg.version[0] || !s->pkg.arch[0]) {
                        (*bad)++;
                } else {
                        if (*n >= max)
                                return -E2BIG;
                        r = sa_grow((void **) pkgs, cap, *n, sizeof **pkgs);
                        if (r < 0)
                                return r;
                        /* base is capped so that "base:arch" fits */
                        size_t b = strlen(s->pkg.base), a = strlen(s->pkg.arch);

                        memcpy(s->pkg.name, s->pkg.base, b + 1);
                        if (s->pkg.multiarch_same) {
                                s->pkg.name[b] = ':';
                                memcpy(s->pkg.name + b + 1, s->pkg.arch, a + 1);
                        }
                        (*pkgs)[(*n)++] = s->pkg;
                }
        }
        memset(s, 0, sizeof *s);
        return 0;
}

int sa_dpkg_parse_status(const char *buf, size_t len, size_t max,
                         sa_dpkg_pkg **ret, size_t *ret_n, size_t *ret_bad)
{
        sa_dpkg_pkg *pkgs = NULL;
        size_t cap = 0, n = 0, bad = 0, pos = 0, ln;
        const char *line;
        stanza s = { 0 };
        int r = 0;

        while (r == 0 && next_line(buf, len, &pos, &line, &ln)) {
                if (ln == 0 || (ln == 1 && line[0] == '\r'))
                        r = stanza_end(&s, max, &pkgs, &cap, &n, &bad);
                else if (line[0] != ' ' && line[0] != '\t')
                        stanza_line(&s, line, ln);
        }
        if (r == 0)
                r = stanza_end(&s, max, &pkgs, &cap, &n, &bad);
        if (r < 0) {
                free(pkgs);
                return r;
        }
        *ret = pkgs;
        *ret_n = n;
        *ret_bad += bad;
        return 0;
}

int sa_dpkg_parse_list(const char *buf, size_t len,
                       int (*cb)(const char *path, size_t n, void *userdata),
                       void *userdata, size_t *ret_bad)
{
        size_t pos = 0, n;
        const char *line;
        int r;

        while (next_line(buf, len, &pos, &line, &n)) {
                if (n == 2 && memcmp(line, "/.", 2) == 0)
                        continue;
                if (n == 0 || line[0] != '/' || n >= SA_DPKG_PATH_MAX || memchr(line, '\0', n)) {
                        (*ret_bad)++;
                        continue;
                }
                r = cb(line, n, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int sa_dpkg_parse_md5sums(const char *buf, size_t len, const char *path,
                          char ret_md5[33], size_t *ret_bad)
{
        size_t pos = 0, n, want;
        const char *line;

        if (!path || path[0] != '/')
                return -EINVAL;
        path++;
        want = strlen(path);
        while (next_line(buf, len, &pos, &line, &n)) {
                bool hex = n > 34;

                for (size_t i = 0; hex && i < 32; i++)
                        hex = hexval(line[i]) >= 0;
                /* "  path" (text mode) or " *path" (binary mode, md5sum -b) */
                if (!hex || line[32] != ' ' || (line[33] != ' ' && line[33] != '*') ||
                    n - 34 >= SA_DPKG_PATH_MAX) {
                        (*ret_bad)++;
                        continue;
                }
                if (n - 34 != want || memcmp(line + 34, path, want) != 0)
                        continue;
                for (size_t i = 0; i < 32; i++)
                        ret_md5[i] = "0123456789abcdef"[hexval(line[i])];
                ret_md5[32] = '\0';
                return 0;
        }
        return -ENOENT;
}

void sa_dpkg_diversions_free(sa_dpkg_diversion *d, size_t n)
{
        for (size_t i = 0; d && i < n; i++)
                free(d[i].from);
        free(d);
}

/* One triple as a diversion in one allocation: 0, -EINVAL (breaks the format), -ENOMEM. */
static int diversion_make(const char *l[3], const size_t ln[3], sa_dpkg_diversion *ret)
{
        char *s, tmp[SA_DPKG_NAME_MAX];
        bool local = ln[2] == 1 && l[2][0] == ':';

        for (int i = 0; i < 2; i++)
                if (ln[i] == 0 || l[i][0] != '/' || ln[i] >= SA_DPKG_PATH_MAX || memchr(l[i], '\0', ln[i]))
                        return -EINVAL;
        if (!local && !take(tmp, sizeof tmp, l[2], ln[2], name_ok))
                return -EINVAL;
        s = malloc(ln[0] + ln[1] + ln[2] + 3);
        if (!s)
                return -ENOMEM;
        ret->from = s;
        ret->to = s + ln[0] + 1;
        ret->by = ret->to + ln[1] + 1;
        memcpy(ret->from, l[0], ln[0]);
        ret->from[ln[0]] = '\0';
        memcpy(ret->to, l[1], ln[1]);
        ret->to[ln[1]] = '\0';
        memcpy(ret->by, l[2], ln[2]);
        ret->by[ln[2]] = '\0';
        return 0;
}

int sa_dpkg_parse_diversions(const char *buf, size_t len, size_t max,
                             sa_dpkg_diversion **ret, size_t *ret_n, size_t *ret_bad)
{
        sa_dpkg_diversion *d = NULL;
        size_t cap = 0, n = 0, pos = 0, ln[3] = { 0 };
        const char *l[3] = { NULL };
        int r;

        for (;;) {
                int got = 0;

                while (got < 3 && next_line(buf, len, &pos, &l[got], &ln[got]))
                        got++;
                if (got == 0)
                        break;
                if (got < 3) {
                        (*ret_bad)++;   /* a truncated triple at the end */
                        break;
                }
                if (n >= max) {
                        r = -E2BIG;
                        goto fail;
                }
                r = sa_grow((void **) &d, &cap, n, sizeof *d);
                if (r < 0)
                        goto fail;
                r = diversion_make(l, ln, &d[n]);
                if (r == -ENOMEM)
                        goto fail;
                if (r < 0)
                        (*ret_bad)++;
                else
                        n++;
        }
        *ret = d;
        *ret_n = n;
        return 0;
fail:
        sa_dpkg_diversions_free(d, n);
        return r;
}

int sa_dpkg_read_file(int dir_fd, const char *name, size_t max, char **ret_buf, size_t *ret_len)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t cap, len = 0;
        ssize_t k;

        fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;
        /* The file may grow while read: one byte more than max tells. */
        cap = (size_t) st.st_size + 1;
        if (cap > max + 1)
                cap = max + 1;
        buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == cap) {
                        char *nb;

                        if (cap > max)
                                return -EFBIG;
                        cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
                        nb = realloc(buf, cap + 1);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                k = read(fd, buf + len, cap - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        if (len > max)
                return -EFBIG;
        buf[len] = '\0';
        *ret_buf = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}
