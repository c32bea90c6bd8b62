/* SPDX-License-Identifier: MIT */
/*
 * One process's provenance: the facts (its running image, whether its path
 * still names that file, what dpkg says of the path) gathered in
 * sa_provenance_read, the verdict in the pure sa_provenance_decide.
 * Contracts in lib/provenance.h; the meaning in docs/PROVENANCE.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provenance.h"
#include "rootpath.h"
#include "util.h"

static void say(sa_provenance *p, sa_prov_status s, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void say(sa_provenance *p, sa_prov_status s, const char *fmt, ...)
{
        va_list ap;

        p->status = s;
        va_start(ap, fmt);
        vsnprintf(p->reason, sizeof p->reason, fmt, ap);
        va_end(ap);
}

static void take_package(sa_provenance *p, const sa_dpkg_file *f)
{
        snprintf(p->package, sizeof p->package, "%s", f->package);
        snprintf(p->version, sizeof p->version, "%s", f->version);
        snprintf(p->architecture, sizeof p->architecture, "%s", f->architecture);
}

/* The deleted verdict: the "needs restart" case when a package still ships the path. */
static void decide_deleted(const sa_prov_facts *f, sa_provenance *p)
{
        const char *what = f->image->location == SA_EXE_DELETED ? "deleted" : "replaced";

        if (f->lookup == 0 && f->file) {
                take_package(p, f->file);
                say(p, SA_PROV_DELETED, "image %s on disk; %s belongs to %s %s: "
                    "package upgraded under a running process, needs restart",
                    what, f->file->matched, p->package, p->version);
                return;
        }
        say(p, SA_PROV_DELETED, "image %s on disk; no installed package ships its path", what);
}

/* A package ships the path: compare the image's MD5 with dpkg's. */
static void decide_md5(const sa_prov_facts *f, sa_provenance *p)
{
        char md5[33];

        take_package(p, f->file);
        if (f->file->md5_error == -ENODATA) {
                say(p, SA_PROV_UNVERIFIABLE, "%s has no md5sums file", p->package);
                return;
        }
        if (f->file->md5_error == -ENOENT) {
                say(p, SA_PROV_UNVERIFIABLE, "%s's md5sums has no entry for %s", p->package, f->file->matched);
                return;
        }
        if (f->file->md5_error < 0 || strlen(f->file->md5) != 32) {
                say(p, SA_PROV_UNVERIFIABLE, "%s's md5sums unreadable: %s", p->package,
                    strerror(f->file->md5_error < 0 ? -f->file->md5_error : EBADMSG));
                return;
        }
        for (size_t i = 0; i < 16; i++)
                snprintf(md5 + 2 * i, 3, "%02x", f->image->md5[i]);
        if (strcmp(md5, f->file->md5) == 0)
                say(p, SA_PROV_VERIFIED, "%s from %s %s, verified against the package%s",
                    p->path, p->package, p->version,
                    f->file->diverted ? " (diverted)" : "");
        else
                say(p, SA_PROV_MODIFIED, "%s differs from what %s %s shipped as %s",
                    p->path, p->package, p->version, f->file->matched);
}

void sa_provenance_decide(const sa_prov_facts *f, sa_provenance *p)
{
        memset(p, 0, sizeof *p);
        if (f->image_error == -EREMOTE) {
                say(p, SA_PROV_UNVERIFIABLE, "the running image is on FUSE or a network filesystem: "
                    "not read, as its reads may block for ever");
                return;
        }
        if (f->image_error < 0 || !f->image) {
                p->location = SA_EXE_NORMAL;
                say(p, SA_PROV_UNVERIFIABLE, "cannot read the running image: %s",
                    strerror(f->image_error < 0 ? -f->image_error : EINVAL));
                return;
        }
        snprintf(p->path, sizeof p->path, "%s", f->image->path);
        snprintf(p->exe_sha256, sizeof p->exe_sha256, "%s", f->image->sha256_hex);
        p->location = f->image->location;

        if (p->location == SA_EXE_MEMFD) {
                say(p, SA_PROV_NOT_PACKAGED, "runs from a memfd: no file on disk");
                return;
        }
        if (p->location == SA_EXE_DELETED || f->replaced) {
                decide_deleted(f, p);
                return;
        }
        if (!p->path[0]) {
                say(p, SA_PROV_UNVERIFIABLE, "the image's path is unreadable or too long");
                return;
        }
        if (f->other_root) {
                say(p, SA_PROV_UNVERIFIABLE, "runs in another root (a container): this host's dpkg database does not describe it");
                return;
        }
        if (f->dpkg_error == -ENOPKG || f->lookup == -ENOPKG) {
                say(p, SA_PROV_UNVERIFIABLE, "no dpkg database (not a Debian host)");
                return;
        }
        if (f->dpkg_error < 0) {
                say(p, SA_PROV_UNVERIFIABLE, "dpkg database unusable: %s", strerror(-f->dpkg_error));
                return;
        }
        if (f->lookup == -ENOENT) {
                say(p, SA_PROV_NOT_PACKAGED, "no installed package ships %s", p->path);
                return;
        }
        if (f->lookup < 0 || !f->file) {
                say(p, SA_PROV_UNVERIFIABLE, "dpkg lookup failed: %s",
                    strerror(f->lookup < 0 ? -f->lookup : EINVAL));
                return;
        }
        decide_md5(f, p);
}

