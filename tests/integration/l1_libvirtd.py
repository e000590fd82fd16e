# SPDX-License-Identifier: Apache-2.0
# A private root libvirtd for integration tests: its default NAT network
# (bridge, dnsmasq, iptables) and a default dir pool, in namespaces of
# the test's own.
#
# nimbusd forwards networks, pools and volumes to libvirtd (docs/nimbusd.md
# "Networks and storage: libvirtd's").  A real bridged network needs a root
# libvirtd, which keeps its state in fixed system paths (/etc/libvirt,
# /var/lib/libvirt, /run/libvirt, ...).  The test program calls
# enter_namespaces() first: it re-executes itself in a new mount and network
# namespace, where those paths are fresh tmpfs mounts and virbr0 is the
# test's own; the host's (or the harness L1's) libvirtd, files and
# interfaces are never touched, natively or emulated.  A root nimbusd's
# default libvirtd URI, qemu:///system, reaches this libvirtd there
# (its socket is /run/libvirt/libvirt-sock).
#
# Usage (after the with-kvm re-exec, as root):
#   l1_libvirtd.enter_namespaces()
#   lv = l1_libvirtd.Libvirtd(tmp); lv.start()
#   lv.start_default_network(); lv.start_default_pool(path)
#   ...; lv.stop()
import os
import subprocess
import sys
import time

LIBVIRTD = "/usr/sbin/libvirtd"
# What a root libvirtd writes; each becomes an empty tmpfs in the test's
# mount namespace.
SYSTEM_DIRS = ("/etc/libvirt", "/var/lib/libvirt", "/var/cache/libvirt",
               "/run/libvirt", "/var/log/libvirt")
SOCKET = "/run/libvirt/libvirt-sock"
URI = "qemu+unix:///system?socket=" + SOCKET
NS_ENV = "NIMBUS_L1_LIBVIRTD_NS"

# Debian's libvirt-daemon-config-network default.xml: the network that
# virt-install and virt-manager pick by default.
GATEWAY = "192.168.122.1"
DEFAULT_NETWORK = """<network>
  <name>default</name>
  <bridge name='virbr0'/>
  <forward mode='nat'/>
  <ip address='%s' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
""" % GATEWAY

# iptables-nft's modules for libvirt's NAT rules (filter, nat and mangle
# chains; conntrack, MASQUERADE, REJECT and CHECKSUM targets).  The
# emulated L1's kernel can load on demand only the modules its initramfs
# carries (tests/harness/assets), so these come from the assets' kernel
# tree ahead of time; a native host loads them on demand.
NETFILTER_MODULES = (
    "nf_tables", "nft_compat", "nft_chain_nat", "nft_ct", "nft_masq",
    "nft_nat", "nft_reject_ipv4", "nft_reject_ipv6", "nf_nat",
    "nf_conntrack", "xt_conntrack", "xt_state", "xt_MASQUERADE",
    "xt_CHECKSUM", "xt_tcpudp", "xt_addrtype", "ipt_REJECT", "ip6t_REJECT")


def run(args, check=True, timeout=120):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("%s: %s%s" % (" ".join(args), r.stdout, r.stderr))
    return r


def enter_namespaces():
    """Re-executes the program in a new mount and network namespace (once;
    returns there).  Needs root, as libvirtd's bridges and firewall do."""
    if os.environ.get(NS_ENV) == "1":
        return
    if os.geteuid() != 0:
        raise SystemExit("a root libvirtd with a bridged network needs root "
                         "(the emulated harness runs tests as root)")
    os.environ[NS_ENV] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp("unshare", ["unshare", "--mount", "--net",
                          "--propagation", "private", sys.executable]
              + sys.argv)


def load_netfilter_modules():
    """Loads NETFILTER_MODULES from the guest assets' kernel tree when
    running in the emulated L1 (whose kernel that is)."""
    if os.environ.get("NIMBUS_HARNESS_MODE") != "emulated":
        return
    root = os.path.join(os.environ["NIMBUS_ASSETS_DIR"], "kernel")
    # One modprobe for all: each process costs the emulated CPU a second.
    run(["modprobe", "-d", root, "-a"] + list(NETFILTER_MODULES))


class Libvirtd:
    """A root libvirtd whose state lives in tmpfs mounts of this mount
    namespace; its log and config under @tmp/libvirtd."""

    def __init__(self, tmp):
        assert os.environ.get(NS_ENV) == "1", "call enter_namespaces() first"
        self.dir = os.path.join(tmp, "libvirtd")
        self.conf = os.path.join(self.dir, "libvirtd.conf")
        self.log = os.path.join(self.dir, "libvirtd.log")
        self.uri = URI
        self.proc = None
        self.conn = None
        os.makedirs(self.dir, exist_ok=True)
        # No polkit in the test: the socket is root's (0700) anyway.
        with open(self.conf, "w") as f:
            f.write('auth_unix_rw = "none"\nauth_unix_ro = "none"\n'
                    'log_outputs = "3:file:%s"\n' % self.log)

    def start(self):
        run(["ip", "link", "set", "lo", "up"])
        load_netfilter_modules()
        for d in SYSTEM_DIRS:
            os.makedirs(d, exist_ok=True)
            run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d])
        with open(os.path.join(self.dir, "stderr.log"), "ab") as log:
            self.proc = subprocess.Popen(
                [LIBVIRTD, "--config", self.conf, "--pid-file",
                 os.path.join(self.dir, "libvirtd.pid")],
                stdout=log, stderr=log, cwd=self.dir)
        # Under the emulated harness libvirtd takes seconds to load its
        # drivers; a crash still ends the wait at once.
        deadline = time.time() + 90
        while not os.path.exists(SOCKET):
            if self.proc.poll() is not None or time.time() > deadline:
                raise AssertionError("libvirtd did not start (see %s)"
                                     % self.dir)
            time.sleep(0.1)
        import libvirt
        self.conn = libvirt.open(self.uri)

    def start_default_network(self):
        """Defines and starts 'default' (virbr0, dnsmasq, NAT)."""
        net = self.conn.networkDefineXML(DEFAULT_NETWORK)
        net.create()
        return net

    def start_default_pool(self, path):
        """Defines and starts the dir pool 'default' on @path."""
        os.makedirs(path, exist_ok=True)
        pool = self.conn.storagePoolDefineXML(
            "<pool type='dir'><name>default</name><target><path>%s</path>"
            "</target></pool>" % path)
        pool.create()
        return pool

    def stop(self):
        if self.conn:
            # Networks outlive libvirtd (as with systemd): destroyed here,
            # or their dnsmasq would outlive the test.
            try:
                for net in self.conn.listAllNetworks():
                    if net.isActive():
                        net.destroy()
            except Exception as e:
                print("# l1_libvirtd: cannot destroy networks: %s" % e)
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self.proc = None


def links():
    """The namespace's network interfaces, sorted."""
    out = run(["ip", "-o", "link", "show"]).stdout
    return sorted(line.split(":")[1].strip().split("@")[0]
                  for line in out.splitlines() if line.strip())
