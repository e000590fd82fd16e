# SPDX-License-Identifier: Apache-2.0
# A headless desktop for GUI tests: Xvfb, a session bus with AT-SPI, screenshots.
#
# dogtail drives applications through the accessibility bus (AT-SPI), which
# GTK applications join when a session bus can start at-spi-bus-launcher;
# so the test gets its own X server and its own session bus, and every
# client (the application and dogtail in this process) uses both.  HOME and
# the XDG directories point into the test's temp directory so that no user
# configuration is read or written.
import os
import subprocess
import time


class Desktop:
    def __init__(self, tmp, display=None):
        self.tmp = tmp
        # A display number of our own: pid-based, away from :0..:9.
        self.display = display or ":%d" % (100 + os.getpid() % 800)
        self.xvfb = None
        self.bus = None
        self.home = os.path.join(tmp, "home")
        for sub in ("", ".config", ".cache", ".local/share", "runtime"):
            os.makedirs(os.path.join(self.home, sub), mode=0o700, exist_ok=True)

    def env(self):
        """What a client of this desktop needs in its environment."""
        return {"DISPLAY": self.display,
                "DBUS_SESSION_BUS_ADDRESS": self.bus_address,
                "HOME": self.home,
                "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
                "XDG_CACHE_HOME": os.path.join(self.home, ".cache"),
                "XDG_DATA_HOME": os.path.join(self.home, ".local/share"),
                "XDG_RUNTIME_DIR": os.path.join(self.home, "runtime"),
                # Settings in memory only: the user's dconf is never read.
                "GSETTINGS_BACKEND": "memory"}

    def start(self, timeout=60):
        # make check sets G_DEBUG=fatal-criticals for our own programs; the
        # desktop's (AT-SPI's bus launcher, started by the session bus) and
        # virt-manager's GTK, which logs a harmless Gdk-CRITICAL when its
        # customise window opens, must not die of SIGTRAP for theirs.
        os.environ.pop("G_DEBUG", None)
        log = open(os.path.join(self.tmp, "xvfb.log"), "ab")
        self.xvfb = subprocess.Popen(
            ["Xvfb", self.display, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
            stdout=log, stderr=log)
        sock = "/tmp/.X11-unix/X" + self.display[1:]
        deadline = time.time() + timeout
        while not os.path.exists(sock):
            if self.xvfb.poll() is not None or time.time() > deadline:
                raise RuntimeError("Xvfb %s did not start (see %s)" % (self.display, log.name))
            time.sleep(0.1)
        log = open(os.path.join(self.tmp, "dbus-session.log"), "ab")
        env = dict(os.environ, DISPLAY=self.display)
        self.bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                                    stdout=subprocess.PIPE, stderr=log, env=env, text=True)
        self.bus_address = self.bus.stdout.readline().strip()
        if not self.bus_address:
            raise RuntimeError("dbus-daemon --session did not start (see %s)" % log.name)
        os.environ.update(self.env())

    def screenshot(self, path):
        """The whole screen as PNG at @path (ImageMagick's import)."""
        subprocess.run(["import", "-display", self.display, "-window", "root", path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def stop(self):
        for p in (self.bus, self.xvfb):
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.bus = self.xvfb = None
