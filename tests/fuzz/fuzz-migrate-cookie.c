/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the migration cookie nimbusd receives from a peer or client. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "driver/migrate-params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: the opaque cookie_in of PREPARE/PERFORM/FINISH/CONFIRM (any
 * client may send any bytes).  A refusal is fine; a crash, a sanitizer
 * report, or an accepted cookie that does not survive a format/parse
 * round trip unchanged is not.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    DrvMigrateCookie c;
    DrvMigrateCookie again;
    g_autofree char *text = NULL;
    size_t len = 0;

    if (!drv_migrate_cookie_parse(data, size, &c, NULL))
        return 0;
    if (!c.name)
        return 0;       /* the empty cookie */
    text = drv_migrate_cookie_format(&c, &len);
    g_assert_true(drv_migrate_cookie_parse(text, len, &again, NULL));
    g_assert_cmpstr(again.name, ==, c.name);
    g_assert_cmpmem(again.uuid, 16, c.uuid, 16);
    g_assert_cmpstr(again.digest, ==, c.digest);
    drv_migrate_cookie_clear(&again);
    drv_migrate_cookie_clear(&c);
    return 0;
}
