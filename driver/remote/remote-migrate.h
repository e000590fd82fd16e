/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE migration and job procedures (driver/remote/remote-migrate.c). */
#pragma once

#include "driver/remote/remote.h"
#include "driver/rpc/migrate-gen.h"

REMOTE_HANDLER(remote_domain_migrate_begin3_params);
REMOTE_HANDLER(remote_domain_migrate_prepare3_params);
REMOTE_HANDLER(remote_domain_migrate_perform3_params);
REMOTE_HANDLER(remote_domain_migrate_finish3_params);
REMOTE_HANDLER(remote_domain_migrate_confirm3_params);
REMOTE_HANDLER(remote_domain_get_job_info);
REMOTE_HANDLER(remote_domain_get_job_stats);
REMOTE_HANDLER(remote_domain_migrate_set_max_downtime);
REMOTE_HANDLER(remote_domain_abort_job);
REMOTE_HANDLER(remote_domain_migrate_get_max_downtime);
