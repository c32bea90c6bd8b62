/* SPDX-License-Identifier: MIT */
/*
 * The TLS probe's handshakes (lib/tlshandshake.h): libssl against one
 * listener, from the namespace the process is in, into a JSON report.
 * Runs in the exec'd helper (libexec/sockaudit-tlsprobe.c) only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tlscert.h"
#include "tlshandshake.h"

static const struct {
        const char *name;
        int version;
} versions[] = {
        { "TLSv1", TLS1_VERSION },
        { "TLSv1.1", TLS1_1_VERSION },
        { "TLSv1.2", TLS1_2_VERSION },
        { "TLSv1.3", TLS1_3_VERSION },
};

/* What one handshake ended with. */
typedef enum hs_end { HS_OK, HS_NOT_TLS, HS_TIMEOUT, HS_FAILED } hs_end;

/* ---- confinement ---- */

#if defined(__x86_64__)
# define SA_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
# define SA_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/*
 * A seccomp filter: socket() for AF_INET and AF_INET6 only; no exec, no
 * ptrace, no namespace or mount change, no eBPF, no keyring: EPERM. Other
 * architectures' calls (x32 included) are killed. -errno, or -ENOSYS on an
 * architecture this does not know (the other drops still hold).
 */
int sa_tls_seccomp(void)
{
#ifdef SA_AUDIT_ARCH
# define DENY(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
                  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)
        struct sock_filter f[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SA_AUDIT_ARCH, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef __x86_64__
                BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),   /* x32 */
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
                DENY(__NR_execve), DENY(__NR_execveat), DENY(__NR_ptrace),
                DENY(__NR_setns), DENY(__NR_unshare), DENY(__NR_mount),
                DENY(__NR_bpf), DENY(__NR_keyctl), DENY(__NR_add_key),
                DENY(__NR_process_vm_writev), DENY(__NR_socketpair),
                /* socket(family, ...): AF_INET and AF_INET6 only. */
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 4),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 2, 0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
# undef DENY
        struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

        if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                return -errno;
        return 0;
#else
        return -ENOSYS;
#endif
}

/* ---- one handshake ---- */

/* Waits until fd is ready for events or deadline: 1 ready, 0 timed out, -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
        for (;;) {
                struct pollfd p = { .fd = fd, .events = events };
                int64_t left = deadline - sa_tls_now_ms();
                int n;

                if (left <= 0)
                        return 0;
                n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int) left);
                if (n > 0)
                        return 1;
                if (n < 0 && errno != EINTR)
                        return -errno;
        }
}

/* A non-blocking socket connected to sa by deadline: fd, or -1 with why. */
static int connect_to(const struct sockaddr_storage *sa, socklen_t len, int64_t deadline,
                      hs_end *end, char *why, size_t whylen)
{
        int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        int err = 0, r;
        socklen_t el = sizeof(err);

        if (fd < 0) {
                snprintf(why, whylen, "socket: %s", strerror(errno));
                *end = HS_FAILED;
                return -1;
        }
        if (connect(fd, (const struct sockaddr *) sa, len) < 0) {
                if (errno != EINPROGRESS) {
                        err = errno;
                        goto fail;
                }
                r = wait_fd(fd, POLLOUT, deadline);
                if (r == 0) {
                        snprintf(why, whylen, "timeout");
                        *end = HS_TIMEOUT;
                        close(fd);
                        return -1;
                }
                if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
                        err = r < 0 ? -r : errno;
                if (err)
                        goto fail;
        }
        return fd;
fail:
        snprintf(why, whylen, "connect: %s", strerror(err));
        *end = HS_FAILED;
        close(fd);
        return -1;
}

/* Whether the failed handshake's error says the peer spoke something else than TLS. */
static bool error_is_not_tls(unsigned long e)
{
        int reason = ERR_GET_REASON(e);

        return ERR_GET_LIB(e) == ERR_LIB_SSL &&
               (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
                reason == SSL_R_UNKNOWN_PROTOCOL || reason == SSL_R_RECORD_LENGTH_MISMATCH ||
                reason == SSL_R_HTTP_REQUEST || reason == SSL_R_HTTPS_PROXY_REQUEST);
}

