/* SPDX-License-Identifier: MIT */
/*
 * Linked into the static CLI only (Makefile, CLI_STATIC): failing stand-ins
 * for the glibc NSS entry points that libnl-3.a's addr.o and utils.o
 * reference. Those objects come in with the netlink attribute and debug
 * helpers the CLI does use, but the functions that reach NSS
 * (nl_addr_info, nl_ip_proto2str, nl_str2ip_proto) are never called. A
 * static glibc could only serve these calls by loading the NSS modules of
 * the very glibc version it was linked against (ld warns about exactly
 * that); these answer "not found" instead, which libnl handles (a protocol
 * shown as its number). User names come from getent(1) (lib/usercache.c).
 * libcrypto.a's BIO socket helpers (never used: the CLI only hashes files
 * with EVP, lib/exeimage.c) reference the rest.
 */
#include <netdb.h>
#include <stddef.h>

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
        return EAI_FAIL;
}

void freeaddrinfo(struct addrinfo *res)
{
}

int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags)
{
        return EAI_FAIL;
}

struct hostent *gethostbyname(const char *name)
{
        return NULL;
}

struct protoent *getprotobyname(const char *name)
{
        return NULL;
}

struct protoent *getprotobynumber(int proto)
{
        return NULL;
}
