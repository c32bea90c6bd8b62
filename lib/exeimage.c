/* SPDX-License-Identifier: MIT */
/*
 * The running image of a process: opened through /proc/PID/exe, hashed
 * (MD5 and SHA-256 in one pass with libcrypto's EVP), cached by the opened
 * file's identity, and classed by where it lives. Contracts in
 * lib/exeimage.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "exeimage.h"
#include "rootpath.h"
#include "util.h"

typedef struct key {
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime, ctime;
} key;

typedef struct entry {
        key k;
        uint64_t used;                  /* 0: empty; else the tick of the last use */
        unsigned char md5[16], sha256[32];
} entry;

struct sa_execache {
        pthread_mutex_t lock;
        entry *e;
        size_t cap;
        uint64_t tick, hits, misses;
};

int sa_execache_new(size_t cap, sa_execache **ret)
{
        sa_execache *c = calloc(1, sizeof *c);

        if (!c)
                return -ENOMEM;
        c->cap = cap ? cap : SA_EXECACHE_DEFAULT;
        c->e = calloc(c->cap, sizeof *c->e);
        if (!c->e) {
                free(c);
                return -ENOMEM;
        }
        pthread_mutex_init(&c->lock, NULL);
        *ret = c;
        return 0;
}

sa_execache *sa_execache_free(sa_execache *c)
{
        if (!c)
                return NULL;
        pthread_mutex_destroy(&c->lock);
        free(c->e);
        free(c);
        return NULL;
}

void sa_execache_counts(sa_execache *c, uint64_t *ret_hits, uint64_t *ret_misses)
{
        pthread_mutex_lock(&c->lock);
        *ret_hits = c->hits;
        *ret_misses = c->misses;
        pthread_mutex_unlock(&c->lock);
}

static bool key_eq(const key *a, const key *b)
{
        return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
               a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
               a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* Copies the hashes of k into img: true on a hit (a miss counted unless quick: nothing is hashed then). O(cap). */
static bool cache_get(sa_execache *c, const key *k, bool quick, sa_exeimage *img)
{
        bool hit = false;

        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < c->cap; i++) {
                if (c->e[i].used && key_eq(&c->e[i].k, k)) {
                        c->e[i].used = ++c->tick;
                        memcpy(img->md5, c->e[i].md5, sizeof img->md5);
                        memcpy(img->sha256, c->e[i].sha256, sizeof img->sha256);
                        hit = true;
                        break;
                }
        }
        if (hit)
                c->hits++;
        else if (!quick)
                c->misses++;
        pthread_mutex_unlock(&c->lock);
        return hit;
}

/* Stores the hashes of k, over the least recently used entry. */
static void cache_put(sa_execache *c, const key *k, const sa_exeimage *img)
{
        size_t victim = 0;

        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < c->cap; i++) {
                if (c->e[i].used && key_eq(&c->e[i].k, k)) {
                        victim = i;     /* another thread hashed it meanwhile */
                        break;
                }
                if (c->e[i].used < c->e[victim].used)
                        victim = i;
        }
        c->e[victim].k = *k;
        c->e[victim].used = ++c->tick;
        memcpy(c->e[victim].md5, img->md5, sizeof img->md5);
        memcpy(c->e[victim].sha256, img->sha256, sizeof img->sha256);
        pthread_mutex_unlock(&c->lock);
}

/* MD5 and SHA-256 of fd's first size bytes, in one pass. 0, -EIO, -errno. */
static int hash_fd(int fd, uint64_t size, sa_exeimage *img)
{
        EVP_MD_CTX *m = EVP_MD_CTX_new(), *s = EVP_MD_CTX_new();
        _cleanup_free_ unsigned char *buf = malloc(1 << 16);
        uint64_t off = 0;
        unsigned n1 = 0, n2 = 0;
        int r = -EIO;

        if (!buf || !m || !s) {
                r = -ENOMEM;
                goto out;
        }
        if (!EVP_DigestInit_ex(m, EVP_md5(), NULL) || !EVP_DigestInit_ex(s, EVP_sha256(), NULL))
                goto out;
        for (;;) {
                ssize_t k = pread(fd, buf, 1 << 16, (off_t) off);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        goto out;
                }
                if (k == 0)
                        break;
                if (!EVP_DigestUpdate(m, buf, (size_t) k) || !EVP_DigestUpdate(s, buf, (size_t) k))
                        goto out;
                off += (uint64_t) k;
                if (off > size || off > SA_EXEIMAGE_SIZE_MAX) {
                        r = -EFBIG;     /* it grew under us, or past the cap */
                        goto out;
                }
        }
        if (!EVP_DigestFinal_ex(m, img->md5, &n1) || !EVP_DigestFinal_ex(s, img->sha256, &n2) ||
            n1 != 16 || n2 != 32)
                goto out;
        r = 0;
out:
        EVP_MD_CTX_free(m);
        EVP_MD_CTX_free(s);
        return r;
}

sa_exe_location sa_exe_location_of(const char *path, bool deleted_mark, nlink_t nlink, mode_t dir_mode)
{
        static const char *const tmp[] = { "/tmp/", "/var/tmp/", "/dev/shm/", "/run/user/" };

        if (strncmp(path, "/memfd:", 7) == 0)
                return SA_EXE_MEMFD;
        if (deleted_mark || nlink == 0)
                return SA_EXE_DELETED;
        for (size_t i = 0; i < ELEMENTSOF(tmp); i++)
                if (strncmp(path, tmp[i], strlen(tmp[i])) == 0)
                        return SA_EXE_TMP;
        if (dir_mode & S_IWOTH)
                return SA_EXE_WORLD_WRITABLE_DIR;
        return SA_EXE_NORMAL;
}

