"""The HTTP benchmark's harness: where the server under load and ``wrk`` run."""

from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy.engine import Engine

from hrsys.bench import http


def test_no_pinning_when_asked_or_on_one_core() -> None:
    assert http.placement(pin=False) == http.Placement()
    assert http.Placement().describe() == "server and wrk wherever the OS puts them"
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or shutil.which("taskset") is None:
        assert http.placement() == http.Placement()
    else:
        place = http.placement()
        assert place.server_cpu != place.load_cpu
        assert {place.server_cpu, place.load_cpu} <= set(cpus)
        assert place.describe() == f"server on CPU {place.server_cpu}, wrk on CPU {place.load_cpu}, PostgreSQL on any"


def test_the_server_under_load_runs_on_its_own_cpu(engine: Engine, database_url: str) -> None:
    if shutil.which("taskset") is None:
        pytest.skip("taskset (util-linux) is not installed")
    cpu = max(os.sched_getaffinity(0))
    with http.server(database_url, place=http.Placement(server_cpu=cpu, load_cpu=None)) as srv:
        assert os.sched_getaffinity(srv.pid) == {cpu}
        threads = os.listdir(f"/proc/{srv.pid}/task")
        assert len(threads) >= 1 and all(os.sched_getaffinity(int(t)) == {cpu} for t in threads)
