"""App processes and the proxy in front of them, for `make serve-replicas` and the load test.

An app process is `make run` itself, so it has exactly the command and the
configuration that `make run` gives (whatever the Makefile says today); only
the port (PORT=) and the bind address (STREAMLIT_SERVER_ADDRESS, which
Streamlit reads like --server.address) are chosen here.  Each process runs in
its own process group so it can be stopped with everything it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from string import Template

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("haproxy.cfg.in")
HAPROXY = os.environ.get("HAPROXY", "/usr/sbin/haproxy")

# Make variables of an outer `make loadtest N=2 ...` must not leak into `make run`.
_MAKE_ENV = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "MAKE_TERMOUT", "MAKE_TERMERR")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/_stcore/health", timeout=timeout) as r:
            return r.read().decode().strip() == "ok"
    except OSError:
        return False


def _stop_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """TERM, then KILL, the process group we started `proc` in."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(grace)
    except ProcessLookupError:
        pass


class AppProcess:
    """`make run PORT=<port>` bound to 127.0.0.1; `stop()` ends it and its children."""

    def __init__(self, port: int | None = None, *, log: Path | None = None, timeout: float = 120.0):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A log we made up is ours to delete; one we were given is the caller's.
        self._own_log = log is None
        self.log_path = log or Path(tempfile.mkstemp(prefix=f"app-{self.port}-", suffix=".log")[1])
        env = {k: v for k, v in os.environ.items() if k not in _MAKE_ENV}
        env["STREAMLIT_SERVER_ADDRESS"] = "127.0.0.1"
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                ["make", "-s", "--no-print-directory", "run", f"PORT={self.port}"],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        self.timeout = timeout

    def wait_healthy(self) -> "AppProcess":
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"`make run` on port {self.port} exited with code "
                                   f"{self.proc.returncode}:\n{self.log_tail()}")
            if healthy(self.url):
                return self
            time.sleep(0.25)
        raise RuntimeError(f"app on port {self.port} not healthy after {self.timeout:.0f} s:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        """The `make` process; the Python server is its child."""
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        _stop_group(self.proc)
        if self._own_log:
            self.log_path.unlink(missing_ok=True)


def render_config(port: int, backends: list[int], bind: str = "127.0.0.1") -> str:
    """The HAProxy configuration: deploy/haproxy.cfg.in with one server line per replica.

    Server names double as affinity-cookie values (SERVERID=r1, ...).
    """
    servers = "\n".join(f"    server r{i} 127.0.0.1:{p} check cookie r{i}"
                        for i, p in enumerate(backends, start=1))
    return Template(TEMPLATE.read_text()).substitute(bind=bind, port=port, servers=servers)


class Proxy:
    """HAProxy in the foreground (-db) with the rendered configuration."""

    def __init__(self, port: int, backends: list[int], *, bind: str = "127.0.0.1",
                 haproxy: str = HAPROXY, timeout: float = 30.0):
        if not (shutil.which(haproxy) or os.access(haproxy, os.X_OK)):
            raise FileNotFoundError(f"{haproxy} not found: install Debian's 'haproxy' package (make haproxy)")
        self.port, self.bind = port, bind
        self.url = f"http://127.0.0.1:{port}"
        self.dir = Path(tempfile.mkdtemp(prefix="haproxy-"))
        self.config = self.dir / "haproxy.cfg"
        self.config.write_text(render_config(port, backends, bind))
        check = subprocess.run([haproxy, "-c", "-f", str(self.config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy rejects {self.config}:\n{check.stdout}{check.stderr}")
        self.log_path = self.dir / "haproxy.log"
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen([haproxy, "-db", "-f", str(self.config)], stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        self.timeout = timeout

    def wait_healthy(self) -> "Proxy":
        """Until the app answers through the proxy."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"haproxy exited with code {self.proc.returncode}:\n"
                                   f"{self.log_path.read_text(errors='replace')}")
            if healthy(self.url):
                return self
            time.sleep(0.2)
        raise RuntimeError(f"nothing answers through haproxy on port {self.port} after {self.timeout:.0f} s")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        _stop_group(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


class School:
    """N app processes on free loopback ports behind HAProxy on `port`.

    Use as a context manager, or call start() and stop().
    """

    def __init__(self, replicas: int, port: int | None = None, *, bind: str = "127.0.0.1",
                 haproxy: str = HAPROXY):
        if replicas < 1:
            raise ValueError("at least one replica")
        self.n, self.port, self.bind, self.haproxy = replicas, port or free_port(), bind, haproxy
        self.apps: list[AppProcess] = []
        self.proxy: Proxy | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "School":
        try:
            # Start them all first: they load in parallel.
            self.apps = [AppProcess() for _ in range(self.n)]
            for app in self.apps:
                app.wait_healthy()
            self.proxy = Proxy(self.port, [a.port for a in self.apps], bind=self.bind,
                               haproxy=self.haproxy).wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        for app in self.apps:
            app.stop()

    def __enter__(self) -> "School":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
