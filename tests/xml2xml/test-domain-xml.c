/* SPDX-License-Identifier: Apache-2.0 */
/* Domain XML model: bad-input table (error code + message) and API behaviour. */
#include <config.h>

#include <string.h>
#include <unistd.h>

#include "devices/registry.h"
#include "driver/xml/domain-conf.h"
#include "driver/xml/domain-priv.h"
#include "tests/testutil.h"
#include "tests/xml2xml/golden.h"

#define UUID "<uuid>c7a5fdbd-edaf-4455-926a-d65c16db1809</uuid>"
#define HEAD "<domain type='kvm'><name>t</name>" UUID \
             "<memory unit='MiB'>256</memory>"
#define OS "<os><type arch='x86_64'>hvm</type>" \
           "<kernel>/boot/vmlinux</kernel></os>"
#define DOM(extra) HEAD OS extra "</domain>"
#define DEV(devices) DOM("<devices>" devices "</devices>")
#define DISK(attrs, body) \
    DEV("<disk" attrs "><source file='/img/a.raw'/>" body "</disk>")
#define NET(body) DEV("<interface type='ethernet'>" body "</interface>")
/* Memory devices: <maxMemory> of 1 GiB above the 256 MiB of HEAD. */
#define MAXDEV(devices) \
    "<domain type='kvm'><name>t</name>" UUID \
    "<maxMemory slots='4' unit='GiB'>1</maxMemory>" \
    "<memory unit='MiB'>256</memory>" OS "<devices>" devices \
    "</devices></domain>"
#define MEM_VMEM(size, requested) \
    "<memory model='virtio-mem'><target><size>" size "</size>" \
    "<requested>" requested "</requested></target></memory>"
#define MEM_DIMM(size) \
    "<memory model='dimm'><target><size>" size "</size></target></memory>"

/* <filesystem> and <memoryBacking> (driver/xml/filesystem.c,
 * memory-backing.c). */
#define FS(extra) \
    "<filesystem type='mount' accessmode='passthrough'><driver " \
    "type='virtiofs'/><source dir='/srv/share'/><target dir='tag0'/>" \
    extra "</filesystem>"
#define MB(children) DOM("<memoryBacking>" children "</memoryBacking>")
#define SHARED_DEV(devices) \
    DOM("<memoryBacking><source type='memfd'/><access mode='shared'/>" \
        "</memoryBacking><devices>" devices "</devices>")

typedef struct {
    const char *name;
    const char *xml;
    DrvErrorCode code;
    const char *message;    /* substring of the error message */
} BadCase;

