/* SPDX-License-Identifier: MIT */
/*
 * TLS probes as transient systemd units (tlsunit.h): StartTransientUnit over
 * systemd's private socket (or the system bus), sent without waiting, each
 * unit confined as below and joined to the listener's network namespace by
 * systemd itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlsunit.h"

struct tlsunit {
        sd_event *event;
        sd_bus *bus;
        uint64_t seq;
};

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_IFACE "org.freedesktop.systemd1.Manager"

/* A connection to systemd attached to the loop: its private socket (root), else the system bus. */
static int connect_bus(tlsunit *u)
{
        sd_bus *bus = NULL;
        int r = sd_bus_new(&bus);

        if (r >= 0)
                r = sd_bus_set_address(bus, "unix:path=/run/systemd/private");
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                bus = sd_bus_unref(bus);
                r = sd_bus_open_system(&bus);
        }
        if (r >= 0)
                r = sd_bus_attach_event(bus, u->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                sd_bus_flush_close_unref(bus);
                return r;
        }
        u->bus = bus;
        return 0;
}

int tlsunit_new(sd_event *event, tlsunit **ret)
{
        tlsunit *u;
        int r;

        *ret = NULL;
        if (!getenv("INVOCATION_ID"))
                return 0;
        u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        u->event = sd_event_ref(event);
        r = connect_bus(u);
        if (r < 0) {
                tlsunit_free(u);
                return r;
        }
        *ret = u;
        return 0;
}

tlsunit *tlsunit_free(tlsunit *u)
{
        if (!u)
                return NULL;
        sd_bus_flush_close_unref(u->bus);
        sd_event_unref(u->event);
        free(u);
        return NULL;
}

/* The unit's sandbox: nothing but connecting out over IP from the listener's namespace. */
static int append_sandbox(sd_bus_message *m)
{
        static const char *const yes[] = {
                "DynamicUser", "NoNewPrivileges", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables",
                "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock",
                "ProtectHostname", "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality",
                "MemoryDenyWriteExecute", "RemoveIPC",
        };
        int r = 0;

        for (size_t i = 0; r >= 0 && i < sizeof(yes) / sizeof(*yes); i++)
                r = sd_bus_message_append(m, "(sv)", yes[i], "b", 1);
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)", "ProtectSystem", "s", "strict",
                                          "ProtectHome", "s", "yes", "ProtectProc", "s", "invisible",
                                          "ProcSubset", "s", "pid", "CapabilityBoundingSet", "t", (uint64_t) 0,
                                          "RestrictNamespaces", "t", (uint64_t) 0, "SystemCallArchitectures",
                                          "as", 1, "native", "RestrictAddressFamilies", "(bas)", 1, 2,
                                          "AF_INET", "AF_INET6");
        return r;
}

static int append_properties(sd_bus_message *m, const sa_tls_target *t, int out)
{
        int timeout = t->timeout_ms ? t->timeout_ms : SA_TLS_TIMEOUT_MS_DEFAULT;
        sa_tls_argv a;
        size_t argc = 0;
        /* The helper stops well before the daemon's deadline: the unit's start takes some of it. */
        int r = sa_tls_helper_argv(t, timeout * 3 / 4, &a);

        if (r < 0)
                return r;
        while (a.argv[argc])
                argc++;
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)", "Description", "s", "sockaudit TLS probe",
                                  "CollectMode", "s", "inactive-or-failed", "StandardOutputFileDescriptor", "h",
                                  out, "StandardError", "s", "journal", "RuntimeMaxUSec", "t",
                                  (uint64_t) timeout * 1000 + 1000000);
        if (r >= 0 && t->netns_path)
                r = sd_bus_message_append(m, "(sv)", "NetworkNamespacePath", "s", t->netns_path);
        if (r >= 0)
                r = append_sandbox(m);
        /* ExecStart: a(sasb), one command: the helper, its argv, failure not ignored. */
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "ExecStart");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', "sasb");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", t->helper);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) a.argv);
        if (r >= 0)
                r = sd_bus_message_append(m, "b", 0);
        for (int i = 0; r >= 0 && i < 4; i++)
                r = sd_bus_message_close_container(m);
        return r;
}

int tlsunit_start(tlsunit *u, const sa_tls_target *t, sd_bus_message_handler_t handler, void *userdata,
                  sd_bus_slot **ret_slot, int *ret_fd, char *unit)
{
        sd_bus_message *m = NULL;
        int pipefd[2], r;

        if (!u->bus || !sd_bus_is_open(u->bus)) {
                u->bus = sd_bus_flush_close_unref(u->bus);
                r = connect_bus(u);
                if (r < 0)
                        return r;
        }
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        snprintf(unit, TLSUNIT_NAME_MAX, "sockaudit-tlsprobe-%d-%" PRIu64 ".service", (int) getpid(), ++u->seq);
        r = sd_bus_message_new_method_call(u->bus, &m, SD_DEST, SD_PATH, SD_IFACE, "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", unit, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)     /* the message holds its own copy of the write end */
                r = append_properties(m, t, pipefd[1]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)     /* no auxiliary units */
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r >= 0)
                r = sd_bus_call_async(u->bus, ret_slot, m, handler, userdata, 0);
        sd_bus_message_unref(m);
        close(pipefd[1]);
        if (r >= 0 && fcntl(pipefd[0], F_SETFL, O_NONBLOCK) < 0)
                r = -errno;
        if (r < 0) {
                close(pipefd[0]);
                return r;
        }
        *ret_fd = pipefd[0];
        return 0;
}

void tlsunit_kill(tlsunit *u, const char *unit)
{
        if (u && u->bus && *unit)
                (void) sd_bus_call_method_async(u->bus, NULL, SD_DEST, SD_PATH, SD_IFACE, "KillUnit", NULL, NULL,
                                                "ssi", unit, "all", 9);
}
