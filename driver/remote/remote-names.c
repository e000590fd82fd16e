/* SPDX-License-Identifier: Apache-2.0 */
/* API names of procedures nimbusd declines, for the NO_SUPPORT message. */
#include <config.h>

#include "driver/remote/remote.h"

/*
 * Clients branch on the code (VIR_ERR_NO_SUPPORT) only; the name makes the
 * message readable ("this function is not supported by the connection
 * driver: virDomainSnapshotCreateXML").  The numbers are those management
 * tools send (reference §2.4, §4); others read "remote procedure N".
 */
static const struct {
    int32_t proc;
    const char *name;
} remote_names[] = {
    { 8, "virDomainAttachDevice" },
    { 13, "virDomainDetachDevice" },
    { 20, "virDomainGetVcpus" },
    { 26, "virDomainPinVcpu" },
    { 32, "virDomainSetVcpus" },
    { 70, "virConnectAuthPolkit" },
    { 101, "virNodeGetCellsFreeMemory" },
    { 111, "virNodeNumOfDevices" },
    { 112, "virNodeListDevices" },
    { 121, "virDomainGetSecurityLabel" },
    { 158, "virConnectCompareCPU" },
    { 159, "virDomainMemoryStats" },
    { 160, "virDomainAttachDeviceFlags" },
    { 161, "virDomainDetachDeviceFlags" },
    { 162, "virConnectBaselineCPU" },
    { 163, "virDomainGetJobInfo" },
    { 164, "virDomainAbortJob" },
    { 167, "virConnectDomainEventRegister" },
    { 168, "virConnectDomainEventDeregister" },
    { 185, "virDomainSnapshotCreateXML" },
    { 186, "virDomainSnapshotGetXMLDesc" },
    { 187, "virDomainSnapshotNum" },
    { 188, "virDomainSnapshotListNames" },
    { 189, "virDomainSnapshotLookupByName" },
    { 190, "virDomainHasCurrentSnapshot" },
    { 191, "virDomainSnapshotCurrent" },
    { 192, "virDomainRevertToSnapshot" },
    { 193, "virDomainSnapshotDelete" },
    { 199, "virDomainSetVcpusFlags" },
    { 203, "virConnectGetSysinfo" },
    { 211, "virDomainScreenshot" },
    { 216, "virDomainMigratePerform3" },
    { 229, "virDomainGetControlInfo" },
    { 230, "virDomainGetVcpuPinInfo" },
    { 244, "virDomainSnapshotGetParent" },
    { 264, "virDomainSetMetadata" },
    { 265, "virDomainGetMetadata" },
    { 271, "virDomainSnapshotIsCurrent" },
    { 272, "virDomainSnapshotHasMetadata" },
    { 278, "virDomainGetSecurityLabelList" },
    { 284, "virConnectListAllInterfaces" },
    { 285, "virConnectListAllNodeDevices" },
    { 293, "virNodeGetCPUMap" },
    { 298, "virDomainGetJobStats" },
    { 302, "virDomainMigrateBegin3Params" },
    { 303, "virDomainMigratePrepare3Params" },
    { 304, "virDomainMigratePrepareTunnel3Params" },
    { 305, "virDomainMigratePerform3Params" },
    { 306, "virDomainMigrateFinish3Params" },
    { 307, "virDomainMigrateConfirm3Params" },
    { 312, "virConnectGetCPUModelNames" },
    { 313, "virConnectNetworkEventRegisterAny" },
    { 344, "virConnectGetAllDomainStats" },
    { 353, "virDomainInterfaceAddresses" },
    { 368, "virConnectStoragePoolEventRegisterAny" },
    { 374, "virConnectNodeDeviceEventRegisterAny" },
    { 393, "virConnectCompareHypervisorCPU" },
    { 394, "virConnectBaselineHypervisorCPU" },
    { 426, "virDomainGetMessages" },
    { 440, "virDomainSaveParams" },
    { 441, "virDomainRestoreParams" },
    { 443, "virDomainFDAssociate" },
};

const char *
remote_unsupported_name(int32_t proc)
{
    size_t lo = 0, hi = G_N_ELEMENTS(remote_names);

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (remote_names[mid].proc == proc)
            return remote_names[mid].name;
        if (remote_names[mid].proc < proc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
