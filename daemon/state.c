/* SPDX-License-Identifier: MIT */
/* The baseline file: load, validate, save atomically. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "state.h"

#define STATE_VERSION 1

static const char *const kept_names[_STATE_KEPT_MAX] = {
        [STATE_KEPT_TLS] = "tls",
        [STATE_KEPT_EXPOSURE] = "exposure",
};

int state_dir_check(const char *dir, char *err, size_t errlen)
{
        struct stat st;

        if (stat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "%s is not a directory", dir);
                return -EPERM;
        }
        if (st.st_uid != 0 && st.st_uid != geteuid()) {
                snprintf(err, errlen, "%s is owned by uid %u, not by root", dir, (unsigned) st.st_uid);
                return -EPERM;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
                snprintf(err, errlen, "%s is writable by %s (mode %04o)", dir,
                         st.st_mode & S_IWOTH ? "others" : "its group", (unsigned) (st.st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

/*
 * Creates path afresh for writing (0600): O_EXCL, after unlinking whatever
 * is there, so no planted link is followed. Returns the fd or -errno.
 */
static int create_new(const char *path)
{
        for (int attempt = 0;; attempt++) {
                int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

                if (fd >= 0)
                        return fd;
                if (errno != EEXIST || attempt > 0)
                        return -errno;
                if (unlink(path) < 0 && errno != ENOENT)
                        return -errno;
        }
}

int state_boot_id_parse(const char *text, char *buf, size_t size)
{
        size_t len = strlen(text), n = 0;
        bool dashed = len == 36;
        char hex[33];

        if ((len != 32 && !dashed) || size < 37)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) {
                        if (text[i] != '-')
                                return -EINVAL;
                        continue;
                }
                if (!isxdigit((unsigned char) text[i]))
                        return -EINVAL;
                hex[n++] = (char) tolower((unsigned char) text[i]);
        }
        hex[n] = '\0';
        snprintf(buf, size, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
        return 0;
}

void state_boot_id(char *buf, size_t size)
{
        const char *e = getenv(STATE_BOOT_ID_ENV);
        _cleanup_fclose_ FILE *f = NULL;

        if (e && *e && state_boot_id_parse(e, buf, size) == 0)
                return;
        buf[0] = '\0';
        f = fopen("/proc/sys/kernel/random/boot_id", "re");
        if (f && fgets(buf, (int) size, f))
                buf[strcspn(buf, "\n")] = '\0';
}

void state_clear(state *s)
{
        sa_snapshot_free(s->known);
        for (size_t i = 0; i < s->n_violations; i++)
                free(s->violations[i]);
        free(s->violations);
        for (int k = 0; k < _STATE_KEPT_MAX; k++)
                json_decref(s->kept[k]);
        *s = (state) { 0 };
}

int state_load(const char *path, state *ret, char *err, size_t errlen)
{
        _cleanup_json_ json_t *root = NULL;
        state s = { 0 };
        json_error_t jerr;
        const json_t *viol;
        char boot[64], msg[160];
        const char *saved_boot;
        int r;

        if (access(path, F_OK) < 0)
                return -errno;
        root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                snprintf(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
                return -EBADMSG;
        }
        if (json_integer_value(json_object_get(root, "version")) != STATE_VERSION) {
                snprintf(err, errlen, "%s: unknown or missing \"version\"", path);
                return -EBADMSG;
        }
        viol = json_object_get(root, "violations");
        if (!json_is_array(viol)) {
                snprintf(err, errlen, "%s: \"violations\" is not an array", path);
                return -EBADMSG;
        }
        /* Absent in files saved before their modules kept them. */
        for (int k = 0; k < _STATE_KEPT_MAX; k++)
                if (json_object_get(root, kept_names[k]) && !json_is_array(json_object_get(root, kept_names[k]))) {
                        snprintf(err, errlen, "%s: \"%s\" is not an array", path, kept_names[k]);
                        return -EBADMSG;
                }
        r = sa_snapshot_from_json(json_object_get(root, "listeners"), &s.known, msg, sizeof msg);
        if (r < 0) {
                snprintf(err, errlen, "%s: %s", path, msg);
                return r;
        }
        s.violations = calloc(json_array_size(viol) + 1, sizeof *s.violations);
        if (!s.violations) {
                state_clear(&s);
                return -ENOMEM;
        }
        for (size_t i = 0; i < json_array_size(viol); i++) {
                const char *k = json_string_value(json_array_get(viol, i));
                if (!k || !(s.violations[s.n_violations] = strdup(k))) {
                        snprintf(err, errlen, "%s: violation %zu is not a string", path, i);
                        state_clear(&s);
                        return k ? -ENOMEM : -EBADMSG;
                }
                s.n_violations++;
        }
        for (int k = 0; k < _STATE_KEPT_MAX; k++)
                s.kept[k] = json_incref(json_object_get(root, kept_names[k]));
        state_boot_id(boot, sizeof boot);
        saved_boot = json_string_value(json_object_get(root, "boot_id"));
        s.same_boot = boot[0] && saved_boot && !strcmp(boot, saved_boot);
        *ret = s;
        return 0;
}

/* fsync of the directory holding path, so the rename itself is durable. */
static int sync_parent(const char *path)
{
        _cleanup_free_ char *copy = strdup(path);
        _cleanup_close_ int fd = -1;

        if (!copy)
                return -ENOMEM;
        fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

int state_serialize(const json_t *listeners, char *const *violations, size_t n, json_t *const *kept, char **ret,
                    size_t *ret_len)
{
        _cleanup_json_ json_t *root = NULL, *viol = json_array();
        struct timespec now;
        char boot[64], when[40], *buf;

        if (!viol)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (json_array_append_new(viol, json_string(violations[i])) < 0)
                        return -ENOMEM;
        state_boot_id(boot, sizeof boot);
        clock_gettime(CLOCK_REALTIME, &now);
        root = json_pack("{s:i, s:s, s:s, s:O, s:O}", "version", STATE_VERSION, "boot_id", boot,
                         "saved", sa_format_time(&now, when, sizeof when),
                         "listeners", listeners, "violations", viol);
        for (int k = 0; root && kept && k < _STATE_KEPT_MAX; k++)
                if (kept[k] && json_object_set(root, kept_names[k], kept[k]) < 0)
                        return -ENOMEM;
        buf = root ? json_dumps(root, SA_JSON_DUMP_FLAGS) : NULL;
        if (!buf)
                return -ENOMEM;
        *ret_len = strlen(buf);
        buf[(*ret_len)++] = '\n';      /* json_dumps left room: its NUL becomes the newline */
        *ret = buf;
        return 0;
}

/* Writes all of buf to fd: 0 or -errno (-EIO for a write that made no progress). */
static int write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t k = write(fd, buf, len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k < 0 ? -errno : -EIO;
                buf += k;
                len -= (size_t) k;
        }
        return 0;
}

int state_write(const char *path, const char *buf, size_t len)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        if (asprintf(&tmp, "%s.tmp", path) < 0)
                return -ENOMEM;
        fd = create_new(tmp);
        if (fd < 0)
                return fd;
        r = write_all(fd, buf, len);
        if (r < 0)
                goto fail;
        if (fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        if (close(TAKE_FD(fd)) < 0 || rename(tmp, path) < 0) {
                r = -errno;
                goto fail;
        }
        return sync_parent(path);
fail:
        unlink(tmp);
        return r;
}

int state_save(const char *path, const json_t *listeners, char *const *violations, size_t n)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = state_serialize(listeners, violations, n, NULL, &buf, &len);

        return r < 0 ? r : state_write(path, buf, len);
}
