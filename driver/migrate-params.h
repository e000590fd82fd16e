/* SPDX-License-Identifier: Apache-2.0 */
/* Migration flags, typed parameters, cookies and URIs: pure parsing (driver/migrate.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#include "driver/rpc/migrate-gen.h"

/* virDomainMigrateFlags (libvirt's values). */
#define DRV_MIGRATE_LIVE              (1u << 0)
#define DRV_MIGRATE_PEER2PEER         (1u << 1)
#define DRV_MIGRATE_TUNNELLED         (1u << 2)
#define DRV_MIGRATE_PERSIST_DEST      (1u << 3)
#define DRV_MIGRATE_UNDEFINE_SOURCE   (1u << 4)
#define DRV_MIGRATE_PAUSED            (1u << 5)
#define DRV_MIGRATE_CHANGE_PROTECTION (1u << 8)

/* What nimbusd does: the rest (tunnelled, disk copy, compression,
 * postcopy, TLS, ...) is refused by name. */
#define DRV_MIGRATE_SUPPORTED \
    (DRV_MIGRATE_LIVE | DRV_MIGRATE_PEER2PEER | DRV_MIGRATE_PERSIST_DEST | \
     DRV_MIGRATE_UNDEFINE_SOURCE | DRV_MIGRATE_PAUSED | \
     DRV_MIGRATE_CHANGE_PROTECTION)

/* VIR_MIGRATE_PARAM_* names nimbusd honours. */
#define DRV_MIGRATE_PARAM_URI        "migrate_uri"
#define DRV_MIGRATE_PARAM_DEST_NAME  "destination_name"
#define DRV_MIGRATE_PARAM_DEST_XML   "destination_xml"
#define DRV_MIGRATE_PARAM_PERSIST_XML "persistent_xml"

/* The parameters of one call; every member may be NULL. */
typedef struct {
    char *migrate_uri;
    char *dest_name;
    char *dest_xml;
    char *persist_xml;
} DrvMigrateParams;

void drv_migrate_params_clear(DrvMigrateParams *params);

/**
 * drv_migrate_params_parse:
 * Reads @n typed parameters.  Every one nimbusd honours must be a string
 * given once; any other name is refused (ARGUMENT_UNSUPPORTED), naming it,
 * so that nothing asked for is silently ignored.  On failure @out is
 * cleared.
 */
bool drv_migrate_params_parse(const remote_typed_param *params, unsigned int n,
                              DrvMigrateParams *out, GError **error);

/* Refuses flags outside DRV_MIGRATE_SUPPORTED, naming them; @api is the
 * libvirt API for the message. */
bool drv_migrate_check_flags(unsigned int flags, const char *api,
                             GError **error);

/*
 * The cookie nimbusd passes along the v3 sequence (BEGIN -> PREPARE ->
 * PERFORM -> FINISH -> CONFIRM): which domain migrates (so that the
 * destination refuses an XML of another domain, and FINISH finds the
 * incoming domain whatever it was renamed to) and, for CHANGE_PROTECTION,
 * a digest of the definition at BEGIN.  Its text is a GKeyFile; it comes
 * from the peer, so parsing checks everything.
 */
typedef struct {
    char *name;
    unsigned char uuid[16];
    char *digest;               /* NULL: no change protection */
} DrvMigrateCookie;

void drv_migrate_cookie_clear(DrvMigrateCookie *cookie);
/* (transfer full) text, NUL-terminated; *@len excludes the NUL. */
char *drv_migrate_cookie_format(const DrvMigrateCookie *cookie, size_t *len);
/* An empty cookie (@len 0) is valid and leaves @out empty (name NULL). */
bool drv_migrate_cookie_parse(const void *data, size_t len,
                              DrvMigrateCookie *out, GError **error);

/**
 * drv_migrate_listen_url:
 * The nimbus receiver URL for the destination, from the migrate_uri
 * parameter (nullable): "tcp:ADDR[:PORT]" or "tcp://ADDR[:PORT]" with ADDR
 * an IPv4 or bracketed IPv6 literal, default 127.0.0.1.  @port_func picks
 * a free port when none is given.  (transfer full) "tcp:ADDR:PORT".
 */
typedef int (*DrvMigratePortFunc)(const char *addr, GError **error);
char *drv_migrate_listen_url(const char *migrate_uri,
                             DrvMigratePortFunc port_func, GError **error);

/**
 * drv_migrate_peer_socket:
 * For the peer-to-peer destination URI @uri: the UNIX socket to connect
 * to and the name to send in CONNECT_OPEN (both transfer full).
 * "ch+unix:///system?socket=PATH", "ch:///system" or "ch:///session"
 * (the latter two at the default sockets of reference §3); remote
 * transports (tcp, tls, ssh) are refused.
 */
bool drv_migrate_peer_socket(const char *uri, char **socket_path,
                             char **open_name, GError **error);