/* Whether PROC_ROOT/PID/root is another directory than our "/". */
static bool other_root(const char *proc_root, pid_t pid)
{
        char buf[128];
        struct stat a, b;

        snprintf(buf, sizeof buf, "%s/%d/root", proc_root, (int) pid);
        if (stat(buf, &a) < 0 || stat("/", &b) < 0)
                return false;
        return a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

/* Whether path, opened inside PROC_ROOT/PID/root, is no longer the file st describes. */
static bool path_replaced(const char *proc_root, pid_t pid, const char *path, const struct stat *st)
{
        _cleanup_close_ int root_fd = -1, fd = -1;
        char buf[128];
        struct stat now;

        snprintf(buf, sizeof buf, "%s/%d/root", proc_root, (int) pid);
        root_fd = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return false;   /* unknown: say nothing */
        fd = sa_root_open(root_fd, path, O_PATH);
        if (fd == -ENOENT)
                return true;
        if (fd < 0 || fstat(fd, &now) < 0)
                return false;
        return now.st_dev != st->st_dev || now.st_ino != st->st_ino;
}

/* sa_provenance_read; with quick, -EAGAIN where it would hash or build the dpkg index. */
static int read_facts(sa_dpkg *db, sa_execache *cache, const char *proc_root, pid_t pid, bool quick,
                      sa_provenance *ret)
{
        _cleanup_free_ sa_exeimage *img = calloc(1, sizeof *img);
        _cleanup_free_ sa_dpkg_file *file = calloc(1, sizeof *file);
        sa_prov_facts f = { .lookup = -ENOENT };

        if (!img || !file)
                return -ENOMEM;
        if (!proc_root)
                proc_root = "/proc";
        f.image_error = (quick ? sa_exeimage_read_quick : sa_exeimage_read)(cache, proc_root, pid, img);
        if (f.image_error == -EAGAIN && !quick)   /* it exec'd meanwhile: once more */
                f.image_error = sa_exeimage_read(cache, proc_root, pid, img);
        if (f.image_error == -EAGAIN)
                return -EAGAIN;
        if (f.image_error == 0) {
                f.image = img;
                if (img->path[0] == '/' && img->location != SA_EXE_MEMFD && img->location != SA_EXE_DELETED)
                        f.replaced = path_replaced(proc_root, pid, img->path, &img->st);
                f.other_root = other_root(proc_root, pid);
                if (!db)
                        f.dpkg_error = -ENOPKG;
                else if (img->path[0] == '/' && img->location != SA_EXE_MEMFD)
                        f.lookup = (quick ? sa_dpkg_lookup_quick : sa_dpkg_lookup)(db, img->path, file);
                if (f.lookup == -EAGAIN)
                        return -EAGAIN;
                f.file = f.lookup == 0 ? file : NULL;
        }
        sa_provenance_decide(&f, ret);
        ret->replaced = f.replaced;
        ret->image_read = f.image_error == 0;
        if (ret->image_read)
                ret->image_st = img->st;
        return 0;
}

int sa_provenance_read(sa_dpkg *db, sa_execache *cache, const char *proc_root, pid_t pid,
                       sa_provenance *ret)
{
        return read_facts(db, cache, proc_root, pid, false, ret);
}

int sa_provenance_read_quick(sa_dpkg *db, sa_execache *cache, const char *proc_root, pid_t pid,
                             sa_provenance *ret)
{
        return read_facts(db, cache, proc_root, pid, true, ret);
}
