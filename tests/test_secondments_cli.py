"""``hrsys secondments``: the policy in force, the alerts and the cost report from the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from hrsys.cli import main
from tests import factories


def test_policy_alerts_and_costs_commands(db, session, database_url: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    host = factories.agency(session, "DGA")
    expert = factories.person(session, organisation="Data Co., Ltd.")
    factories.secondment(
        session, expert, host, dt.date(2026, 10, 1), dt.date(2027, 3, 31), monthly_cost_baht=100_000,
        host_share_pct=75, sender_share_pct=25, status="active", agreement_ref="MOU-1",
    )  # fmt: skip
    session.close()
    runner = CliRunner()
    policy_file = tmp_path / "policy.json"
    policy_file.write_text('{"max_extensions": 2}')
    monkeypatch.setenv("HRSYS_SECONDMENT_POLICY", str(policy_file))
    shown = runner.invoke(main, ["secondments", "policy"])
    assert shown.exit_code == 0 and json.loads(shown.output)["max_extensions"] == 2
    typo = tmp_path / "typo.json"
    typo.write_text('{"max_extension": 2}')
    monkeypatch.setenv("HRSYS_SECONDMENT_POLICY", str(typo))
    refused = runner.invoke(main, ["secondments", "policy"])
    assert refused.exit_code != 0 and "max_extension" in refused.output

    monkeypatch.delenv("HRSYS_SECONDMENT_POLICY")
    alerts = runner.invoke(main, ["--database-url", database_url, "secondments", "alerts", "--as-of", "2027-03-01"])
    assert alerts.exit_code == 0, alerts.output
    assert "ending within 60 days: 1" in alerts.output and "Test" in alerts.output
    costs = runner.invoke(main, ["--database-url", database_url, "secondments", "costs", "--fiscal-year", "2570"])
    assert costs.exit_code == 0, costs.output
    lines = costs.output.splitlines()
    assert lines[1].split(",")[:8] == ["2570", "DGA", "Agency DGA", "1", "6.0", "600000", "450000", "150000"]
    bad = runner.invoke(main, ["--database-url", database_url, "secondments", "costs", "--agency", "NOPE"])
    assert bad.exit_code == 2 and "NOPE" in bad.output
