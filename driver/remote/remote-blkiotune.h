/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE handlers of virsh blkdeviotune (remote-blkiotune.c). */
#pragma once

#include "driver/remote/remote.h"
#include "driver/rpc/blkiotune-gen.h"

REMOTE_HANDLER(remote_domain_set_block_io_tune);
REMOTE_HANDLER(remote_domain_get_block_io_tune);
