#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# cockpit-machines 288 managing nimbus domains through nimbusd's
# qemu_compat mode (issue 17): cockpit-ws with --local-session on
# 127.0.0.1, headless chromium driven by selenium/chromedriver, nimbusd
# with the fake VMM on a private system bus.  TAP output.
#
# As root only: the test re-runs itself in a private mount namespace with
# tmpfs on /run/libvirt and /run/dbus, so qemu:///system's socket and the
# system bus socket cockpit-bridge opens are the test's own and the host's
# are never touched.  Screenshots go to the output directory
# ($NIMBUS_TEST_OUTDIR, default tests/unit/test-nimbusd-cockpit.out in the
# build tree), kept after the run.
#
#   NIMBUS_TEST_KEEP=1          keep the temp directory
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import libvirt
from gi.repository import GLib

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


rv = load("rpcvirsh", "test-rpc-virsh.py")
nd = load("nddbus", "test-nimbusd-dbus.py")
# The private, unprivileged libvirtd of the networks and storage test: its
# networks, pools, host interfaces and node devices reach cockpit through
# nimbusd's forwarding.
lt = load("ndlibvirtd", "test-nimbusd-libvirtd.py")

COCKPIT_WS = "/usr/lib/cockpit/cockpit-ws"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
BUS_SOCK = "/run/dbus/system_bus_socket"
QEMU_SOCK = "/run/libvirt/virtqemud-sock"
OUTDIR = os.environ.get("NIMBUS_TEST_OUTDIR") or os.path.normpath(os.path.join(
    os.environ.get("NIMBUS_TOP_BUILDDIR") or os.path.join(HERE, "..", ".."),
    "tests", "unit", "test-nimbusd-cockpit.out"))
RUNNING, STOPPED = "cockpit-run", "cockpit-off"
UUIDS = {RUNNING: "5f0c7e9a-3b1d-4c2e-9a8f-1e2d3c4b5a61",
         STOPPED: "5f0c7e9a-3b1d-4c2e-9a8f-1e2d3c4b5a62"}

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Ctx:
    pass


def domain_xml(name):
    """virt-install's XML for nimbus, which names no machine type: cockpit
    passes the live XML's <type machine=...> to GetDomainCapabilities and
    drops a VM that has none, so this checks that nimbusd fills in its
    default machine at define, as libvirt does."""
    xml = rv.golden_xml(name, UUIDS[name])
    assert '<type arch="x86_64">' in xml, xml
    return xml


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_conf(tmp, name, text):
    return rv.write(os.path.join(tmp, name), "[nimbusd]\n" + text)


def second_daemon_error(c, conf_text):
    """nimbusd's stderr and status when started with this config file."""
    sub = tempfile.mkdtemp(dir=c.tmp)
    conf = write_conf(sub, "nimbusd.conf", conf_text)
    r = subprocess.run([rv.NIMBUSD, "--listen", os.path.join(sub, "s"), "--dbus=none",
                        "--state-dir", os.path.join(sub, "st"),
                        "--config-dir", os.path.join(sub, "cf"), "--config-file", conf],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=30, env=c.d.env)
    return r.returncode, r.stdout


def shot(c, name):
    c.browser.save_screenshot(os.path.join(OUTDIR, name + ".png"))


def wait_text(c, elem_id, want, what, timeout=60):
    """Waits until element @elem_id reads @want; screenshots on failure."""
    from selenium.common.exceptions import WebDriverException
    last = [None]

    def pred():
        try:
            last[0] = c.browser.find_element("id", elem_id).text.strip()
        except WebDriverException:
            return False
        return last[0] == want
    try:
        rv.wait_for(pred, what, timeout)
    except AssertionError:
        shot(c, "failed-" + elem_id)
        # What the page says instead (e.g. that libvirt is unreachable when
        # cockpit cannot reach org.libvirt on the bus).
        try:
            page = c.browser.find_element("tag name", "body").text[:600]
        except WebDriverException:
            page = "(no page)"
        raise AssertionError("%s: '%s' reads %r, not %r; the page shows: %r"
                             % (what, elem_id, last[0], want, page))