static const BadCase bad_cases[] = {
    /* Not XML, or not a domain */
    { "empty", "", DRV_ERROR_XML_ERROR, "empty domain XML" },
    { "malformed", "<domain type='kvm'>\n<name>x</domain>",
      DRV_ERROR_XML_ERROR, "line 2: Opening and ending tag mismatch" },
    { "truncated", HEAD, DRV_ERROR_XML_ERROR, "line 1:" },
    { "root", "<network/>", DRV_ERROR_XML_ERROR,
      "expected root element <domain>, found <network>" },
    { "doctype", "<!DOCTYPE domain [<!ENTITY a 'b'>]>" DOM(""),
      DRV_ERROR_XML_ERROR, "DOCTYPE" },
    /* Recognised but unsupported: CONFIG_UNSUPPORTED naming the element */
    { "machine", HEAD "<os><type machine='pc-q35-7.2'>hvm</type>"
      "<kernel>/boot/vmlinux</kernel></os></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "machine type 'pc-q35-7.2'" },
    { "vhost", NET("<target dev='tap0'/><driver name='vhost'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "interface driver name 'vhost'" },
    { "serial-log-file", DEV("<serial type='file'><source path='/tmp/s'/>"
                             "<log file='/var/log/c.log'/></serial>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "serial <log> is supported by nimbus only on type 'pty'" },
    { "serial-log-relative", DEV("<serial type='pty'><log file='c.log'/></serial>"),
      DRV_ERROR_INVALID_ARG, "serial log file 'c.log' must be an absolute path" },
    { "serial-log-no-file", DEV("<serial type='pty'><log append='on'/></serial>"),
      DRV_ERROR_XML_ERROR, "Element log failed to validate attributes" },
    { "serial-log-append", DEV("<serial type='pty'><log file='/l' append='maybe'/></serial>"),
      DRV_ERROR_XML_ERROR, "append" },
    { "queue-sizes", NET("<target dev='tap0'/>"
                         "<driver rx_queue_size='256' tx_queue_size='512'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "rx_queue_size and tx_queue_size must be equal" },
    { "cpu-match", DOM("<cpu match='loose'/>"), DRV_ERROR_XML_ERROR, "match" },
    /* SMBIOS: what --platform cannot carry is refused by name. */
    { "sysinfo-type", DOM("<sysinfo type='xen'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "sysinfo type 'xen'" },
    /* fw_cfg entries (sysinfo-fwcfg.c): names under opt/, value or file. */
    { "fwcfg-empty", DOM("<sysinfo type='fwcfg'/>"), DRV_ERROR_XML_ERROR,
      "sysinfo" },
    { "fwcfg-name", DOM("<sysinfo type='fwcfg'><entry name='etc/x'>v</entry>"
                        "</sysinfo>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "sysinfo fwcfg entry 'etc/x': the name must start with 'opt/'" },
    { "fwcfg-name-long", DOM("<sysinfo type='fwcfg'><entry name='opt/aaaaaaaaaa"
                             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'>v"
                             "</entry></sysinfo>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "longer than 55 bytes" },
    { "fwcfg-both", DOM("<sysinfo type='fwcfg'><entry name='opt/a' "
                        "file='/f'>v</entry></sysinfo>"),
      DRV_ERROR_XML_ERROR, "entry 'opt/a' has both a value and a file "
      "attribute" },
    { "fwcfg-neither", DOM("<sysinfo type='fwcfg'><entry name='opt/a'/>"
                           "</sysinfo>"),
      DRV_ERROR_XML_ERROR, "entry 'opt/a' needs a value or a file "
      "attribute" },
    { "fwcfg-twice", DOM("<sysinfo type='fwcfg'><entry name='opt/a'>v</entry>"
                         "<entry name='opt/a'>w</entry></sysinfo>"),
      DRV_ERROR_XML_ERROR, "entry 'opt/a' is given twice" },
    { "fwcfg-two-blocks", DOM("<sysinfo type='fwcfg'><entry name='opt/a'>v"
                              "</entry></sysinfo><sysinfo type='fwcfg'><entry "
                              "name='opt/b'>v</entry></sysinfo>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "more than one <sysinfo>" },
    { "fwcfg-and-smbios", DOM("<sysinfo type='fwcfg'><entry name='opt/a'>v"
                              "</entry></sysinfo><sysinfo type='smbios'><system>"
                              "<entry name='serial'>a</entry></system>"
                              "</sysinfo>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "type='fwcfg' together) is not "
      "supported yet" },
    { "sysinfo-bios", DOM("<sysinfo type='smbios'><bios><entry name='vendor'>"
                          "x</entry></bios></sysinfo>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "sysinfo block 'bios'" },
    { "sysinfo-baseboard", DOM("<sysinfo type='smbios'><baseBoard><entry "
                               "name='serial'>x</entry></baseBoard></sysinfo>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "sysinfo block 'baseBoard'" },
    { "sysinfo-chassis", DOM("<sysinfo type='smbios'><chassis><entry "
                             "name='serial'>x</entry></chassis></sysinfo>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "chassis entry 'serial'" },
    { "sysinfo-uuid", DOM("<sysinfo type='smbios'><system><entry name='uuid'>"
                          "00000000-0000-0000-0000-000000000001</entry>"
                          "</system></sysinfo>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "UUID mismatch" },
    { "sysinfo-twice", DOM("<sysinfo type='smbios'><system><entry "
                           "name='serial'>a</entry><entry name='serial'>b"
                           "</entry></system></sysinfo>"),
      DRV_ERROR_XML_ERROR, "entry 'serial' is given twice" },
    { "sysinfo-empty-entry", DOM("<sysinfo type='smbios'><oemStrings><entry/>"
                                 "</oemStrings></sysinfo>"),
      DRV_ERROR_XML_ERROR, "oemStrings" },
    { "smbios-host", HEAD "<os><type arch='x86_64'>hvm</type>"
      "<kernel>/boot/vmlinux</kernel><smbios mode='host'/></os></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "smbios mode 'host'" },
    { "smbios-sysinfo-missing", HEAD "<os><type arch='x86_64'>hvm</type>"
      "<kernel>/boot/vmlinux</kernel><smbios mode='sysinfo'/></os></domain>",
      DRV_ERROR_XML_ERROR, "requires <sysinfo>" },
    { "smbios-emulate-sysinfo", HEAD "<os><type arch='x86_64'>hvm</type>"
      "<kernel>/boot/vmlinux</kernel><smbios mode='emulate'/></os>"
      "<sysinfo type='smbios'><system><entry name='serial'>a</entry></system>"
      "</sysinfo></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "no effect with <smbios mode='emulate'>" },
    { "graphics", DEV("<graphics type='vnc'/>"), DRV_ERROR_CONFIG_UNSUPPORTED,
      "unsupported configuration: device 'graphics' is not supported by nimbus" },
    { "video", DEV("<video><model type='virtio'/></video>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "device 'video'" },
    { "sound", DEV("<sound model='ich9'/>"), DRV_ERROR_CONFIG_UNSUPPORTED,
      "device 'sound'" },
    { "input", DEV("<input type='tablet' bus='usb'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "device 'input'" },
    { "channel", DEV("<channel type='unix'><target type='virtio'/></channel>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "device 'channel'" },
    { "hostdev", DEV("<hostdev mode='subsystem' type='pci'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "device 'hostdev'" },
    /* <filesystem> is supported now (driver/xml/filesystem.c): virtiofs
     * only, on shared memory (memory-backing.c). */
    { "filesystem", DEV("<filesystem type='mount'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "filesystem driver type 'path' is not supported by nimbus (its "
      "filesystems are virtio-fs: <driver type='virtiofs'/>)" },
    { "fs-9p", DEV("<filesystem type='mount' accessmode='mapped'>"
                   "<driver type='path'/><source dir='/srv'/>"
                   "<target dir='t'/></filesystem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "filesystem accessmode 'mapped' is not "
      "supported by nimbus (virtiofs supports accessmode='passthrough' "
      "only)" },
    { "fs-handle", DEV("<filesystem><driver type='handle'/>"
                       "<source dir='/srv'/><target dir='t'/></filesystem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "filesystem driver type 'handle'" },
    { "fs-block", DEV("<filesystem type='block'><driver type='virtiofs'/>"
                      "<source dev='/dev/sda'/><target dir='t'/>"
                      "</filesystem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "filesystem type 'block' is not "
      "supported by nimbus" },
    { "fs-no-shared-memory", DEV(FS("")), DRV_ERROR_CONFIG_UNSUPPORTED,
      "filesystem 'tag0': virtiofs needs shared memory: add <memoryBacking>"
      "<source type='memfd'/><access mode='shared'/></memoryBacking>" },
    { "fs-private-memory", DOM("<memoryBacking><access mode='private'/>"
                               "</memoryBacking><devices>" FS("")
                               "</devices>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "virtiofs needs shared memory" },
    { "fs-readonly", SHARED_DEV(FS("<readonly/>")),
      DRV_ERROR_CONFIG_UNSUPPORTED, "filesystem: <readonly/> is not "
      "supported by nimbus (virtiofsd cannot export a directory "
      "read-only)" },
    { "fs-cache", SHARED_DEV("<filesystem><driver type='virtiofs'/>"
                             "<binary path='/usr/libexec/virtiofsd'><cache "
                             "mode='always'/></binary><source dir='/srv'/>"
                             "<target dir='t'/></filesystem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "filesystem: binary element <cache> is "
      "not supported by nimbus" },
    { "fs-xattr", SHARED_DEV("<filesystem><driver type='virtiofs'/>"
                             "<binary xattr='on'/><source dir='/srv'/>"
                             "<target dir='t'/></filesystem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "filesystem: binary attribute 'xattr' "
      "is not supported by nimbus" },
    { "fs-socket", SHARED_DEV("<filesystem><driver type='virtiofs'/>"
                              "<source socket='/run/fs.sock'/>"
                              "<target dir='t'/></filesystem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "filesystem: source socket (a virtiofsd "
      "started outside nimbusd) is not supported" },
    { "fs-no-source", SHARED_DEV("<filesystem><driver "
                                 "type='virtiofs'/><target dir='t'/>"
                                 "</filesystem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "filesystem: <source dir=...> (the host "
      "directory to share) is required" },
    { "fs-no-target", SHARED_DEV("<filesystem><driver "
                                 "type='virtiofs'/><source dir='/srv'/>"
                                 "</filesystem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "filesystem: <target dir=...>" },
    { "fs-relative", SHARED_DEV("<filesystem><driver "
                                "type='virtiofs'/><source dir='srv'/>"
                                "<target dir='t'/></filesystem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "filesystem 't': source dir 'srv' must "
      "be an absolute path" },
    { "fs-long-tag", SHARED_DEV("<filesystem><driver "
                                "type='virtiofs'/><source dir='/srv'/>"
                                "<target dir='0123456789012345678901234567"
                                "890123456'/></filesystem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "must be 1 to 36 bytes (the virtio-fs "
      "tag)" },
    { "fs-same-tag", SHARED_DEV(FS("") FS("")),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "filesystem target dir 'tag0' is used twice" },
    { "fs-queue", SHARED_DEV("<filesystem><driver type='virtiofs' "
                             "queue='1000'/><source dir='/srv'/>"
                             "<target dir='t'/></filesystem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "filesystem: driver queue '1000' must be "
      "a power of two" },
    { "fs-idmap", SHARED_DEV(FS("<idmap><uid start='0' "
                                          "target='1000' count='10'/>"
                                          "</idmap>")),
      DRV_ERROR_CONFIG_UNSUPPORTED, "filesystem element <idmap> is not "
      "supported by nimbus" },
    /* <memoryBacking>: what nimbus's --memory does, the rest by name. */
    { "mb-locked", MB("<locked/>"), DRV_ERROR_CONFIG_UNSUPPORTED,
      "memoryBacking <locked/> is not supported by nimbus (guest memory is "
      "not mlock()ed)" },
    { "mb-discard", MB("<discard/>"), DRV_ERROR_CONFIG_UNSUPPORTED,
      "memoryBacking <discard/> is not supported by nimbus" },
    { "mb-file", MB("<source type='file'/>"), DRV_ERROR_CONFIG_UNSUPPORTED,
      "memoryBacking source type 'file' is not supported by nimbus" },
    { "mb-anonymous-shared", MB("<source type='anonymous'/><access "
                                "mode='shared'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memoryBacking source type 'anonymous' "
      "with access mode 'shared' is not supported by nimbus" },
    { "mb-memfd-private", MB("<source type='memfd'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memoryBacking source type 'memfd' "
      "without <access mode='shared'/> or <hugepages/>" },
    { "mb-nodeset", MB("<hugepages><page size='2048' nodeset='0'/>"
                       "</hugepages>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memoryBacking hugepages page nodeset "
      "is not supported by nimbus" },
    { "mb-two-pages", MB("<hugepages><page size='2048'/><page size='1' "
                         "unit='GiB'/></hugepages>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memoryBacking <hugepages> with several "
      "page sizes" },
    { "mb-threads", MB("<allocation mode='immediate' threads='4'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memoryBacking allocation threads is "
      "not supported by nimbus" },
    { "mb-bad-page", MB("<hugepages><page size='3' unit='parsec'/>"
                        "</hugepages>"),
      DRV_ERROR_XML_ERROR, "memoryBacking" },
    { "mb-twice", DOM("<memoryBacking/><memoryBacking/>"),
      DRV_ERROR_XML_ERROR, "element <memoryBacking> appears more than once" },
    /* <tpm> is supported now (driver/xml/tpm.c): not without a backend. */
    { "tpm", DEV("<tpm model='tpm-crb'/>"), DRV_ERROR_CONFIG_UNSUPPORTED,
      "tpm: a <backend type='emulator'/> is required" },
    /* <watchdog> is supported now (driver/xml/watchdog.c): the 6300ESB,
     * and the actions nimbus can carry out. */
    { "watchdog-ib700", DEV("<watchdog model='ib700'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "watchdog model 'ib700' is not supported by nimbus (use "
      "model='i6300esb', the PCI watchdog nimbus emulates)" },
    { "watchdog-itco", DEV("<watchdog model='itco' action='reset'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "watchdog model 'itco'" },
    { "watchdog-no-model", DEV("<watchdog action='reset'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "watchdog model '' is not supported" },
    { "watchdog-dump", DEV("<watchdog model='i6300esb' action='dump'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "watchdog action 'dump' is not supported by nimbus (use reset, "
      "poweroff, shutdown, pause or none)" },
    { "watchdog-nmi", DEV("<watchdog model='i6300esb' action='inject-nmi'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "watchdog action 'inject-nmi'" },
    { "watchdog-action", DEV("<watchdog model='i6300esb' action='explode'/>"),
      DRV_ERROR_XML_ERROR, "Invalid attribute action for element watchdog" },
    { "watchdog-two", DEV("<watchdog model='i6300esb'/>"
                          "<watchdog model='i6300esb'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "only one <watchdog> device is supported" },
    /* <shmem> is ivshmem-plain on /dev/shm/NAME (driver/xml/shmem.c). */
    { "shmem-doorbell",
      DEV("<shmem name='s'><model type='ivshmem-doorbell'/>"
          "<size unit='M'>4</size></shmem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "shmem model 'ivshmem-doorbell' is not supported by nimbus (only "
      "'ivshmem-plain')" },
    { "shmem-legacy",
      DEV("<shmem name='s'><model type='ivshmem'/>"
          "<size unit='M'>4</size></shmem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "shmem model 'ivshmem'" },
    { "shmem-server",
      DEV("<shmem name='s'><model type='ivshmem-plain'/>"
          "<size unit='M'>4</size><server path='/tmp/sock'/></shmem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "shmem <server> is not supported by nimbus" },
    { "shmem-msi",
      DEV("<shmem name='s'><size unit='M'>4</size>"
          "<msi vectors='4' ioeventfd='on'/></shmem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "shmem <msi> is not supported by nimbus" },
    { "shmem-role",
      DEV("<shmem name='s' role='master'><size unit='M'>4</size></shmem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "shmem role 'master' is not supported by nimbus" },
    { "shmem-no-size", DEV("<shmem name='s'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "shmem 's' needs a <size>: nimbus maps that much of /dev/shm/s" },
    { "shmem-small", DEV("<shmem name='s'><size unit='K'>512</size></shmem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "shmem size must be a whole number of MiB, at least 1 MiB, got 512 KiB" },
    { "shmem-dotdot", DEV("<shmem name='..'><size unit='M'>1</size></shmem>"),
      DRV_ERROR_XML_ERROR, "shmem name '..' is not a file name" },
    { "shmem-two",
      DEV("<shmem name='a'><size unit='M'>1</size></shmem>"
          "<shmem name='b'><size unit='M'>1</size></shmem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "only one <shmem> device is supported" },
    /* <numatune> is supported now (driver/xml/numa.c, more cases in
     * test-numa-xml.c): not without a nodeset. */
    { "numatune", DOM("<numatune><memory mode='strict'/></numatune>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "numatune <memory>: a nodeset is "
      "required" },
    /* <maxMemory> and memory devices are supported now (memory.c): the
     * models nimbus has no device for, and libvirt's memory rules. */
    { "memory-nvdimm", DEV("<memory model='nvdimm'><target><size>131072"
                           "</size></target></memory>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "memory device model 'nvdimm' is not supported by nimbus" },
    { "memory-sgx", DEV("<memory model='sgx-epc'><target><size>65536"
                        "</size></target></memory>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memory device model 'sgx-epc'" },
    { "maxMemory-small", DOM("<maxMemory slots='4'>131072</maxMemory>"),
      DRV_ERROR_XML_ERROR, "maximum memory size must be equal or greater "
      "than the actual memory size" },
    { "virtio-mem-no-max", DEV(MEM_VMEM("131072", "0")),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "memory device 'virtio-mem' needs <maxMemory>" },
    { "virtio-mem-requested", MAXDEV(MEM_VMEM("131072", "262144")),
      DRV_ERROR_INVALID_ARG, "requested size 262144 KiB must be a multiple "
      "of the block size (2048 KiB) and at most <size> (131072 KiB)" },
    { "virtio-mem-block", MAXDEV("<memory model='virtio-mem'><target>"
                                 "<size>131072</size><block>4096</block>"
                                 "</target></memory>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "block size 4096 KiB is not supported" },
    { "virtio-mem-two", MAXDEV(MEM_VMEM("65536", "0") MEM_VMEM("65536", "0")),
      DRV_ERROR_CONFIG_UNSUPPORTED, "one virtio-mem memory device, got 2" },
    { "virtio-mem-dimm", MAXDEV(MEM_VMEM("65536", "0") MEM_DIMM("131072")),
      DRV_ERROR_CONFIG_UNSUPPORTED, "'dimm' and 'virtio-mem' cannot be used "
      "together" },
    { "memory-node", MAXDEV("<memory model='dimm'><target><size>131072"
                            "</size><node>1</node></target></memory>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "NUMA node 1 does not exist" },
    { "dimm-align", MAXDEV(MEM_DIMM("65536")), DRV_ERROR_CONFIG_UNSUPPORTED,
      "size 65536 KiB is not a multiple of 128 MiB" },
    { "dimm-slots", "<domain type='kvm'><name>t</name>" UUID
      "<maxMemory slots='1' unit='GiB'>4</maxMemory>"
      "<memory unit='MiB'>512</memory>" OS "<devices>" MEM_DIMM("131072")
      MEM_DIMM("131072") "</devices></domain>", DRV_ERROR_CONFIG_UNSUPPORTED,
      "count of memory devices requiring memory slots '2' exceeds slots "
      "count '1'" },
    { "memory-total", MAXDEV(MEM_DIMM("393216")), DRV_ERROR_XML_ERROR,
      "Total size of memory devices exceeds the total memory size" },
    { "pmem-relative", DEV("<memory model='virtio-pmem'><source><path>"
                           "img</path></source><target><size>2048</size>"
                           "</target></memory>"),
      DRV_ERROR_INVALID_ARG, "source path 'img' must be an absolute path" },
    { "pmem-no-source", DEV("<memory model='virtio-pmem'><target><size>2048"
                            "</size></target></memory>"),
      DRV_ERROR_XML_ERROR, "missing <source><path>" },
    { "dimm-source", MAXDEV("<memory model='dimm'><source><path>/x</path>"
                            "</source><target><size>131072</size></target>"
                            "</memory>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memory device 'dimm': <source> is not "
      "supported" },
    { "qemu-ns",
      "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
      "<name>t</name><memory>1024</memory>" OS
      "<qemu:commandline><qemu:arg value='-s'/></qemu:commandline></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "element 'commandline' in namespace 'http://libvirt.org/schemas/domain/qemu/1.0'" },
    { "feature-hyperv", DOM("<features><acpi/><hyperv mode='custom'/></features>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "feature 'hyperv'" },
    { "cpu-model", DOM("<cpu mode='custom'><model>Skylake</model></cpu>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "cpu element 'model'" },
    { "clock-variable", DOM("<clock offset='variable' adjustment='10'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "clock offset 'variable'" },
    { "os-xen", HEAD "<os><type>xen</type></os></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "os type 'xen'" },
    { "os-arch", HEAD "<os><type arch='aarch64'>hvm</type>"
      "<kernel>/k</kernel></os></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "os arch 'aarch64'" },
    { "os-firmware", HEAD "<os firmware='efi'><type>hvm</type></os></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "os firmware 'efi'" },
    { "os-nvram", HEAD "<os><type>hvm</type><loader>/fw</loader>"
      "<nvram>/var/nv</nvram></os></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "os element 'nvram'" },
    { "virt-qemu", "<domain type='qemu'><name>t</name></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "domain type 'qemu'" },
    { "disk-block", DEV("<disk type='block' device='disk'>"
                        "<source dev='/dev/sdb'/><target dev='vda'/></disk>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk type 'block'" },
    { "disk-network", DEV("<disk type='network'><target dev='vda'/></disk>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk type 'network'" },
    { "disk-volume-nosource", DEV("<disk type='volume'><source pool='p'/>"
                                  "<target dev='vda'/></disk>"),
      DRV_ERROR_XML_ERROR, "<disk type='volume'> needs <source pool='POOL' volume='VOLUME'/>" },
    { "disk-cdrom", DISK(" type='file' device='cdrom'", "<target dev='hdc'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk device 'cdrom'" },
    { "disk-sata", DISK("", "<target dev='sda' bus='sata'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk bus 'sata' is not supported by nimbus" },
    { "disk-ide", DISK("", "<target dev='hda' bus='ide'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk bus 'ide'" },
    { "disk-usb", DISK("", "<target dev='sda' bus='usb'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk bus 'usb'" },
    { "disk-scsi-implied", DISK("", "<target dev='sdb'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk bus 'scsi'" },
    { "disk-vmdk", DISK("", "<driver name='qemu' type='vmdk'/>"
                            "<target dev='vda' bus='virtio'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk format 'vmdk'" },
    { "disk-relative", DEV("<disk type='file'><source file='img/a.raw'/>"
                           "<target dev='vda'/></disk>"),
      DRV_ERROR_INVALID_ARG, "disk source 'img/a.raw' must be an absolute path" },
    { "disk-nosource", DEV("<disk type='file'><target dev='vda'/></disk>"),
      DRV_ERROR_INVALID_ARG, "disk 'vda' has no <source file=...>" },
    { "disk-duplicate",
      DEV("<disk><source file='/a'/><target dev='vda'/></disk>"
          "<disk><source file='/b'/><target dev='vda'/></disk>"),
      DRV_ERROR_INVALID_ARG, "target 'vda' duplicated for disk sources '/a' and '/b'" },
    /* <disk type='vhostuser'> (disk-vhostuser.c). */
#define VHD_SRC "<source type='unix' path='/run/vhd.sock'/>"
#define VHD(attrs, body) \
    SHARED_DEV("<disk type='vhostuser'" attrs ">" body "</disk>")
#define VHD_OPT(body) VHD("", VHD_SRC "<target dev='vdb'/>" body)
    { "vhd-no-shared-memory",
      DEV("<disk type='vhostuser'>" VHD_SRC "<target dev='vdb'/></disk>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "disk 'vdb': vhost-user needs shared memory: add <memoryBacking>" },
    { "vhd-no-source", VHD("", "<target dev='vdb'/>"), DRV_ERROR_XML_ERROR,
      "<disk type='vhostuser'> needs <source type='unix' path='...'/>" },
    { "vhd-no-path", VHD("", "<source type='unix'/><target dev='vdb'/>"),
      DRV_ERROR_XML_ERROR, "<disk type='vhostuser'> needs <source path='...'/>" },
    { "vhd-no-type", VHD("", "<source path='/run/vhd.sock'/>"
                             "<target dev='vdb'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "vhostuser disk source type '' is not supported by nimbus (only 'unix')" },
    { "vhd-relative", VHD("", "<source type='unix' path='vhd.sock'/>"
                              "<target dev='vdb'/>"),
      DRV_ERROR_INVALID_ARG,
      "disk 'vdb': vhostuser source path 'vhd.sock' must be an absolute path" },
    { "vhd-long-path", VHD("", "<source type='unix' path='/run/"
                               "0123456789012345678901234567890123456789"
                               "0123456789012345678901234567890123456789"
                               "0123456789012345678901234567890123456789"
                               "0123456789.sock'/><target dev='vdb'/>"),
      DRV_ERROR_INVALID_ARG, "is longer than a UNIX socket path may be" },
    { "vhd-reconnect",
      VHD("", "<source type='unix' path='/run/vhd.sock'>"
              "<reconnect enabled='yes' timeout='10'/></source>"
              "<target dev='vdb'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "<reconnect> is not supported by nimbus" },
    { "vhd-cdrom", VHD(" device='cdrom'", VHD_SRC "<target dev='vdb'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk device 'cdrom'" },
    { "vhd-scsi", VHD("", VHD_SRC "<target dev='sdb' bus='scsi'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk bus 'scsi' is not supported by nimbus" },
    { "vhd-qcow2", VHD("", "<driver name='qemu' type='qcow2'/>" VHD_SRC
                           "<target dev='vdb'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "disk 'vdb': <driver type> other than 'raw' is not supported by nimbus "
      "on a vhostuser disk (the vhost-user back end decides" },
    { "vhd-cache", VHD_OPT("<driver cache='none'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk 'vdb': <driver cache> is not supported" },
    { "vhd-io", VHD_OPT("<driver io='native'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk 'vdb': <driver io> is not supported" },
    { "vhd-discard", VHD_OPT("<driver discard='unmap'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk 'vdb': <driver discard> is not supported" },
    { "vhd-readonly", VHD_OPT("<readonly/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk 'vdb': <readonly/> is not supported" },
    { "vhd-shareable", VHD_OPT("<shareable/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk 'vdb': <shareable/> is not supported" },
    { "vhd-serial", VHD_OPT("<serial>S1</serial>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk 'vdb': <serial> is not supported" },
    { "vhd-iotune",
      VHD_OPT("<iotune><total_bytes_sec>1048576</total_bytes_sec></iotune>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk 'vdb': <iotune> is not supported" },
    { "vhd-iotune-group",
      VHD_OPT("<iotune><group_name>g</group_name></iotune>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "disk 'vdb': <iotune> is not supported" },
    { "vhd-same-socket",
      SHARED_DEV("<disk type='vhostuser'>" VHD_SRC "<target dev='vdb'/></disk>"
                 "<disk type='vhostuser'>" VHD_SRC "<target dev='vdc'/></disk>"),
      DRV_ERROR_INVALID_ARG,
      "disks 'vdb' and 'vdc' use the same vhostuser source path '/run/vhd.sock'" },
    { "vhd-duplicate-target",
      SHARED_DEV("<disk><source file='/a'/><target dev='vdb'/></disk>"
                 "<disk type='vhostuser'>" VHD_SRC "<target dev='vdb'/></disk>"),
      DRV_ERROR_INVALID_ARG,
      "target 'vdb' duplicated for disk sources '/a' and '/run/vhd.sock'" },
    { "disk-badtarget", DISK("", "<target dev='vd1' bus='virtio'/>"),
      DRV_ERROR_INVALID_ARG, "disk target 'vd1'" },
    { "disk-notarget", DISK("", ""), DRV_ERROR_XML_ERROR, "target" },
#define IOTUNE(t) DISK("", "<target dev='vda'/><iotune>" t "</iotune>")
    { "iotune-read", IOTUNE("<read_bytes_sec>1000</read_bytes_sec>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "disk 'vda': iotune read_bytes_sec is not supported by nimbus (one "
      "limit for reads and writes together: use the total_* limits)" },
    { "iotune-write-iops", IOTUNE("<write_iops_sec>10</write_iops_sec>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "iotune write_iops_sec is not supported" },
    { "iotune-size-iops", IOTUNE("<total_iops_sec>10</total_iops_sec>"
                                 "<size_iops_sec>4096</size_iops_sec>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "iotune size_iops_sec is not supported" },
    { "iotune-max-alone", IOTUNE("<total_bytes_sec_max>10</total_bytes_sec_max>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "disk 'vda': total_bytes_sec_max needs total_bytes_sec" },
    { "iotune-max-below", IOTUNE("<total_iops_sec>100</total_iops_sec>"
                                 "<total_iops_sec_max>10</total_iops_sec_max>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "total_iops_sec_max=10 is below total_iops_sec=100" },
    { "iotune-inexact", IOTUNE("<total_bytes_sec>3</total_bytes_sec>"
                               "<total_bytes_sec_max>1000</total_bytes_sec_max>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "not a whole number of milliseconds" },
    { "iotune-group-nolimit", IOTUNE("<group_name>g</group_name>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "iotune group_name 'g' without a limit" },
    { "iotune-nan", IOTUNE("<total_bytes_sec>lots</total_bytes_sec>"),
      DRV_ERROR_XML_ERROR, "/domain/devices/disk/iotune" },
    { "iotune-group-differs",
      DEV("<disk><source file='/a'/><target dev='vda'/><iotune>"
          "<total_iops_sec>10</total_iops_sec><group_name>g</group_name>"
          "</iotune></disk>"
          "<disk><source file='/b'/><target dev='vdb'/><iotune>"
          "<total_iops_sec>20</total_iops_sec><group_name>g</group_name>"
          "</iotune></disk>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "disks 'vda' and 'vdb' are in iotune group 'g' with different limits" },
#undef IOTUNE
    { "disk-typo-attr", DISK("", "<target dev='vda' bus='virtio' foo='1'/>"),
      DRV_ERROR_XML_ERROR,
      "/domain/devices/disk/target (line 1): Invalid attribute foo for element target" },
    { "disk-typo-elem", DISK("", "<target dev='vda'/><readonyl/>"),
      DRV_ERROR_XML_ERROR, "readonyl" },
    { "device-typo", DEV("<disc/>"), DRV_ERROR_XML_ERROR, "disc" },
    { "iface-direct", DEV("<interface type='direct'><source dev='eth0' mode='bridge'/>"
                          "</interface>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "interface type 'direct' is not supported by nimbus" },
    { "iface-user", DEV("<interface type='user'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "interface type 'user'" },
    { "iface-network-nosource", DEV("<interface type='network'/>"),
      DRV_ERROR_XML_ERROR, "<interface type='network'> needs <source network='NAME'/>" },
    { "iface-bridge-nosource", DEV("<interface type='bridge'><source network='x'/></interface>"),
      DRV_ERROR_XML_ERROR, "<interface type='bridge'> needs <source bridge='NAME'/>" },
    { "iface-bridge-managed", DEV("<interface type='bridge'><source bridge='br0'/>"
                                  "<target dev='t0' managed='no'/></interface>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "<target managed> is not supported by nimbus on interface" },
    { "iface-bridge-ip", DEV("<interface type='bridge'><source bridge='br0'/>"
                             "<ip address='10.0.0.1'/></interface>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "<ip> is not supported by nimbus on interface type 'bridge'" },
    { "iface-e1000", NET("<model type='e1000'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "interface model 'e1000'" },
    { "iface-badmac", NET("<mac address='52:54:00:zz:00:01'/>"),
      DRV_ERROR_XML_ERROR, "/domain/devices/interface/mac" },
    { "iface-multicast", NET("<mac address='01:00:5e:00:00:01'/>"),
      DRV_ERROR_INVALID_ARG, "expected unicast mac address, found multicast '01:00:5e:00:00:01'" },
    { "iface-longtap", NET("<target dev='tap-name-too-long0'/>"),
      DRV_ERROR_INVALID_ARG, "'tap-name-too-long0' is not a valid network interface name" },
    { "iface-sametap", DEV("<interface type='ethernet'><target dev='tap0'/></interface>"
                           "<interface type='ethernet'><target dev='tap0'/></interface>"),
      DRV_ERROR_INVALID_ARG, "interface target dev 'tap0' is used twice" },
    { "iface-samemac", DEV("<interface type='ethernet'><mac address='52:54:00:00:00:01'/></interface>"
                           "<interface type='ethernet'><mac address='52:54:00:00:00:01'/></interface>"),
      DRV_ERROR_INVALID_ARG, "mac address '52:54:00:00:00:01' is used by two interfaces" },
    { "iface-prefix", NET("<ip address='10.0.0.1' prefix='33'/>"),
      DRV_ERROR_INVALID_ARG, "interface ip '10.0.0.1'" },
    { "iface-queues", NET("<driver rx_queue_size='256' tx_queue_size='512'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "rx_queue_size and tx_queue_size must be equal" },
    /* <interface type='vhostuser'> (net-vhostuser.c). */
#define VHU(src, extra) \
    SHARED_DEV("<interface type='vhostuser'>" src extra "</interface>")
#define VHU_SRC "<source type='unix' path='/run/vu.sock' mode='client'/>"
    { "vhostuser-no-shared-memory",
      DEV("<interface type='vhostuser'>" VHU_SRC "</interface>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "interface vhostuser '/run/vu.sock': vhost-user needs shared memory: "
      "add <memoryBacking>" },
    { "vhostuser-no-source", VHU("", ""), DRV_ERROR_XML_ERROR,
      "<interface type='vhostuser'> needs <source type='unix'" },
    { "vhostuser-no-mode",
      VHU("<source type='unix' path='/run/vu.sock'/>", ""),
      DRV_ERROR_XML_ERROR, "needs <source mode='client'/> or mode='server'" },
    { "vhostuser-no-path", VHU("<source type='unix' mode='server'/>", ""),
      DRV_ERROR_XML_ERROR, "needs <source path='...'/>" },
    { "vhostuser-reconnect",
      VHU("<source type='unix' path='/run/vu.sock' mode='client'>"
          "<reconnect enabled='yes' timeout='10'/></source>", ""),
      DRV_ERROR_CONFIG_UNSUPPORTED, "<reconnect> is not supported by nimbus" },
    { "vhostuser-target", VHU(VHU_SRC, "<target dev='vnet7'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "<target> is not supported by nimbus on interface type 'vhostuser'" },
    { "vhostuser-bandwidth",
      VHU(VHU_SRC, "<bandwidth><inbound average='1024'/>"
          "<outbound average='1024'/></bandwidth>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "<bandwidth> is not supported by nimbus (the vhost-user back end" },
#define BW(b) NET("<mac address='52:54:00:00:00:09'/><bandwidth>" b "</bandwidth>")
    { "bandwidth-inbound-only", BW("<inbound average='1024'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "interface '52:54:00:00:00:09': bandwidth inbound and outbound must be "
      "equal: nimbus limits both directions of a NIC with one rate limiter "
      "config (inbound average=1024 burst=0, outbound average=0 burst=0)" },
    { "bandwidth-unequal", BW("<inbound average='1024'/><outbound average='2048'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "bandwidth inbound and outbound must be equal" },
    { "bandwidth-peak", BW("<inbound average='1024' peak='2048' burst='64'/>"
                           "<outbound average='1024' peak='2048' burst='64'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "interface '52:54:00:00:00:09': bandwidth inbound peak is not supported by "
      "nimbus (its token bucket sends a burst at line rate: use average and burst)" },
    { "bandwidth-floor", BW("<inbound average='1024' floor='512'/>"
                            "<outbound average='1024'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "bandwidth inbound floor is not supported by nimbus" },
    { "bandwidth-burst-alone", BW("<inbound burst='64'/><outbound burst='64'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "bandwidth inbound burst needs inbound average" },
    { "bandwidth-inexact", BW("<inbound average='3' burst='1'/>"
                              "<outbound average='3' burst='1'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "bandwidth inbound burst=1 KiB refilled at average=3 KiB/s is not a whole "
      "number of milliseconds" },
    { "bandwidth-nan", BW("<inbound average='fast'/><outbound average='1'/>"),
      DRV_ERROR_XML_ERROR, "/domain/devices/interface/bandwidth" },
    /* libvirt has no outbound floor: the schema refuses it. */
    { "bandwidth-outbound-floor", BW("<outbound average='1' floor='1'/>"),
      DRV_ERROR_XML_ERROR, "/domain/devices/interface/bandwidth" },
#undef BW
    { "serial-tcp", DEV("<serial type='tcp'><source mode='bind'/></serial>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "serial type 'tcp'" },
    { "console-unix", DEV("<console type='unix'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "console type 'unix'" },
    { "serial-two", DEV("<serial type='pty'/><serial type='pty'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "one serial device, got 2" },
    { "serial-port1", DEV("<serial type='pty'><target port='1'/></serial>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "serial port 1" },
    { "serial-pci", DEV("<serial type='pty'><target type='pci-serial'/></serial>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "serial target type 'pci-serial'" },
    { "serial-relative", DEV("<serial type='file'><source path='out.log'/></serial>"),
      DRV_ERROR_INVALID_ARG, "serial source path 'out.log' must be an absolute path" },
    { "console-xen", DEV("<console type='pty'><target type='xen'/></console>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "console target type 'xen'" },
    { "console-two-virtio",
      DEV("<console type='pty'><target type='virtio'/></console>"
          "<console type='pty'><target type='virtio'/></console>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "one virtio console, got 2" },
    { "rng-egd", DEV("<rng model='virtio'><backend model='egd' type='tcp'/></rng>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "rng backend 'egd'" },
    { "rng-two", DEV("<rng model='virtio'><backend model='random'/></rng>"
                     "<rng model='virtio'><backend model='random'/></rng>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "one rng device, got 2" },
    { "rng-transitional",
      DEV("<rng model='virtio-transitional'><backend model='random'/></rng>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "rng model 'virtio-transitional'" },
    { "rng-relative", DEV("<rng model='virtio'><backend model='random'>urandom</backend></rng>"),
      DRV_ERROR_INVALID_ARG, "rng backend 'urandom' must be an absolute path" },
    { "vsock-transitional",
      DEV("<vsock model='virtio-transitional'><cid auto='yes'/></vsock>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "vsock model 'virtio-transitional' is not supported by nimbus (use "
      "model='virtio')" },
    { "vsock-no-cid", DEV("<vsock model='virtio'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "vsock: the guest CID is needed" },
    { "vsock-auto-no", DEV("<vsock><cid auto='no'/></vsock>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "vsock: the guest CID is needed" },
    { "vsock-cid-host", DEV("<vsock><cid address='2'/></vsock>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "vsock: cid address '2' is reserved (a guest CID is between 3 and "
      "4294967294)" },
    { "vsock-two", DEV("<vsock><cid address='3'/></vsock>"
                       "<vsock><cid address='4'/></vsock>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "only one <vsock> device is supported" },
    { "panic-isa", DEV("<panic model='isa'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "panic model 'isa' is not supported by nimbus (use model='pvpanic', "
      "a PCI device)" },
    { "panic-no-model", DEV("<panic/>"), DRV_ERROR_CONFIG_UNSUPPORTED,
      "panic model '' is not supported by nimbus" },
    { "panic-two", DEV("<panic model='pvpanic'/><panic model='pvpanic'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "only one <panic> device is supported" },
    { "tpm-tis", DEV("<tpm model='tpm-tis'><backend type='emulator' "
                     "version='2.0'/></tpm>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "tpm model 'tpm-tis' is not supported by nimbus (use model='tpm-crb': "
      "nimbus's TPM 2.0 has the CRB interface only)" },
    { "tpm-no-model", DEV("<tpm><backend type='emulator'/></tpm>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "tpm model '' is not supported" },
    { "tpm-passthrough", DEV("<tpm model='tpm-crb'><backend "
                             "type='passthrough'><device path='/dev/tpm0'/>"
                             "</backend></tpm>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "tpm: backend type 'passthrough' is not supported: use "
      "type='emulator' (swtpm, which nimbusd starts)" },
    { "tpm-1.2", DEV("<tpm model='tpm-crb'><backend type='emulator' "
                     "version='1.2'/></tpm>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "tpm: backend version '1.2' is not "
      "supported" },
    { "tpm-encryption", DEV("<tpm model='tpm-crb'><backend type='emulator'>"
                            "<encryption secret='x'/></backend></tpm>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "tpm: backend element <encryption> is not supported" },
    { "tpm-two", DEV("<tpm model='tpm-crb'><backend type='emulator'/></tpm>"
                     "<tpm model='tpm-crb'><backend type='emulator'/></tpm>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "only one <tpm> device is supported" },
    { "balloon-xen", DEV("<memballoon model='xen'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memballoon model 'xen'" },
    { "controller-sata", DEV("<controller type='sata' index='0'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "controller type 'sata'" },
    { "controller-dup", DEV("<controller type='usb' index='0' model='none'/>"
                            "<controller type='usb' index='0' model='qemu-xhci'/>"),
      DRV_ERROR_INVALID_ARG, "multiple 'usb' controllers with index '0'" },
    /* General values */
    { "memory-zero", "<domain type='kvm'><name>t</name><memory>0</memory>" OS
      "</domain>", DRV_ERROR_INVALID_ARG, "memory size must be greater than 0" },
    { "memory-current", DOM("<currentMemory unit='MiB'>512</currentMemory>"),
      DRV_ERROR_INVALID_ARG,
      "currentMemory (524288 KiB) must not exceed memory (262144 KiB)" },
    { "memory-unit", "<domain type='kvm'><name>t</name>"
      "<memory unit='XB'>1</memory>" OS "</domain>",
      DRV_ERROR_XML_ERROR, "/domain/memory" },
    { "memory-huge", "<domain type='kvm'><name>t</name>"
      "<memory unit='EiB'>99999</memory>" OS "</domain>",
      DRV_ERROR_XML_ERROR, "too large" },
    { "memory-missing", "<domain type='kvm'><name>t</name>" OS "</domain>",
      DRV_ERROR_XML_ERROR, "/domain: missing <memory>" },
    { "vcpu-zero", DOM("<vcpu>0</vcpu>"), DRV_ERROR_INVALID_ARG,
      "vcpu count 0 is out of range (1 to 8192)" },
    { "vcpu-huge", DOM("<vcpu>9000</vcpu>"), DRV_ERROR_INVALID_ARG,
      "vcpu count 9000 is out of range" },
    { "vcpu-current", DOM("<vcpu current='4'>2</vcpu>"), DRV_ERROR_INVALID_ARG,
      "current vcpu count 4 must be between 1 and the maximum 2" },
    { "vcpu-cpuset", DOM("<vcpu cpuset='0-3'>2</vcpu>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "vcpu cpuset" },
    { "vcpu-auto", DOM("<vcpu placement='auto'>2</vcpu>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "vcpu placement 'auto'" },
    { "topology", DOM("<vcpu>4</vcpu><cpu><topology sockets='1' cores='2' "
                      "threads='1'/></cpu>"),
      DRV_ERROR_INVALID_ARG, "doesn't match maximum vcpu count 4" },
    { "topology-missing", DOM("<cpu><topology sockets='1' threads='1'/></cpu>"),
      DRV_ERROR_XML_ERROR, "topology" },
    { "uuid", "<domain type='kvm'><name>t</name><uuid>1234</uuid>"
      "<memory>1024</memory>" OS "</domain>", DRV_ERROR_XML_ERROR, "/domain/uuid" },
    { "name-slash", "<domain type='kvm'><name>a/b</name><memory>1024</memory>" OS
      "</domain>", DRV_ERROR_INVALID_ARG, "domain name 'a/b' must not contain '/'" },
    { "name-twice", "<domain type='kvm'><name>a</name><name>b</name>"
      "<memory>1024</memory>" OS "</domain>",
      DRV_ERROR_XML_ERROR, "element <name> appears more than once" },
    { "title-newline", DOM("<title>a\nb</title>"), DRV_ERROR_INVALID_ARG,
      "title must not contain newlines" },
    { "no-type", "<domain><name>t</name><memory>1024</memory>" OS "</domain>",
      DRV_ERROR_XML_ERROR, "XML document failed to validate against schema" },
    { "no-payload", HEAD "<os><type>hvm</type></os></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "nimbus needs os <kernel>" },
    { "kernel-and-loader", HEAD "<os><type>hvm</type><loader>/fw</loader>"
      "<kernel>/k</kernel></os></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "<loader> and <kernel> together" },
    { "pflash", HEAD "<os><type>hvm</type><loader type='pflash'>/fw</loader>"
      "</os></domain>", DRV_ERROR_CONFIG_UNSUPPORTED, "loader type 'pflash'" },
    { "initrd-no-kernel", HEAD "<os><type>hvm</type><loader>/fw</loader>"
      "<initrd>/i</initrd></os></domain>",
      DRV_ERROR_INVALID_ARG, "need a <kernel>" },
    { "kernel-relative", HEAD "<os><type>hvm</type><kernel>vmlinux</kernel>"
      "</os></domain>", DRV_ERROR_INVALID_ARG, "os kernel 'vmlinux' must be an absolute path" },
    { "on-crash-coredump", DOM("<on_crash>coredump-destroy</on_crash>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "on_crash action 'coredump-destroy'" },
    { "on-reboot-preserve", DOM("<on_reboot>preserve</on_reboot>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "on_reboot action 'preserve'" },
    { "on-crash-coredump-restart",
      DOM("<on_crash>coredump-restart</on_crash>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "on_crash action 'coredump-restart' is not supported by nimbus (use "
      "'destroy', 'restart' or 'preserve')" },
    { "on-crash-rename-restart",
      DOM("<on_crash>rename-restart</on_crash>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "on_crash action 'rename-restart'" },
    { "on-poweroff-typo", DOM("<on_poweroff>destory</on_poweroff>"),
      DRV_ERROR_XML_ERROR, "on_poweroff" },
    { "alias-dup", DEV("<disk><source file='/a'/><target dev='vda'/><alias name='ua-x'/></disk>"
                       "<rng model='virtio'><backend model='random'/><alias name='ua-x'/></rng>"),
      DRV_ERROR_INVALID_ARG, "non unique alias detected: ua-x" },
    { "boot-order-dup", DEV("<disk><source file='/a'/><target dev='vda'/><boot order='1'/></disk>"
                            "<disk><source file='/b'/><target dev='vdb'/><boot order='1'/></disk>"),
      DRV_ERROR_INVALID_ARG, "boot order '1' used for more than one device" },
    { "boot-mixed", HEAD "<os><type>hvm</type><kernel>/k</kernel><boot dev='hd'/></os>"
      "<devices><disk><source file='/a'/><target dev='vda'/><boot order='1'/></disk>"
      "</devices></domain>",
      DRV_ERROR_INVALID_ARG, "per-device boot elements cannot be used together with os/boot" },
};

static void
test_bad(gconstpointer data)
{
    const BadCase *c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def = domain_def_parse_string(c->xml,
                                                       DOMAIN_DEF_PARSE_INACTIVE,
                                                       &error);

    g_assert_null(def);
    g_assert_nonnull(error);
    g_test_message("%s: [%d] %s", c->name, error->code, error->message);
    g_assert_true(error->domain == DRV_ERROR);
    g_assert_cmpint(error->code, ==, c->code);
    if (!strstr(error->message, c->message)) {
        g_test_message("expected the message to contain: %s", c->message);
        g_test_fail();
    }
    /* One line: the RPC layer sends it as is. */
    g_assert_null(strchr(error->message, '\n'));
}

/* The "no-type" case above shows that a schema violation is fatal
 * whatever the flags: nimbusd validates every definition (see
 * docs/xml-format.md), DOMAIN_DEF_PARSE_VALIDATE or not. */
static void
test_validate_flag(void)
{
    static const char xml[] = DEV("<disk><source file='/a'/>"
                                  "<target dev='vda' foo='bar'/></disk>");
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;

    g_assert_null(domain_def_parse_string(xml, 0, &e1));
    g_assert_error(e1, DRV_ERROR, DRV_ERROR_XML_ERROR);
    g_assert_null(domain_def_parse_string(xml, DOMAIN_DEF_PARSE_VALIDATE, &e2));
    g_assert_error(e2, DRV_ERROR, DRV_ERROR_XML_ERROR);
}

static DomainDef *
parse_ok(const char *xml, unsigned flags)
{
    g_autoptr(GError) error = NULL;
    DomainDef *def = domain_def_parse_string(xml, flags, &error);

    g_assert_no_error(error);
    g_assert_nonnull(def);
    return def;
}

static char *
format_ok(const DomainDef *def, int id, unsigned flags)
{
    g_autoptr(GError) error = NULL;
    char *xml = domain_def_format(def, id, flags, &error);

    g_assert_no_error(error);
    return xml;
}

static void
test_uuid(void)
{
    unsigned char u[16], v[16];
    char s[37];

    g_assert_true(domain_uuid_parse("c7a5fdbd-edaf-4455-926a-d65c16db1809", u));
    domain_uuid_format(u, s);
    g_assert_cmpstr(s, ==, "c7a5fdbd-edaf-4455-926a-d65c16db1809");
    g_assert_true(domain_uuid_parse(" C7A5FDBDEDAF4455926AD65C16DB1809 \n", v));
    g_assert_cmpmem(u, 16, v, 16);
    g_assert_false(domain_uuid_parse("c7a5fdbd-edaf-4455-926a-d65c16db180", u));
    g_assert_false(domain_uuid_parse("c7a5fdbd-edaf-4455-926a-d65c16db18090", u));
    g_assert_false(domain_uuid_parse("g7a5fdbd-edaf-4455-926a-d65c16db1809", u));
    g_assert_false(domain_uuid_parse("", u));
    g_assert_false(domain_uuid_parse(NULL, u));

    domain_uuid_generate(u);
    domain_uuid_generate(v);
    g_assert_true(memcmp(u, v, 16) != 0);
    /* RFC 4122 version 4, variant 10xx */
    g_assert_cmpint(u[6] >> 4, ==, 4);
    g_assert_cmpint(u[8] >> 6, ==, 2);
}

static void
test_defaults(void)
{
    g_autoptr(DomainDef) def =
        parse_ok("<domain type='kvm'><name>d</name><memory unit='MiB'>64</memory>"
                 OS "<devices><interface type='ethernet'/><console type='pty'/>"
                 "</devices></domain>", DOMAIN_DEF_PARSE_INACTIVE);
    g_autofree char *xml = format_ok(def, -1, DOMAIN_DEF_FORMAT_INACTIVE);
    unsigned char zero[16] = { 0 };
    char uuid[37];
    const char *mac;

    g_assert_cmpstr(def->name, ==, "d");
    g_assert_true(memcmp(def->uuid, zero, 16) != 0);
    domain_uuid_format(def->uuid, uuid);
    g_assert_nonnull(strstr(xml, uuid));
    g_assert_cmpuint(def->max_memory_kib, ==, 65536);
    g_assert_cmpuint(def->current_memory_kib, ==, 65536);
    g_assert_cmpuint(def->vcpus, ==, 1);
    g_assert_cmpuint(def->max_vcpus, ==, 1);
    g_assert_cmpint(def->on_poweroff, ==, DOMAIN_LIFECYCLE_DESTROY);
    g_assert_cmpint(def->on_reboot, ==, DOMAIN_LIFECYCLE_RESTART);
    g_assert_cmpint(def->on_crash, ==, DOMAIN_LIFECYCLE_DESTROY);
    /* <console type='pty'/> became serial 0 plus its console alias. */
    g_assert_cmpint(def->serial_type, ==, DOMAIN_CHR_PTY);
    g_assert_cmpint(def->console_type, ==, DOMAIN_CHR_NONE);
    g_assert_nonnull(strstr(xml, "<serial type='pty'>\n      <target port='0'/>"));
    g_assert_nonnull(strstr(xml, "<target type='serial' port='0'/>"));
    g_assert_nonnull(strstr(xml, "<type arch='x86_64' machine='nimbus'>hvm</type>"));
    g_assert_nonnull(strstr(xml, "<model type='virtio'/>"));
    mac = strstr(xml, "<mac address='");
    g_assert_nonnull(mac);
    g_assert_true(g_str_has_prefix(mac + strlen("<mac address='"), "52:54:00:"));
}

static const char live_xml[] =
    "<domain type='kvm' id='4'><name>live</name>" UUID
    "<memory>1024</memory>" OS "<devices>"
    "<disk><source file='/a'/><target dev='vda'/><alias name='virtio-disk0'/></disk>"
    "<serial type='pty'><source path='/dev/pts/3'/></serial>"
    "<console type='pty'><source path='/dev/pts/8'/><target type='virtio'/></console>"
    "</devices></domain>";

static void
test_live_data(void)
{
    g_autoptr(DomainDef) inactive = parse_ok(live_xml, DOMAIN_DEF_PARSE_INACTIVE);
    g_autoptr(DomainDef) live = parse_ok(live_xml, 0);
    g_autofree char *a = format_ok(inactive, 4, 0);
    g_autofree char *b = format_ok(live, 4, 0);
    g_autofree char *c = format_ok(live, 4, DOMAIN_DEF_FORMAT_INACTIVE);
    g_autofree char *d = format_ok(live, -1, DOMAIN_DEF_FORMAT_SECURE);

    /* PARSE_INACTIVE drops pty paths and driver-assigned aliases. */
    g_assert_null(inactive->serial_path);
    g_assert_null(strstr(a, "/dev/pts/"));
    g_assert_null(strstr(a, "virtio-disk0"));
    g_assert_true(g_str_has_prefix(a, "<domain type='kvm' id='4'>\n"));
    g_assert_cmpstr(live->serial_path, ==, "/dev/pts/3");
    g_assert_cmpstr(live->console_path, ==, "/dev/pts/8");
    g_assert_cmpint(live->console_type, ==, DOMAIN_CHR_PTY);
    g_assert_nonnull(strstr(b, "<source path='/dev/pts/3'/>"));
    g_assert_nonnull(strstr(b, "<console type='pty' tty='/dev/pts/3'>"));
    g_assert_nonnull(strstr(b, "<console type='pty' tty='/dev/pts/8'>"));
    g_assert_nonnull(strstr(b, "<alias name='virtio-disk0'/>"));
    /* FORMAT_INACTIVE drops the id and the ptys. */
    g_assert_true(g_str_has_prefix(c, "<domain type='kvm'>\n"));
    g_assert_null(strstr(c, "/dev/pts/"));
    g_assert_true(g_str_has_prefix(d, "<domain type='kvm'>\n"));
}

static void
test_set_paths(void)
{
    g_autoptr(DomainDef) def = parse_ok(live_xml, DOMAIN_DEF_PARSE_INACTIVE);
    g_autoptr(DomainDef) file = NULL;
    g_autofree char *live = NULL;
    g_autofree char *inactive = NULL;

    domain_def_set_serial_path(def, "/dev/pts/11");
    domain_def_set_console_path(def, "/dev/pts/12");
    g_assert_cmpstr(def->serial_path, ==, "/dev/pts/11");
    g_assert_cmpstr(def->console_path, ==, "/dev/pts/12");
    live = format_ok(def, 2, 0);
    g_assert_nonnull(strstr(live, "<serial type='pty'>\n      <source path='/dev/pts/11'/>"));
    g_assert_nonnull(strstr(live, "<console type='pty' tty='/dev/pts/11'>"));
    g_assert_nonnull(strstr(live, "<console type='pty' tty='/dev/pts/12'>"));
    inactive = format_ok(def, 2, DOMAIN_DEF_FORMAT_INACTIVE);
    g_assert_null(strstr(inactive, "/dev/pts/"));
    domain_def_set_serial_path(def, NULL);
    g_assert_null(def->serial_path);

    /* A file serial keeps its configured path. */
    file = parse_ok(DEV("<serial type='file'><source path='/log/s'/></serial>"),
                    DOMAIN_DEF_PARSE_INACTIVE);
    g_assert_cmpint(file->serial_type, ==, DOMAIN_CHR_FILE);
    domain_def_set_serial_path(file, "/dev/pts/1");
    g_assert_cmpstr(file->serial_path, ==, "/log/s");
}

static void
test_copy(void)
{
    g_autoptr(DomainDef) def = parse_ok(live_xml, 0);
    g_autoptr(DomainDef) copy = NULL;
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    g_free(def->title);
    def->title = g_strdup("changed by the driver");
    copy = domain_def_copy(def);
    g_assert_nonnull(copy);
    a = format_ok(def, 3, 0);
    b = format_ok(copy, 3, 0);
    g_assert_cmpstr(a, ==, b);
    g_assert_cmpstr(copy->serial_path, ==, "/dev/pts/3");
    g_free(copy->name);
    copy->name = g_strdup("other");
    g_assert_cmpstr(def->name, ==, "live");
}

static void
test_vmconfig_pty_serial(void)
{
    g_autoptr(DomainDef) def = parse_ok(live_xml, DOMAIN_DEF_PARSE_INACTIVE);
    g_autoptr(GError) error = NULL;
    g_autofree char *json = domain_def_to_vmconfig_json(def, &error);

    g_assert_no_error(error);
    g_assert_nonnull(strstr(json, "\"serial\" : {\n    \"mode\" : \"Pty\"\n  }"));
    /* vm_config_to_json() writes every field: the console's iommu too. */
    g_assert_nonnull(strstr(json, "\"console\" : {\n    \"mode\" : \"Pty\",\n"
                                  "    \"iommu\" : false\n  }"));
    g_assert_nonnull(strstr(json, "\"id\" : \"vda\""));
}

/* <shmem>: the VMM's rule (a power of two) at define, and the file
 * nimbusd makes at start as QEMU's memory-backend-file would. */
static void
test_shmem(void)
{
    g_autoptr(DomainDef) def = parse_ok(
        DEV("<shmem name='s'><size unit='M'>3</size></shmem>"),
        DOMAIN_DEF_PARSE_INACTIVE);
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(test_tmpdir(), "shm", NULL);
    g_autofree char *data = NULL;
    gsize len = 0;

    g_assert_false(domain_def_check_vmconfig(def, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED);
    g_assert_nonnull(strstr(error->message,
                            "size=3145728 is not a power of two"));
    g_clear_error(&error);

    /* Created with the size, grown, never shrunk, contents kept. */
    g_assert_true(domain_shmem_prepare_file(path, 1 << 20, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, ==, 1 << 20);
    g_clear_pointer(&data, g_free);
    g_assert_true(g_file_set_contents(path, "keep", 4, NULL));
    g_assert_true(domain_shmem_prepare_file(path, 2 << 20, &error));
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, ==, 2 << 20);
    g_assert_cmpmem(data, 4, "keep", 4);
    g_clear_pointer(&data, g_free);
    g_assert_true(domain_shmem_prepare_file(path, 1 << 20, &error));
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, ==, 2 << 20);
    /* A directory is no shared memory. */
    g_assert_false(domain_shmem_prepare_file(test_tmpdir(), 1 << 20, &error));
    g_assert_nonnull(error);
    g_test_message("%s", error->message);
    g_clear_error(&error);
    /* A symbolic link planted under the name is not followed: the file it
     * names keeps its size. */
    {
        g_autofree char *target = g_build_filename(test_tmpdir(), "victim",
                                                   NULL);
        g_autofree char *link = g_build_filename(test_tmpdir(), "shm-link",
                                                 NULL);

        g_assert_true(g_file_set_contents(target, "v", 1, NULL));
        g_assert_cmpint(symlink(target, link), ==, 0);
        g_assert_false(domain_shmem_prepare_file(link, 1 << 20, &error));
        g_assert_nonnull(error);
        g_test_message("%s", error->message);
        g_clear_pointer(&data, g_free);
        g_assert_true(g_file_get_contents(target, &data, &len, NULL));
        g_assert_cmpuint(len, ==, 1);
        unlink(link);
        unlink(target);
    }
    unlink(path);
}

/* nimbusd parses on several worker threads at once. */
static gpointer
parse_thread(gpointer data)
{
    for (int i = 0; i < 50; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) def = domain_def_parse_string(live_xml, 0, &error);
        g_autofree char *xml = NULL;

        if (!def)
            return g_strdup(error->message);
        xml = domain_def_format(def, 1, 0, NULL);
        if (!strstr(xml, "<name>live</name>"))
            return g_strdup("bad output");
    }
    return NULL;
}

static void
test_threads(void)
{
    GThread *threads[4];

    for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
        threads[i] = g_thread_new("parse", parse_thread, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(threads); i++) {
        g_autofree char *err = g_thread_join(threads[i]);
        g_assert_null(err);
    }
}

static void
test_schema_missing(void)
{
    if (g_test_subprocess()) {
        g_autoptr(GError) error = NULL;

        g_setenv("NIMBUS_SCHEMA_DIR", "/nonexistent/schemas", TRUE);
        g_assert_null(domain_def_parse_string(live_xml, 0, &error));
        g_assert_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR);
        g_assert_nonnull(strstr(error->message,
                                "/nonexistent/schemas/domain.rng"));
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* As nimbusd: configs may name device types with a config kind. */
    device_registry_init();
    golden_init_schema_dir();
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/domain-xml/bad/%s",
                                                bad_cases[i].name);
        g_test_add_data_func(path, &bad_cases[i], test_bad);
    }
    g_test_add_func("/domain-xml/validate-flag", test_validate_flag);
    g_test_add_func("/domain-xml/uuid", test_uuid);
    g_test_add_func("/domain-xml/defaults", test_defaults);
    g_test_add_func("/domain-xml/live-data", test_live_data);
    g_test_add_func("/domain-xml/set-paths", test_set_paths);
    g_test_add_func("/domain-xml/copy", test_copy);
    g_test_add_func("/domain-xml/vmconfig-pty", test_vmconfig_pty_serial);
    g_test_add_func("/domain-xml/shmem", test_shmem);
    g_test_add_func("/domain-xml/threads", test_threads);
    g_test_add_func("/domain-xml/schema-missing", test_schema_missing);
    return g_test_run();
}
