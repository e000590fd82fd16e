# SPDX-License-Identifier: Apache-2.0
# virt-manager 4.1's New VM wizard and customise window, driven with dogtail.
#
# Widgets are found the way virt-manager's own UI tests find them: by
# accessible role and name (a label's text, or the name virt-manager gives
# a widget that has no label).  Toggles, check boxes and menu items are
# worked through their accessible actions, which do not depend on where a
# widget sits on the screen; buttons and cells are clicked like a user.
import time

from dogtail.config import config

# No dconf check (the session has none), no log file under /tmp, and no
# chatter on stdout (the test's TAP stream).
config.checkForA11y = False
config.logDebugToFile = False
config.logDebugToStdOut = False
# A widget looked up with child() is retried this many times, 0.5 s apart
# (dogtail's default: 20, 10 s): GTK on a loaded 2-core host can take
# longer than that to show the next page.  A widget that never comes still
# fails the step, after 90 s.
config.searchCutoffCount = 180
from dogtail import rawinput, tree  # noqa: E402  (after the config)

APP = "virt-manager"


def note(what):
    """A TAP comment with the time: where a failed run stopped."""
    print("# %s %s" % (time.strftime("%H:%M:%S"), what), flush=True)


def wait_for(fn, what, timeout):
    """fn()'s first value that is not None/False, retried until @timeout."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            v = fn()
            if v:
                return v
        except Exception as e:  # the tree changes under us: retry
            last = e
        time.sleep(0.5)
    raise AssertionError("timed out after %d s waiting for %s (%r)" % (timeout, what, last))


def app(timeout):
    return wait_for(lambda: tree.root.application(APP), "virt-manager on AT-SPI", timeout)


def window(a, name, timeout=60, role="frame"):
    return wait_for(lambda: a.child(roleName=role, name=name, retry=False),
                    "%s '%s'" % (role, name), timeout)


def showing(w, role, pred=lambda n: True):
    return w.findChildren(lambda n: n.roleName == role and n.showing and pred(n))


def pick(w, item, timeout=30):
    """Chooses menu item @item in whichever showing combo box offers it."""
    def find():
        for combo in showing(w, "combo box"):
            found = combo.findChildren(lambda m: m.roleName == "menu item" and m.name == item)
            if found:
                return found[0]
        return None
    entry = wait_for(find, "a combo box offering '%s'" % item, timeout)
    note("choosing '%s'" % item)
    entry.doActionNamed("click")


def connected(a, timeout):
    """The manager's New button once it is sensitive: virt-manager enables
    it when the connection is active."""
    def new_button():
        b = a.child(roleName="push button", name="New", retry=False)
        return b if b.sensitive else None
    return wait_for(new_button, "the New button (connection active)", timeout)


def new_vm(a, new_button, disk, name, memory_mib, shot):
    """Manager → New → Import existing disk image → @disk, OS 'generic',
    @memory_mib and 1 CPU, @name, "Customize configuration before install",
    Finish; returns the customise window."""
    new_button.click()
    w = window(a, "New VM")
    w.child(roleName="radio button", name="Import existing disk image").click()
    shot("1-install-method")
    w.child(roleName="push button", name="Forward").click()
    entry = wait_for(lambda: [t for t in showing(w, "text") if t.name == "import-entry"],
                     "the import page", 60)[0]
    entry.text = disk
    osentry = w.child(roleName="text", name="oslist-entry")
    osentry.click()
    osentry.typeText("generic")
    generic = "Generic or unknown OS. Usage is not recommended. (generic)"
    wait_for(lambda: a.child(roleName="table cell", name=generic, retry=False),
             "the 'generic' OS in the list", 60).click()
    shot("2-import-disk")
    w.child(roleName="push button", name="Forward").click()
    mem = wait_for(lambda: [s for s in showing(w, "spin button") if s.name == ""],
                   "the memory page", 60)[0]
    mem.value = memory_mib
    shot("3-memory-cpus")
    w.child(roleName="push button", name="Forward").click()
    entry = wait_for(lambda: [t for t in showing(w, "text") if t.text.startswith("vm")],
                     "the name entry", 60)[0]
    entry.text = name
    w.child(roleName="toggle button", name="Network selection").doActionNamed("activate")
    w.child(roleName="check box",
            name="Customize configuration before install").doActionNamed("click")
    shot("4-finish")
    w.child(roleName="push button", name="Finish").click()
    return wait_for(lambda: [f for f in a.children if f.roleName == "frame" and
                             f.name.startswith(name + " on ")], "the customise window", 120)[0]


def _select(c, prefix):
    hw = c.child(name="hw-list")
    cell = wait_for(lambda: [n for n in hw.findChildren(lambda n: n.roleName == "table cell")
                             if n.name.startswith(prefix)], "hardware '%s'" % prefix, 30)[0]
    note("selecting '%s'" % cell.name)
    cell.click()
    time.sleep(0.5)


def _apply(c):
    c.child(name="config-apply").click()
    wait_for(lambda: not c.child(name="config-apply").sensitive, "Apply to finish", 60)


def hardware(c):
    hw = c.child(name="hw-list")
    return [n.name for n in hw.findChildren(lambda n: n.roleName == "table cell" and n.name)]


def customise(a, c, kernel, initrd, args, shot):
    """Disk bus VirtIO, NIC model virtio, direct kernel boot; removes the
    tablet, display and video that nimbusd refuses (docs/nimbusd.md)."""
    _select(c, "IDE Disk 1")
    note("opening the disk's advanced options")
    c.child(roleName="toggle button", name="Advanced options").doActionNamed("activate")
    pick(c, "VirtIO")
    _apply(c)
    shot("5-disk-virtio")
    _select(c, "NIC ")
    pick(c, "virtio")
    _apply(c)
    shot("6-nic-virtio")
    _select(c, "Boot Options")
    c.child(roleName="toggle button", name="Direct kernel boot").doActionNamed("activate")
    c.child(roleName="check box", name="Enable direct kernel boot").doActionNamed("click")
    # Kernel path, initrd path, kernel args: the expander's entries from top
    # to bottom (their labels are not linked to them in details.ui, and the
    # accessible tree does not keep the on-screen order).
    texts = sorted(wait_for(lambda: showing(c, "text"), "the direct kernel boot entries", 30),
                   key=lambda n: n.position[1])
    texts[0].text = kernel
    texts[1].text = initrd
    texts[2].text = args
    _apply(c)
    shot("7-direct-kernel-boot")
    asked = False
    for dev in ("Tablet", "Display", "Video"):
        if not [n for n in hardware(c) if n.startswith(dev)]:
            continue
        _select(c, dev)
        c.child(name="config-remove").click()
        if not asked:
            d = window(a, "vmm dialog", role="alert")
            d.child(roleName="check box", name="Don't ask me again").doActionNamed("click")
            d.child(roleName="push button", name="Yes").doActionNamed("click")
            asked = True
        wait_for(lambda: not [n for n in hardware(c) if n.startswith(dev)],
                 "'%s' to go" % dev, 30)
    shot("8-customised")
    c.child(roleName="push button", name="Begin Installation").doActionNamed("click")


def error_shown(a):
    """The text of an error dialog virt-manager shows (a failed install),
    or None: a start that failed need not wait out the test's bound."""
    try:
        for d in a.findChildren(lambda n: n.roleName == "alert" and n.showing,
                                recursive=False):
            texts = [n.name for n in d.findChildren(lambda n: n.roleName == "label")]
            text = " | ".join(t for t in texts if t)
            if "rror" in text or "nable" in text:
                return text
    except Exception:  # the tree changes under us: no verdict this time
        pass
    return None


def console_shows(a, name, want, send, timeout, shot):
    """Waits for the VM window's serial terminal; types @send into it until
    its text holds @want (the guest may still be booting)."""
    vmw = wait_for(lambda: [f for f in a.children if f.roleName == "frame" and
                            f.name.startswith(name + " on ")], "the VM window", timeout)[0]
    term = wait_for(lambda: vmw.child(roleName="terminal", retry=False), "the serial terminal",
                    timeout)
    deadline = time.time() + timeout
    while True:
        term.click()
        rawinput.typeText(send)
        time.sleep(3)
        if want in term.text:
            shot("9-serial-console")
            return term.text
        if time.time() > deadline:
            shot("9-serial-console")
            raise AssertionError("the serial console never showed %r; it shows: %r"
                                 % (want, term.text.strip()[-400:]))