/*
 * One handshake: version (0: any), sni (NULL: none). On HS_OK *ret_ssl and
 * *ret_fd are the connection and its socket (caller frees and closes);
 * otherwise why says what happened.
 */
static hs_end handshake(const struct sockaddr_storage *sa, socklen_t salen, int64_t deadline,
                        int version, const char *sni, SSL **ret_ssl, int *ret_fd,
                        char *why, size_t whylen)
{
        static const unsigned char alpn[] = "\x02h2\x08http/1.1";
        hs_end end = HS_FAILED;
        SSL_CTX *ctx = NULL;
        SSL *ssl = NULL;
        int fd, r;

        fd = connect_to(sa, salen, deadline, &end, why, whylen);
        if (fd < 0)
                return end;
        ERR_clear_error();
        ctx = SSL_CTX_new(TLS_client_method());
        if (!ctx)
                goto oom;
        SSL_CTX_set_security_level(ctx, 0);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        if (SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") != 1 ||
            SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1) != 0)
                goto oom;
        if (version && (SSL_CTX_set_min_proto_version(ctx, version) != 1 ||
                        SSL_CTX_set_max_proto_version(ctx, version) != 1))
                goto oom;
        ssl = SSL_new(ctx);
        if (!ssl || SSL_set_fd(ssl, fd) != 1 || (sni && SSL_set_tlsext_host_name(ssl, sni) != 1))
                goto oom;
        for (;;) {
                r = SSL_connect(ssl);
                if (r == 1) {
                        SSL_CTX_free(ctx);
                        *ret_ssl = ssl;
                        *ret_fd = fd;
                        return HS_OK;
                }
                r = SSL_get_error(ssl, r);
                if (r != SSL_ERROR_WANT_READ && r != SSL_ERROR_WANT_WRITE)
                        break;
                r = wait_fd(fd, r == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
                if (r == 0) {
                        snprintf(why, whylen, "timeout");
                        end = HS_TIMEOUT;
                        goto done;
                }
                if (r < 0)
                        break;
        }
        if (error_is_not_tls(ERR_peek_error())) {
                snprintf(why, whylen, "the peer does not speak TLS");
                end = HS_NOT_TLS;
        } else if (ERR_peek_error())
                snprintf(why, whylen, "handshake: %s", ERR_reason_error_string(ERR_peek_error()) ?: "failed");
        else
                snprintf(why, whylen, "handshake: the connection was closed");
        goto done;
oom:
        snprintf(why, whylen, "out of memory");
done:
        SSL_free(ssl);
        SSL_CTX_free(ctx);
        close(fd);
        return end;
}

/* ---- the probe ---- */

/* The address to connect to: the bound one, a wildcard as loopback. */
static socklen_t target_addr(const sa_tls_target *t, struct sockaddr_storage *ss)
{
        memset(ss, 0, sizeof(*ss));
        if (t->family == AF_INET) {
                struct sockaddr_in *in = (struct sockaddr_in *) ss;

                in->sin_family = AF_INET;
                in->sin_port = htons(t->port);
                memcpy(&in->sin_addr, t->addr, 4);
                if (in->sin_addr.s_addr == htonl(INADDR_ANY))
                        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                return sizeof(*in);
        }
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ss;

        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(t->port);
        memcpy(&in6->sin6_addr, t->addr, 16);
        if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
                in6->sin6_addr = in6addr_loopback;
        return sizeof(*in6);
}

