/* SPDX-License-Identifier: Apache-2.0 */
/* What the vhost-user device tests share: guest memory, a FakeHost, a back end, a config. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "config/vm-config.h"
#include "daemon/memory.h"
#include "devices/virtio/virtio.h"
#include "tests/unit/fake-vhost-user.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

/*
 * The unit tests of the devices built on vhost-user (blk, net, fs,
 * generic) each run a device on a FakeHost over the test driver's RAM,
 * against a fake back end on a socket, from a config that vm.create's
 * rules accepted.  The parts that do not depend on the device live here;
 * what the back end offers stays in each test.
 */
typedef struct {
    char *sock;                 /* test_tmpdir()/<name> */
    FakeVhostUser *fake;        /* the test starts it (NULL: none) */
    GuestMemory *mem;           /* TD_RAM0 and TD_RAM1, memfd-backed */
    FakeHost *host;             /* serves @mem */
    VmConfig *config;           /* the last fake_vhost_user_fixture_cli()'s */
} FakeVhostUserFixture;

/* The memory (mapped shared when @shared, as --memory shared=on maps it),
 * its host and the socket path @sock_name; no back end yet. */
void fake_vhost_user_fixture_init(FakeVhostUserFixture *f,
                                  const char *sock_name, bool shared);
/* Frees what init, the test and fake_vhost_user_fixture_cli() made. */
void fake_vhost_user_fixture_clear(FakeVhostUserFixture *f);

/* Replaces @f's config with a new one (a kernel, @shared memory, 4 boot
 * vCPUs) for the test to add its device to, and returns the device's CLI
 * value: @opts, with ",socket=<f->sock>" when @sock (transfer full). */
char *fake_vhost_user_fixture_cli(FakeVhostUserFixture *f, const char *opts,
                                  bool sock, bool shared);

/* Rings @rings[0..@n) of @size entries, 64 KiB apart in TD_RAM0 above
 * its first 64 KiB. */
void fake_vhost_user_fixture_rings(FakeVhostUserFixture *f, TdRing *rings,
                                   unsigned n, unsigned size);

/* Stops the back end under the running @vdev (named @id) and checks that
 * the device saw it: its warning naming @id, then NEEDS_RESET. */
void fake_vhost_user_fixture_kill_backend(FakeVhostUserFixture *f,
                                          VirtioDevice *vdev, const char *id);

/* fake_host_iterate_until() conditions on a VirtioDevice: it raised its ISR; it
 * set NEEDS_RESET. */
bool fake_vhost_user_isr_set(gpointer vdev);
bool fake_vhost_user_needs_reset(gpointer vdev);
