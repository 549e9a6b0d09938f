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
class Placement:
    """The CPUs of the server under load and of ``wrk`` (None: wherever the OS puts them); PostgreSQL's
    processes always run wherever the OS puts them.

    On a small machine the load generator shares cores with what it measures. Left to the scheduler,
    ``wrk`` and the server land on the same core now and then, and the answers wait in a socket for the
    one that is not running: on 2 cores, by Thai name on PostgreSQL, ``wrk`` measured p99 27-87 ms while
    the server itself answered every request within p99 11-16 ms of reading it (same runs). With a core
    each, ``wrk``'s p99 was the server's (10-12 ms), at the same throughput: as with a load generator on
    another machine.
    """

    server_cpu: int | None = None
    load_cpu: int | None = None

    def describe(self) -> str:
        if self.server_cpu is None or self.load_cpu is None:
            return "server and wrk wherever the OS puts them"
        return f"server on CPU {self.server_cpu}, wrk on CPU {self.load_cpu}, PostgreSQL on any"


def placement(pin: bool = True) -> Placement:
    """A core for the server and another for ``wrk`` when ``pin`` and the machine has two or more (and
    ``taskset``); else no pinning."""
    if not pin or shutil.which("taskset") is None or not hasattr(os, "sched_getaffinity"):
        return Placement()
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return Placement()
    return Placement(server_cpu=cpus[0], load_cpu=cpus[-1])


def _on_cpu(cpu: int | None) -> list[str]:
    """Command prefix that runs a program on ``cpu`` (``taskset`` execs it: the same process id)."""
    return ["taskset", "-c", str(cpu)] if cpu is not None else []


@dataclass(frozen=True)
class Server:
    """A running ``hrsys serve`` (see :func:`server`)."""

    base: str
    pid: int
    database: str
    """``sqlite`` or ``postgresql``."""
    place: Placement = Placement()


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
def server(
    database_url: str, workers: int = 1, env: dict[str, str] | None = None, place: Placement = Placement()
) -> Iterator[Server]:
    """Run ``hrsys serve`` on a free loopback port (on ``place.server_cpu``); yield it; stop it afterwards."""
    port = _free_port()
    # the load measures the web app alone: no delivering worker, no daily jobs over the national dataset
    full_env = {**os.environ, "HRSYS_DATABASE_URL": database_url, "HRSYS_DELIVER_IN_SERVE": "0", **(env or {})}
    proc = subprocess.Popen(
        [*_on_cpu(place.server_cpu), sys.executable, "-m", "hrsys.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers)],
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
                if proc.poll() is None:  # still starting: stop it, or reading its stderr would wait for ever
                    proc.kill()
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"hrsys serve did not start: {err[-2000:]}")
            time.sleep(0.2)
        yield Server(base, proc.pid, "postgresql" if database_url.startswith("postgresql") else "sqlite", place)
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
    """Drive ``paths`` (cycled) with wrk for ``seconds``; one wrk thread, ``connections`` keep-alive connections,
    on the server's ``place.load_cpu``.

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
        seconds_whole = max(1, round(seconds))
        out = subprocess.run(
            [
                *_on_cpu(srv.place.load_cpu),
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds_whole}s",
                "-s",
                script_path,
                srv.base,
            ],
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
