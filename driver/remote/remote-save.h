/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE handlers of save/restore and managed save (remote-save.c). */
#pragma once

#include "driver/remote/remote.h"
#include "driver/rpc/save-gen.h"

REMOTE_HANDLER(remote_domain_save);
REMOTE_HANDLER(remote_domain_save_flags);
REMOTE_HANDLER(remote_domain_restore);
REMOTE_HANDLER(remote_domain_restore_flags);
REMOTE_HANDLER(remote_domain_save_image_get_xml_desc);
REMOTE_HANDLER(remote_domain_save_image_define_xml);
REMOTE_HANDLER(remote_domain_managed_save);
REMOTE_HANDLER(remote_domain_managed_save_remove);
REMOTE_HANDLER(remote_domain_managed_save_get_xml_desc);
REMOTE_HANDLER(remote_domain_managed_save_define_xml);