# ---- the compat mode's switch and refusals -------------------------------------


@test
def compat_refusals(c):
    # A daemon already answering qemu:///system (here: the first nimbusd;
    # the check is the same for virtqemud or libvirtd) is not taken over.
    uri = "libvirtd_uri=qemu+unix:///system?socket=%s\n" % c.nolibvirtd
    rc, out = second_daemon_error(c, "qemu_compat=true\n" + uri)
    assert rc != 0 and "is listening on '%s'" % QEMU_SOCK in out, out
    # Forwarding networks to qemu:///system would be nimbusd itself.
    rc, out = second_daemon_error(c, "qemu_compat=true\n")
    assert rc != 0 and "would be nimbusd itself" in out, out
    # Unknown settings and bad values are errors, not ignored.
    rc, out = second_daemon_error(c, "qemu_compat=maybe\n")
    assert rc != 0 and "qemu_compat" in out, out
    rc, out = second_daemon_error(c, "qemu_compatible=true\n")
    assert rc != 0 and "unknown setting 'qemu_compatible'" in out, out
    r = subprocess.run([rv.NIMBUSD, "--config-file", os.path.join(c.tmp, "absent.conf")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=30)
    assert r.returncode != 0 and "absent.conf" in r.stdout, r.stdout


@test
def qemu_system_is_nimbus(c):
    # The URI cockpit's virsh/virt-install use reaches nimbusd, which still
    # says what it is.
    q = libvirt.open("qemu:///system")
    try:
        assert q.getType() == c.conn.getType() == "CH", q.getType()
        assert sorted(d.name() for d in q.listAllDomains()) == \
            sorted(d.name() for d in c.conn.listAllDomains())
        assert q.getCapabilities() == c.conn.getCapabilities()
    finally:
        q.close()
    out = subprocess.run(["virsh", "-c", "qemu:///system", "domstate", RUNNING],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    assert out.strip() == "running", out


@test
def dbus_qemu_path_is_the_connect_object(c):
    for method, sig, args in (("ListDomains", "(u)", (0,)),
                              ("DomainLookupByName", "(s)", (RUNNING,))):
        got = c.bus.value("/org/libvirt/QEMU", nd.C_IFACE, method, GLib.Variant(sig, args))
        want = c.bus.value(nd.CONNECT, nd.C_IFACE, method, GLib.Variant(sig, args))
        assert got == want, (method, got, want)


def bus_client(c):
    return nd.Gio.DBusConnection.new_for_address_sync(
        c.bus.address, nd.Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
        nd.Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)


@test
def dbus_domain_event_once_per_listener(c):
    # The Connect object has two paths here.  Each listener gets each
    # DomainEvent once: cockpit's kind (calls /org/libvirt/QEMU, matches
    # interface and member on any path), a ch:/// client subscribed on
    # /org/libvirt/CH (it called that path), and a listener subscribed on
    # /org/libvirt/QEMU that never called anything.
    got = {"cockpit": [], "ch": [], "qemu": []}
    subs = []

    def listen(conn, key, path):
        subs.append((conn, conn.signal_subscribe(
            nd.NAME, nd.C_IFACE, "DomainEvent", path, None, nd.Gio.DBusSignalFlags.NONE,
            lambda *a: got[key].append((a[2], tuple(a[5].unpack()))))))

    def call(conn, path):
        conn.call_sync(nd.NAME, path, nd.C_IFACE, "ListDomains", GLib.Variant("(u)", (0,)),
                       None, nd.Gio.DBusCallFlags.NONE, 30000, None)
    cockpit, ch, qemu = bus_client(c), bus_client(c), bus_client(c)
    call(cockpit, "/org/libvirt/QEMU")
    listen(cockpit, "cockpit", None)
    call(ch, nd.CONNECT)
    listen(ch, "ch", nd.CONNECT)
    listen(qemu, "qemu", "/org/libvirt/QEMU")
    dom = c.conn.lookupByName(STOPPED)
    dom.create()
    dom.destroy()
    path = c.bus.value(nd.CONNECT, nd.C_IFACE, "DomainLookupByName",
                       GLib.Variant("(s)", (STOPPED,)))[0]
    want = [(path, libvirt.VIR_DOMAIN_EVENT_STARTED, libvirt.VIR_DOMAIN_EVENT_STARTED_BOOTED),
            (path, libvirt.VIR_DOMAIN_EVENT_STOPPED, libvirt.VIR_DOMAIN_EVENT_STOPPED_DESTROYED)]
    try:
        c.bus.pump(lambda: all(len(v) >= 2 for v in got.values()), "DomainEvent signals")
        # A duplicate would arrive right behind the first copy.
        time.sleep(1)
        c.bus.pump(lambda: True, "late signals")
    finally:
        for conn, sub in subs:
            conn.signal_unsubscribe(sub)
        for conn in (cockpit, ch, qemu):
            conn.close_sync(None)
    assert [e for _, e in got["cockpit"]] == want, got["cockpit"]
    assert got["ch"] == [(nd.CONNECT, e) for e in want], got["ch"]
    assert got["qemu"] == [("/org/libvirt/QEMU", e) for e in want], got["qemu"]


@test
def virsh_qemu_system_console(c):
    # The command cockpit's serial-console pane runs, against the fake
    # guest's toy shell.
    class QemuSystem:
        uri = "qemu:///system"
    con = rv.Console(QemuSystem, RUNNING)
    con.sync()
    con.send("hello cockpit\r")
    con.expect("you said: hello cockpit")
    con.send("\x1d")                     # Ctrl-]: virsh finishes
    assert con.wait_exit() == 0


# ---- cockpit-machines ------------------------------------------------------------


@test
def cockpit_lists_domains(c):
    c.browser.get("http://127.0.0.1:%d/cockpit/@localhost/machines/index.html" % c.port)
    # Without VMX/SVM (nested CI), cockpit first says hardware
    # virtualization is disabled and offers to go on: do.
    deadline = time.time() + 30
    while time.time() < deadline:
        if c.browser.find_elements("id", "ignore-hw-virtualization-disabled-btn"):
            c.browser.find_element("id", "ignore-hw-virtualization-disabled-btn").click()
            break
        if c.browser.find_elements("id", "vm-%s-system-state" % RUNNING):
            break
        time.sleep(0.2)
    wait_text(c, "vm-%s-system-state" % RUNNING, "Running", "the running domain's row")
    wait_text(c, "vm-%s-system-state" % STOPPED, "Shut off", "the defined domain's row")
    shot(c, "1-machines-list")


@test
def cockpit_fetches_every_resource(c):
    # cockpit-machines says "Failed to fetch some resources" when any of
    # ListDomains, ListNetworks, ListStoragePools, ListInterfaces,
    # ListNodeDevices or NodeGetMemoryStats fails: with libvirtd's objects
    # forwarded, none does.
    body = c.browser.find_element("tag name", "body").text
    assert "Failed to fetch" not in body, body[:800]
    # What it listed are libvirtd's objects (the hosts' interfaces, none of
    # nimbusd's own).
    got = c.bus.value("/org/libvirt/QEMU", nd.C_IFACE, "ListNodeDevices",
                      GLib.Variant("(u)", (0,)))[0]
    assert len(got) == len(c.lv_conn.listAllDevices(0)) > 0, got


def terminal_text(c):
    """What cockpit's serial terminal shows: xterm.js draws on a canvas,
    but cockpit turns on its screen-reader mode, which mirrors every row
    as text in .xterm-accessibility-tree."""
    from selenium.common.exceptions import WebDriverException
    try:
        return c.browser.find_element(
            "css selector", ".vm-terminal .xterm-accessibility-tree").get_attribute("textContent")
    except WebDriverException:
        return ""


def wait_terminal(c, want, what, timeout=30):
    try:
        rv.wait_for(lambda: want in terminal_text(c), what, timeout)
    except AssertionError:
        shot(c, "failed-console")
        raise AssertionError("%s: no %r in the terminal, which shows %r"
                             % (what, want, terminal_text(c)[-400:]))


@test
def cockpit_serial_console(c):
    # The VM's page: its console card is the serial console (the domain
    # has a pty <console>, no graphics), which runs `virsh -c
    # qemu:///system console NAME serial0` with the alias from nimbusd's
    # live XML.  What it shows comes from the fake VMM's toy guest on the
    # domain's serial pty, through nimbusd's DOMAIN_OPEN_CONSOLE stream:
    # its "# " prompt, and the answer to a line typed into the page.
    c.browser.get("http://127.0.0.1:%d/cockpit/@localhost/machines/index.html"
                  "#vm?name=%s&connection=system" % (c.port, RUNNING))
    rv.wait_for(lambda: c.browser.find_elements("css selector", ".vm-terminal .xterm"),
                "the serial console terminal", timeout=60)
    # The toy guest printed its banner at boot (read by the virsh test
    # above); a newline makes it print a fresh prompt.
    box = c.browser.find_element("css selector", ".vm-terminal .xterm-helper-textarea")

    def prompt_shown():
        box.send_keys("\n")
        return "# " in terminal_text(c)
    try:
        rv.wait_for(prompt_shown, "the guest's prompt", timeout=30)
    except AssertionError:
        shot(c, "failed-console")
        raise AssertionError("no guest prompt; the terminal shows %r" % terminal_text(c))
    box.send_keys("hello from cockpit\n")
    wait_terminal(c, "you said: hello from cockpit", "the guest's answer")
    shot(c, "2-serial-console")
    # Back to the list for the next case.
    c.browser.get("http://127.0.0.1:%d/cockpit/@localhost/machines/index.html" % c.port)
    wait_text(c, "vm-%s-system-state" % RUNNING, "Running", "the list again")


@test
def cockpit_shuts_down(c):
    c.browser.find_element("id", "vm-%s-system-shutdown-button" % RUNNING).click()
    wait_text(c, "vm-%s-system-state" % RUNNING, "Shut off", "the row after Shut down")
    shot(c, "3-after-shutdown")
    # nimbusd stopped it, not only the page.
    state = c.conn.lookupByName(RUNNING).state()[0]
    assert state == libvirt.VIR_DOMAIN_SHUTOFF, state


# ---- setup -------------------------------------------------------------------------


def start_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1400,1000"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def setup(c):
    # A private system bus at the well-known path: cockpit-bridge and
    # nimbusd both find it as the system bus.
    log = open(os.path.join(c.tmp, "dbus-daemon.log"), "ab")
    c.busd = subprocess.Popen(["dbus-daemon", "--nofork", "--config-file",
                               nd.system_bus_config(c.tmp, BUS_SOCK)], stdout=log, stderr=log)
    rv.wait_for(lambda: os.path.exists(BUS_SOCK), "the private system bus")
    address = "unix:path=" + BUS_SOCK
    # The unprivileged libvirtd must reach its directories inside.
    os.chmod(c.tmp, 0o755)
    c.lv = lt.Libvirtd(c.tmp)
    c.lv.start()
    c.lv_conn = libvirt.open(c.lv.uri)
    conf = write_conf(c.tmp, "nimbusd.conf", "qemu_compat=true\n"
                      "libvirtd_uri=%s\n" % c.lv.uri)
    c.d = rv.Daemon(c.tmp, extra_env={"DBUS_SYSTEM_BUS_ADDRESS": address},
                    args=["--dbus=system", "--config-file", conf])
    c.d.start()
    rv.wait_for(lambda: os.path.exists(QEMU_SOCK), "nimbusd on " + QEMU_SOCK)
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = address
    c.bus = nd.Bus.__new__(nd.Bus)     # a client only: the bus is ours above
    c.bus.address = address
    c.bus.conn = nd.Gio.DBusConnection.new_for_address_sync(
        address, nd.Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
        nd.Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
    rv.wait_for(lambda: c.bus.call("/org/freedesktop/DBus", "org.freedesktop.DBus",
                                   "NameHasOwner", GLib.Variant("(s)", ("org.libvirt",)),
                                   dest="org.freedesktop.DBus").unpack()[0],
                "org.libvirt on the bus", timeout=30)
    c.conn = libvirt.open(c.d.uri)
    for name in (RUNNING, STOPPED):
        c.conn.defineXML(domain_xml(name))
    c.conn.lookupByName(RUNNING).create()
    # cockpit-ws serving one local session (cockpit-bridge as root), plain
    # HTTP on loopback only.
    c.port = free_port()
    wslog = open(os.path.join(c.tmp, "cockpit-ws.log"), "ab")
    c.ws = subprocess.Popen([COCKPIT_WS, "--no-tls", "--address", "127.0.0.1",
                             "--port", str(c.port), "--local-session=cockpit-bridge"],
                            stdout=wslog, stderr=wslog)

    def ws_up():
        if c.ws.poll() is not None:
            raise AssertionError("cockpit-ws exited (see cockpit-ws.log)")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", c.port)) == 0
    rv.wait_for(ws_up, "cockpit-ws", timeout=30)
    c.browser = start_browser()


def teardown(c):
    if getattr(c, "browser", None):
        c.browser.quit()
    for p in (getattr(c, "ws", None),):
        if p and p.poll() is None:
            p.terminate()
            p.wait(10)
    if getattr(c, "conn", None):
        c.conn.close()
    if getattr(c, "d", None):
        c.d.stop()
        rv.kill_vmms(c.d.state)
    if getattr(c, "lv_conn", None):
        c.lv_conn.close()
    if getattr(c, "lv", None):
        c.lv.stop()
    if getattr(c, "busd", None) and c.busd.poll() is None:
        c.busd.terminate()
        c.busd.wait(10)


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root: a private mount namespace for /run/libvirt and /run/dbus")
        return 0
    if os.environ.get("NIMBUS_TEST_MNTNS") != "1":
        os.environ["NIMBUS_TEST_MNTNS"] = "1"
        sys.stdout.flush()
        os.execvp("unshare", ["unshare", "-m", "--propagation", "private",
                              sys.executable] + sys.argv)
    for d in ("/run/libvirt", "/run/dbus"):
        os.makedirs(d, exist_ok=True)
        rv.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d])
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    os.makedirs(OUTDIR, exist_ok=True)
    for f in os.listdir(OUTDIR):
        os.unlink(os.path.join(OUTDIR, f))
    c = Ctx()
    c.tmp = tempfile.mkdtemp(prefix="nd-cockpit-", dir="/tmp")
    c.nolibvirtd = os.path.join(c.tmp, "no-libvirtd-sock")
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        setup(c)
        failed += rv.run_tap(TESTS, "/cockpit", c)
    except Exception as e:
        # The setup itself failed: every case fails, saying why.
        for i, fn in enumerate(TESTS, 1):
            print("not ok %d /cockpit/%s # setup: %s" % (i, fn.__name__, e))
        failed += 1
    finally:
        teardown(c)
        print("# screenshots in " + OUTDIR)
        if failed or os.environ.get("NIMBUS_TEST_KEEP"):
            print("# logs and state kept in " + c.tmp)
        else:
            shutil.rmtree(c.tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
