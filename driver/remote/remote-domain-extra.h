/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE handlers: domblkinfo, blkiotune, agent calls, send-key, screenshot. */
#pragma once

#include "driver/remote/remote.h"
#include "driver/rpc/domainextra-gen.h"

REMOTE_HANDLER(remote_domain_get_block_info);
REMOTE_HANDLER(remote_domain_set_blkio_parameters);
REMOTE_HANDLER(remote_domain_get_blkio_parameters);
REMOTE_HANDLER(remote_domain_screenshot);
REMOTE_HANDLER(remote_domain_send_key);
REMOTE_HANDLER(remote_domain_get_hostname);
REMOTE_HANDLER(remote_domain_fstrim);
REMOTE_HANDLER(remote_domain_fsfreeze);
REMOTE_HANDLER(remote_domain_fsthaw);
REMOTE_HANDLER(remote_domain_get_time);
REMOTE_HANDLER(remote_domain_get_fsinfo);
REMOTE_HANDLER(remote_domain_set_user_password);
REMOTE_HANDLER(remote_domain_get_guest_vcpus);
REMOTE_HANDLER(remote_domain_get_guest_info);
