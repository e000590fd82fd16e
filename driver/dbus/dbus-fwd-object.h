/* SPDX-License-Identifier: Apache-2.0 */
/* libvirtd's objects on D-Bus: one accessor per kind (network, pool, ...). */
#pragma once

#include <stdbool.h>
#include <glib.h>
#include <libvirt/libvirt.h>

#include "driver/dbus/dbus-priv.h"

/*
 * Networks, pools, volumes, host interfaces and node devices are libvirtd's
 * (driver/forward.h).  Each kind's object path is a prefix and one node,
 * either a UUID node (dbus_domain_node()) or an encoded string
 * (dbus_encode_str(): a volume key, a MAC, a device name); one table per
 * kind says which, how libvirt looks the object up, and libvirtd's error
 * for a path that names none, so that every kind finds its objects the
 * same way.
 */
typedef struct {
    const char *prefix;         /* DBUS_NETWORK_PATH...; the node follows "/" */
    DrvForwardKind fwd_kind;    /* what libvirtd's absence is reported for */
    /* Exactly one: by UUID node, or by the decoded string. */
    gpointer (*lookup_uuid)(virConnectPtr conn, const unsigned char *uuid);
    gpointer (*lookup_str)(virConnectPtr conn, const char *str);
    int err_domain;             /* libvirt's virErrorDomain ... */
    int err_code;               /* ... and virErrorNumber for "not found" */
    const char *not_found;      /* its message; the path is not repeated */
} DbusFwdKind;

/**
 * dbus_fwd_object_from_path:
 * The object of kind @kind that @path names, looked up on libvirtd's
 * shared connection: (transfer full) the libvirt object (virNetworkPtr...),
 * or NULL with libvirtd's error, or @kind's "not found" for a path that
 * cannot name one (the path is the caller's and may be huge).
 */
gpointer dbus_fwd_object_from_path(DbusService *svc, const DbusFwdKind *kind,
                                   const char *path, GError **error);

/* () for a libvirt call that answers nothing (@rc >= 0), or its error. */
GVariant *dbus_fwd_unit(int rc, GError **error);
/* (s) for a string libvirt allocated (freed here), or its error for NULL. */
GVariant *dbus_fwd_string(char *s, GError **error);
/* A boolean property from a libvirt 0/1, or its error for -1. */
GVariant *dbus_fwd_bool(int v, GError **error);