/* Appends the facts of ssl's certificate to certs, unless one with its sha256 is there. -ENOMEM only. */
static int add_cert(json_t *certs, SSL *ssl, const char *sni, X509_STORE *store)
{
        X509 *x = SSL_get0_peer_certificate(ssl);
        json_t *c, *o = json_object();
        const char *key;
        json_t *v;
        size_t i;

        if (!o)
                return -ENOMEM;
        if (!x || json_array_size(certs) >= SA_TLS_CERTS_MAX) {
                json_decref(o);
                return 0;
        }
        c = sa_tls_cert_facts(x, SSL_get_peer_cert_chain(ssl), store, time(NULL));
        if (!c || json_object_set_new(o, "sni", sni ? json_string(sni) : json_null()) < 0 ||
            json_object_update(o, c) < 0) {
                json_decref(c);
                json_decref(o);
                return -ENOMEM;
        }
        json_decref(c);
        key = json_string_value(json_object_get(o, "sha256"));
        json_array_foreach(certs, i, v)
                if (key && json_equal(json_object_get(v, "sha256"), json_object_get(o, "sha256"))) {
                        json_decref(o);
                        return 0;
                }
        return json_array_append_new(certs, o) < 0 ? -ENOMEM : 0;
}

void sa_tls_report_status(json_t *report, const char *status, const char *error)
{
        json_object_set_new(report, "status", json_string(status));
        json_object_set_new(report, "error", error ? json_string(error) : json_null());
}

/* Whether name is in the n of names. */
static bool listed(const char *const *names, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(names[i], name))
                        return true;
        return false;
}

/*
 * The names to ask for after no SNI: t's, then the default certificate's
 * san DNS names (no wildcard, no address), each once, at most
 * SA_TLS_SNI_MAX. Borrowed from t and san.
 */
static size_t sni_names(const sa_tls_target *t, const json_t *san, const char **names)
{
        size_t n = 0, i;
        const json_t *v;

        for (i = 0; i < t->n_sni && n < SA_TLS_SNI_MAX; i++)
                if (t->sni[i] && *t->sni[i] && strlen(t->sni[i]) <= SA_TLS_SNI_LEN_MAX &&
                    !listed(names, n, t->sni[i]))
                        names[n++] = t->sni[i];
        json_array_foreach(san, i, v) {
                const char *s = json_string_value(v);
                struct in6_addr a;

                if (n >= SA_TLS_SNI_MAX)
                        break;
                if (!s || !*s || strchr(s, '*') || inet_pton(AF_INET, s, &a) == 1 ||
                    inet_pton(AF_INET6, s, &a) == 1 || listed(names, n, s))
                        continue;
                names[n++] = s;
        }
        return n;
}

void sa_tls_handshakes(const sa_tls_target *t, int64_t deadline, X509_STORE *store, json_t *report)
{
        json_t *vers = json_array(), *certs = json_array();
        struct sockaddr_storage ss;
        socklen_t len = target_addr(t, &ss);
        const unsigned char *alpn = NULL;
        unsigned alpn_len = 0;
        char why[SA_TLS_ERROR_MAX], proto[256] = "";
        const char *names[SA_TLS_SNI_MAX];
        SSL *ssl = NULL;
        int fd = -1;
        size_t n;
        hs_end end;

        json_object_set_new(report, "versions", vers);
        json_object_set_new(report, "alpn", json_null());
        json_object_set_new(report, "certificates", certs);
        end = handshake(&ss, len, deadline, 0, NULL, &ssl, &fd, why, sizeof(why));
        if (end != HS_OK) {
                sa_tls_report_status(report, end == HS_NOT_TLS ? "not_tls" : "error", why);
                return;
        }
        SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
        if (alpn_len) {
                memcpy(proto, alpn, alpn_len);
                proto[alpn_len] = '\0';
                json_object_set_new(report, "alpn", json_string(proto));
        }
        add_cert(certs, ssl, NULL, store);
        SSL_free(ssl);
        close(fd);
        n = sni_names(t, json_object_get(json_array_get(certs, 0), "san"), names);
        for (size_t i = 0; i < n; i++)
                if (handshake(&ss, len, deadline, 0, names[i], &ssl, &fd, why, sizeof(why)) == HS_OK) {
                        add_cert(certs, ssl, names[i], store);
                        SSL_free(ssl);
                        close(fd);
                }
        for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
                if (handshake(&ss, len, deadline, versions[i].version, NULL, &ssl, &fd,
                              why, sizeof(why)) == HS_OK) {
                        json_array_append_new(vers, json_string(versions[i].name));
                        SSL_free(ssl);
                        close(fd);
                }
        sa_tls_report_status(report, "ok", NULL);
}
