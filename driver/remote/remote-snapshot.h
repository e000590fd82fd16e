/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE handlers of the domain snapshot procedures (remote-snapshot.c). */
#pragma once

#include "driver/remote/remote.h"
#include "driver/rpc/snapshot-gen.h"

REMOTE_HANDLER(remote_domain_snapshot_create_xml);
REMOTE_HANDLER(remote_domain_snapshot_get_xml_desc);
REMOTE_HANDLER(remote_domain_snapshot_num);
REMOTE_HANDLER(remote_domain_snapshot_list_names);
REMOTE_HANDLER(remote_domain_snapshot_lookup_by_name);
REMOTE_HANDLER(remote_domain_has_current_snapshot);
REMOTE_HANDLER(remote_domain_snapshot_current);
REMOTE_HANDLER(remote_domain_revert_to_snapshot);
REMOTE_HANDLER(remote_domain_snapshot_delete);
REMOTE_HANDLER(remote_domain_snapshot_get_parent);
REMOTE_HANDLER(remote_domain_snapshot_num_children);
REMOTE_HANDLER(remote_domain_snapshot_list_children_names);
REMOTE_HANDLER(remote_domain_snapshot_is_current);
REMOTE_HANDLER(remote_domain_snapshot_has_metadata);
REMOTE_HANDLER(remote_domain_snapshot_list_all_children);
REMOTE_HANDLER(remote_domain_list_all_snapshots);
