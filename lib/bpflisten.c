/* SPDX-License-Identifier: MIT */
/* New listeners as eBPF events (TCP LISTEN tracepoint, UDP post_bind), read from a ring buffer. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "sockaudit-internal.h"
#include "bpfobj.h"

#ifndef SA_HAVE_BPF

int sa_bpflisten_open(sa_bpflisten_fn fn, void *userdata, sa_bpflisten **ret, bool *ret_udp,
                      char *why, size_t why_size)
{
        sa_bpf_say(why, why_size, "built without eBPF support");
        return -EOPNOTSUPP;
}

sa_bpflisten *sa_bpflisten_free(sa_bpflisten *b)
{
        return NULL;
}

int sa_bpflisten_fd(const sa_bpflisten *b)
{
        return -EBADF;
}

int sa_bpflisten_consume(sa_bpflisten *b)
{
        return -EOPNOTSUPP;
}

#else

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/listen.h"

extern const unsigned char sa_listen_obj[];
extern const unsigned char sa_listen_obj_end[];

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

struct sa_bpflisten {
        struct bpf_object *obj;
        struct bpf_link *links[8];
        struct ring_buffer *rb;
        int lost_fd;            /* sa_listen_lost, -1 if not found */
        uint64_t lost_seen;     /* its value when last read */
        sa_bpflisten_fn fn;
        void *userdata;
};

static int on_record(void *ctx, void *data, size_t size)
{
        sa_bpflisten *b = ctx;
        struct sa_listen_event e;

        if (size < sizeof e)
                return 0;
        memcpy(&e, data, sizeof e);
        b->fn(&(sa_listen_note) { .port = e.port, .proto = e.proto, .family = e.family,
                                  .netns = e.netns, .pid = (pid_t) e.pid, .closed = e.closed != 0,
                                  .netns_cookie = e.netns_cookie },
              b->userdata);
        return 0;
}

/* The cgroup2 hierarchy's root: unified, or hybrid's "unified" mount. */
static int open_cgroup2_root(void)
{
        static const char *const paths[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

        for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
                struct statfs sf;
                int fd = open(paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                if (fd < 0)
                        continue;
                if (fstatfs(fd, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
                        return fd;
                close(fd);
        }
        return -ENOENT;
}

static struct bpf_link *attach(struct bpf_object *obj, const char *name, int cgroup_fd)
{
        struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

        if (!p) {
                errno = ENOENT;
                return NULL;
        }
        return cgroup_fd >= 0 ? bpf_program__attach_cgroup(p, cgroup_fd) : bpf_program__attach(p);
}

int sa_bpflisten_open(sa_bpflisten_fn fn, void *userdata, sa_bpflisten **ret, bool *ret_udp,
                      char *why, size_t why_size)
{
        sa_bpflisten *b = calloc(1, sizeof *b);
        struct bpf_map *map;
        int r, cg;

        if (!b)
                return -ENOMEM;
        b->fn = fn;
        b->userdata = userdata;
        b->lost_fd = -1;
        *ret_udp = false;
        r = sa_bpfobj_load(sa_listen_obj, (size_t) (sa_listen_obj_end - sa_listen_obj), "sa_listen",
                           &b->obj, why, why_size);
        if (r < 0)
                goto fail;
        b->links[0] = attach(b->obj, "sa_tcp_listen", -1);
        if (!b->links[0]) {
                r = -errno;
                sa_bpf_say(why, why_size, "cannot attach to the inet_sock_set_state tracepoint: %s",
                           strerror(-r));
                goto fail;
        }
        map = bpf_object__find_map_by_name(b->obj, "sa_listen_lost");
        b->lost_fd = map ? bpf_map__fd(map) : -1;
        map = bpf_object__find_map_by_name(b->obj, "sa_listen_events");
        b->rb = map ? ring_buffer__new(bpf_map__fd(map), on_record, b, NULL) : NULL;
        if (!b->rb) {
                r = map ? -errno : -ENOENT;
                sa_bpf_say(why, why_size, "cannot map the event ring buffer: %s", strerror(-r));
                goto fail;
        }

        /* UDP: best effort. */
        cg = open_cgroup2_root();
        if (cg < 0)
                sa_bpf_say(why, why_size, "no UDP bind events: no cgroup2 hierarchy");
        else {
                b->links[1] = attach(b->obj, "sa_udp_bind4", cg);
                b->links[2] = b->links[1] ? attach(b->obj, "sa_udp_bind6", cg) : NULL;
                static const char *const more[] = { "sa_udp_release", "sa_udp_send4", "sa_udp_send6",
                                                    "sa_udp_connect4", "sa_udp_connect6" };

                for (size_t i = 0; i < sizeof more / sizeof *more; i++)
                        b->links[3 + i] = b->links[2 + i] ? attach(b->obj, more[i], cg) : NULL;
                if (!b->links[7])
                        sa_bpf_say(why, why_size, "no UDP bind events: cannot attach to the cgroup2 root: %s",
                                   strerror(errno));
                close(cg);
        }
        *ret_udp = b->links[7] != NULL;
        *ret = b;
        return 0;
fail:
        sa_bpflisten_free(b);
        return r;
}

sa_bpflisten *sa_bpflisten_free(sa_bpflisten *b)
{
        if (!b)
                return NULL;
        ring_buffer__free(b->rb);
        for (size_t i = 0; i < sizeof b->links / sizeof *b->links; i++)
                bpf_link__destroy(b->links[i]);
        bpf_object__close(b->obj);
        free(b);
        return NULL;
}

int sa_bpflisten_fd(const sa_bpflisten *b)
{
        return ring_buffer__epoll_fd(b->rb);
}

/* Records lost since last asked (the ring was full): one note with lost set. */
static void check_lost(sa_bpflisten *b)
{
        uint32_t zero = 0;
        uint64_t lost = 0;

        if (b->lost_fd < 0 || bpf_map_lookup_elem(b->lost_fd, &zero, &lost) < 0 || lost == b->lost_seen)
                return;
        b->lost_seen = lost;
        b->fn(&(sa_listen_note) { .lost = true }, b->userdata);
}

int sa_bpflisten_consume(sa_bpflisten *b)
{
        int r = ring_buffer__consume(b->rb);

        check_lost(b);
        return r;
}

#endif
