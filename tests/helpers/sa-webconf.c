/* SPDX-License-Identifier: MIT */
/*
 * What lib/webconf*.c reads from a running web server, for
 * tests/integration/test_webconf.sh (linked with the library, which is
 * what is under test).
 *
 *   sa-webconf PID PORT           the TLS virtual servers on PORT, one fact a line:
 *                                 config PATH | vhost FILE:LINE [default] | addr A |
 *                                 name N [wildcard] | cert P [unresolved] | key P [unresolved] |
 *                                 error FILE:LINE: WHY
 *   sa-webconf --cert PID PATH    the SHA-256 of PATH's first certificate (DER), read in PID's
 *                                 root with its ids
 *
 * Exit 0, or 1 with the error on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "webconf.h"

/* The certificate read with the ids its server's config was read with. */
static int print_cert(const char *pid, const char *path)
{
        unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
        sa_webconf *r = NULL;
        unsigned mdlen = 0;
        char root[64];
        size_t len;
        int fd, e;

        snprintf(root, sizeof root, "/proc/%s/root", pid);
        fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "sa-webconf: %s: %s\n", root, strerror(errno));
                return 1;
        }
        e = sa_webconf_read_pid("/proc", atoi(pid), 0, &r);
        if (e == 0)
                e = sa_webconf_cert_der(fd, r->uid, r->gid, path, &der, &len);
        sa_webconf_free(r);
        close(fd);
        if (e < 0) {
                fprintf(stderr, "sa-webconf: %s: %s\n", path, strerror(-e));
                return 1;
        }
        EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL);
        free(der);
        for (unsigned i = 0; i < mdlen; i++)
                printf("%02x", md[i]);
        printf("\n");
        return 0;
}

static void print_paths(const char *what, const sa_webconf_path *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                printf("%s %s%s\n", what, p[i].path, p[i].unresolved ? " unresolved" : "");
}

int main(int argc, char **argv)
{
        sa_webconf *r = NULL;
        int e;

        if (argc == 4 && strcmp(argv[1], "--cert") == 0)
                return print_cert(argv[2], argv[3]);
        if (argc != 3) {
                fprintf(stderr, "usage: sa-webconf PID PORT | --cert PID PATH\n");
                return 1;
        }
        e = sa_webconf_read_pid("/proc", atoi(argv[1]), (uint16_t) atoi(argv[2]), &r);
        if (e < 0) {
                fprintf(stderr, "sa-webconf: pid %s: %s\n", argv[1], strerror(-e));
                return 1;
        }
        printf("config %s\n", r->config);
        for (size_t i = 0; i < r->n_vhosts; i++) {
                const sa_webconf_vhost *v = &r->vhosts[i];

                printf("vhost %s:%u%s\n", v->file, v->line, v->default_server ? " default" : "");
                for (size_t k = 0; k < v->n_addrs; k++)
                        printf("addr %s\n", v->addrs[k]);
                for (size_t k = 0; k < v->n_names; k++)
                        printf("name %s%s\n", v->names[k].name, v->names[k].wildcard ? " wildcard" : "");
                print_paths("cert", v->certs, v->n_certs);
                print_paths("key", v->keys, v->n_keys);
        }
        for (size_t i = 0; i < r->n_errors; i++)
                printf("error %s:%u: %s\n", r->errors[i].file, r->errors[i].line, r->errors[i].why);
        sa_webconf_free(r);
        return 0;
}
