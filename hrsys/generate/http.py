"""HTTP load measurement: an hrsys server in a subprocess, driven by wrk over loopback.

Loads are bounded in time, go only to 127.0.0.1, and stop by themselves.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

WRK_SCRIPT = r"""
local paths = { %(paths)s }
local headers = { %(headers)s }
local i = math.random(#paths)
request = function()
  i = (i %% #paths) + 1
  return wrk.format("GET", paths[i], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%.3f %%d\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    server_cpu_s: float | None = None
    """CPU time the hrsys server process used during the load (None: not measured)."""
    database_cpu_s: float | None = None
    """CPU time of this machine's PostgreSQL processes during the load (None: not measured, or SQLite)."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def cpu_per_request(runs: Sequence[LoadResult]) -> str:
    """CPU time per request over ``runs``, server and database (``""`` when not measured): it says which
    side a change saved, and does not count the time a request spent waiting for a core."""
    requests = sum(r.requests for r in runs)
    if not requests or any(r.server_cpu_s is None for r in runs):
        return ""
    server = sum(r.server_cpu_s or 0.0 for r in runs) / requests * 1000
    if any(r.database_cpu_s is None for r in runs):
        return f"CPU {server:.3f} ms a request"
    db = sum(r.database_cpu_s or 0.0 for r in runs) / requests * 1000
    return f"CPU {server + db:.3f} ms a request (server {server:.3f}, PostgreSQL {db:.3f})"


@dataclass(frozen=True)
class Server:
    """A running ``hrsys serve`` (see :func:`server`)."""

    base: str
    pid: int
    database: str
    """``sqlite`` or ``postgresql``."""


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` and all its threads (0 if it has gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (its backends are processes, one per connection)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == "postgres":
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


def _cpu_now(srv: Server) -> tuple[float, dict[int, float] | None] | None:
    """CPU seconds so far of the server and (PostgreSQL only) of each database process; None off Linux."""
    if not os.path.exists(f"/proc/{srv.pid}/stat"):
        return None
    database = {pid: _cpu_seconds(pid) for pid in _postgres_pids()} if srv.database == "postgresql" else None
    return _cpu_seconds(srv.pid), database


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(database_url: str, workers: int = 1, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Run ``hrsys serve`` on a free loopback port; yield it; stop it afterwards."""
    port = _free_port()
    full_env = {**os.environ, "HRSYS_DATABASE_URL": database_url, **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hrsys.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"hrsys serve did not start: {err[-2000:]}")
            time.sleep(0.2)
        yield Server(base, proc.pid, "postgresql" if database_url.startswith("postgresql") else "sqlite")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def load(
    srv: Server,
    paths: Sequence[str],
    *,
    seconds: float = 5.0,
    connections: int = 16,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Drive ``paths`` (cycled) with wrk for ``seconds``; one wrk thread, ``connections`` keep-alive connections.

    With one worker on Linux, the result also has the CPU time the server and a PostgreSQL on this machine
    spent meanwhile (a database elsewhere counts as 0, as do processes that ended during the load).
    """

    def lua(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    script = WRK_SCRIPT % {
        "paths": ", ".join(lua(p) for p in paths),
        "headers": ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in (headers or {}).items()),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        script_path = f.name
    before = _cpu_now(srv)
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", script_path, srv.base],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    finally:
        os.unlink(script_path)
    after = _cpu_now(srv)
    server_cpu = database_cpu = None
    if before is not None and after is not None:
        server_cpu = after[0] - before[0]
        if before[1] is not None and after[1] is not None:
            database_cpu = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in after[1].items())
    m = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", out)
    if not m:
        raise RuntimeError(f"unexpected wrk output: {out[-500:]}")
    return LoadResult(
        requests=int(m[1]),
        seconds=int(m[2]) / 1e6,
        p50_ms=float(m[3]),
        p95_ms=float(m[4]),
        p99_ms=float(m[5]),
        errors=int(m[6]),
        server_cpu_s=server_cpu,
        database_cpu_s=database_cpu,
    )
