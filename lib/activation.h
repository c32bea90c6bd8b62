/* SPDX-License-Identifier: MIT */
/* Socket activation: which holders of a socket hold it for someone else. */
#ifndef SA_ACTIVATION_H
#define SA_ACTIVATION_H

#include "sockaudit.h"

/*
 * Marks l's holders: an activator is systemd's init (unit init.scope), a
 * known supervisor (systemd-socket-activate, inetd, xinetd), or the parent
 * of another holder that runs a different executable and whose environment
 * (PROC_ROOT/PID/environ) has LISTEN_FDS= and LISTEN_PID= naming itself
 * (sd_listen_fds(3)); the other holders are then services. A parent that
 * only leaked its fd to another program is no activator. For an activator, names the unit it starts (the services'
 * unit) and, for systemd, the .socket unit: read from the unit files under
 * the activator's own root (PROC_ROOT/PID/root/{etc,run,usr/lib,lib}/
 * systemd/system), matching Listen{Stream,Datagram}= on l's port and
 * Service=. Costs an environ read per child running another program than
 * its holding parent; a few small file reads per activator. -ENOMEM only.
 */
int sa_activation_annotate(const char *proc_root, sa_listener *l);

#endif
