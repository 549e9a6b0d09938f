"""The layer order of hrsys (pyproject's [tool.importlinter], drawn in hrsys/README.md) holds for every import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_import_runs_against_the_layers() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run(
        [str(lint), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    broken = [line for line in run.stdout.splitlines() if line.startswith(("- hrsys", "hrsys"))]
    assert run.returncode == 0, "imports against the layers:\n" + "\n".join(broken or [run.stdout, run.stderr])