/* The mode of path's directory as the process sees it (its root), 0 if unknown. */
static mode_t dir_mode_in_root(const char *proc_root, pid_t pid, const char *path)
{
        _cleanup_close_ int root_fd = -1, fd = -1;
        char buf[4096 + 32], *slash;
        struct stat st;

        if (path[0] != '/')
                return 0;
        snprintf(buf, sizeof buf, "%s/%d/root", proc_root, (int) pid);
        root_fd = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return 0;
        snprintf(buf, sizeof buf, "%s", path);
        slash = strrchr(buf, '/');
        if (slash == buf)
                slash[1] = '\0';
        else
                *slash = '\0';
        fd = sa_root_open(root_fd, buf, O_PATH | O_DIRECTORY);
        if (fd < 0 || fstat(fd, &st) < 0)
                return 0;
        return st.st_mode;
}

/*
 * Whether fd's file lives where a read may block for ever, at the will of
 * whoever serves it: FUSE (any user can mount one and run a program from
 * it) or a network filesystem. Such an image is not read (-EREMOTE).
 */
static bool on_remote_fs(int fd)
{
        static const unsigned long remote[] = {
                0x65735546,     /* FUSE_SUPER_MAGIC */
                0x6969,         /* NFS_SUPER_MAGIC */
                0xff534d42,     /* CIFS_SUPER_MAGIC */
                0xfe534d42,     /* SMB2_SUPER_MAGIC */
                0x517b,         /* SMB_SUPER_MAGIC */
        };
        struct statfs sf;

        if (fstatfs(fd, &sf) < 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(remote); i++)
                if ((unsigned long) sf.f_type == remote[i])
                        return true;
        return false;
}

/* The link text of PROC_ROOT/PID/exe into img->path, " (deleted)" stripped. */
static void read_link(const char *exe, sa_exeimage *img)
{
        static const char mark[] = " (deleted)";
        size_t mn = sizeof mark - 1;
        ssize_t n = readlink(exe, img->path, sizeof img->path - 1);

        if (n < 0 || (size_t) n >= sizeof img->path - 1) {
                img->path[0] = '\0';    /* unreadable, or too long to trust */
                return;
        }
        img->path[n] = '\0';
        if ((size_t) n > mn && strcmp(img->path + n - mn, mark) == 0) {
                img->path[n - mn] = '\0';
                img->deleted_mark = true;
        }
}

/* sa_exeimage_read; with quick, -EAGAIN instead of hashing on a cache miss. */
static int image_read(sa_execache *cache, const char *proc_root, pid_t pid, bool quick, sa_exeimage *ret)
{
        _cleanup_free_ sa_exeimage *img = calloc(1, sizeof *img);
        _cleanup_close_ int fd = -1;
        char exe[4096];
        key k;
        int r;

        if (!img)
                return -ENOMEM;
        if (!proc_root)
                proc_root = "/proc";
        if ((size_t) snprintf(exe, sizeof exe, "%s/%d/exe", proc_root, (int) pid) >= sizeof exe)
                return -ENAMETOOLONG;
        read_link(exe, img);
        fd = open(exe, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &img->st) < 0)
                return -errno;
        /* An exec between readlink and open would pair one path with another image. */
        {
                char again[sizeof img->path];
                bool mark = img->deleted_mark;

                memcpy(again, img->path, sizeof again);
                read_link(exe, img);
                if (strcmp(again, img->path) != 0 || mark != img->deleted_mark)
                        return -EAGAIN;
        }
        if (!S_ISREG(img->st.st_mode))
                return -EINVAL;
        if ((uint64_t) img->st.st_size > SA_EXEIMAGE_SIZE_MAX)
                return -EFBIG;
        /* A file really named "x (deleted)" keeps its name; the mark means no link left. */
        if (img->deleted_mark && img->st.st_nlink > 0) {
                size_t n = strlen(img->path);

                if (n + sizeof " (deleted)" <= sizeof img->path)
                        memcpy(img->path + n, " (deleted)", sizeof " (deleted)");
                img->deleted_mark = false;
        }
        img->location = sa_exe_location_of(img->path, img->deleted_mark, img->st.st_nlink,
                                           img->path[0] == '/' && !img->deleted_mark
                                           ? dir_mode_in_root(proc_root, pid, img->path) : 0);

        k = (key) { .dev = img->st.st_dev, .ino = img->st.st_ino, .size = img->st.st_size,
                    .mtime = img->st.st_mtim, .ctime = img->st.st_ctim };
        img->cached = cache && cache_get(cache, &k, quick, img);
        if (!img->cached && quick)
                return -EAGAIN;
        if (!img->cached && on_remote_fs(fd))
                return -EREMOTE;
        if (!img->cached) {
                r = hash_fd(fd, (uint64_t) img->st.st_size, img);
                if (r < 0)
                        return r;
                if (cache)
                        cache_put(cache, &k, img);
        }
        for (size_t i = 0; i < 32; i++)
                snprintf(img->sha256_hex + 2 * i, 3, "%02x", img->sha256[i]);
        *ret = *img;
        return 0;
}

int sa_exeimage_read(sa_execache *cache, const char *proc_root, pid_t pid, sa_exeimage *ret)
{
        return image_read(cache, proc_root, pid, false, ret);
}

int sa_exeimage_read_quick(sa_execache *cache, const char *proc_root, pid_t pid, sa_exeimage *ret)
{
        return image_read(cache, proc_root, pid, true, ret);
}
