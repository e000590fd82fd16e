/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE handlers of virsh domiftune (remote-iftune.c). */
#pragma once

#include "driver/remote/remote.h"
#include "driver/rpc/iftune-gen.h"

REMOTE_HANDLER(remote_domain_set_interface_parameters);
REMOTE_HANDLER(remote_domain_get_interface_parameters);
