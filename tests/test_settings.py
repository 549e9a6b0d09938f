"""Settings: one place reads every HRSYS_ variable, a bad value stops the start naming it, and an override
reaches the code that uses it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from hrsys.access.models import User
from hrsys.app import create_app
from hrsys.cli import main
from hrsys.config import ADMIN_PASSWORD, VARIABLES, Settings, SettingsError, from_env_one
from hrsys.core import clock
from hrsys.secondments.models import SecondmentStatus
from tests import factories

README = Path(__file__).resolve().parents[1] / "README.md"
CHEAP = {"HRSYS_ARGON2_TIME_COST": "1", "HRSYS_ARGON2_MEMORY_KIB": "1024", "HRSYS_ARGON2_PARALLELISM": "1"}


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("HRSYS_LOGIN_MAX_FAILURES", "abc", "Expected `int`, got `str`"),
        ("HRSYS_LOGIN_MAX_FAILURES", "0", ">= 1"),
        ("HRSYS_POOL_SIZE", "ten", "Expected `int`"),
        ("HRSYS_AUTH_CACHE_SECONDS", "-1", ">= 0"),
        ("HRSYS_TOKEN_MINUTES", "1.5", "Expected `int`"),
        ("HRSYS_COOKIE_SECURE", "maybe", "use 1, true, yes or on"),
        ("HRSYS_DEBUG", "2", "use 1, true, yes or on"),
        ("HRSYS_WEB_DASHBOARD_TTL", "soon", "Expected `float`"),
        ("HRSYS_ASSESSMENT_TRUST_ORDER", "self,manager", "name every source exactly once"),
        ("HRSYS_ASSESSMENT_TRUST_ORDER", "self,boss", "unknown assessment source"),
        ("HRSYS_BENCH_ASSESSMENT_ORDER", "random", "Invalid enum value"),
        ("HRSYS_ARGON2_MEMORY_KIB", "16", "8 KiB for each of HRSYS_ARGON2_PARALLELISM=4"),
        ("HRSYS_SECONDMENT_POLICY", "/no/such/policy.json", "No such file"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(name: str, value: str, reason: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({name: value})
    assert name in str(caught.value) and reason in str(caught.value)


def test_every_bad_variable_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"HRSYS_LOGIN_MAX_FAILURES": "abc", "HRSYS_COOKIE_SECURE": "maybe", "HRSYS_POOL_SIZE": "4"})
    assert "HRSYS_LOGIN_MAX_FAILURES='abc'" in str(caught.value) and "HRSYS_COOKIE_SECURE='maybe'" in str(caught.value)
    assert "HRSYS_POOL_SIZE" not in str(caught.value)


def test_defaults_and_overrides_land_in_their_sections(tmp_path: Path) -> None:
    assert Settings.from_env({}) == Settings()
    policy = tmp_path / "policy.json"
    policy.write_text('{"max_extensions": 3}')
    env = {
        "HRSYS_LOGIN_MAX_FAILURES": " 7 ",
        "HRSYS_COOKIE_SECURE": "off",
        "HRSYS_DEBUG": "Yes",
        "HRSYS_AUTH_CACHE_SECONDS": "0",
        "HRSYS_SECONDMENT_POLICY": str(policy),
        "HRSYS_ASSESSMENT_TRUST_ORDER": "self, manager, training, knowledge_transfer, assessment_centre, certification",
        "HRSYS_WEB_DASHBOARD_TTL": "0",
        "HRSYS_BENCH_ASSESSMENT_ROWS": "1000",
    }
    s = Settings.from_env(env, database_url="sqlite:///other.db")
    assert (s.access.login_max_failures, s.access.cookie_secure, s.debug, s.auth_cache_seconds) == (7, False, True, 0)
    assert s.secondments.policy().max_extensions == 3 and s.skills.trust_order[0] == "self"
    assert (s.web.dashboard_ttl, s.bench.assessment_rows, s.database_url) == (0, 1000, "sqlite:///other.db")
    assert from_env_one("HRSYS_SECONDMENT_POLICY", env) == str(policy)
    assert from_env_one("HRSYS_WEB_DASHBOARD_TTL", {}) == 300


def test_the_command_refuses_to_start_with_a_bad_value_and_says_which(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HRSYS_LOGIN_MAX_FAILURES", "abc")
    result = CliRunner().invoke(main, ["--database-url", settings.database_url, "db", "current"])
    assert result.exit_code == 1
    assert "HRSYS_LOGIN_MAX_FAILURES='abc'" in result.output and "Traceback" not in result.output
    with pytest.raises(SettingsError, match="HRSYS_LOGIN_MAX_FAILURES"):
        create_app()  # the app factory (uvicorn workers) refuses too


def _app(db, settings, **env: str):  # type: ignore[no-untyped-def]
    """An app built as a worker builds it: settings from the environment (here ``env``)."""
    return create_app(Settings.from_env({**CHEAP, **env}, database_url=settings.database_url, secret_key="k" * 40))


def test_sign_in_limits_and_cookie_flag_reach_the_sign_in(db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("admin", username="limited")
    app = _app(db, settings, HRSYS_LOGIN_MAX_FAILURES="2", HRSYS_COOKIE_SECURE="0")
    with TestClient(app, base_url="https://testserver.local") as c:
        ok = c.post("/api/v1/auth/login", json={"username": "limited", "password": user.password})
        cookie = next(v for k, v in ok.headers.multi_items() if k == "set-cookie" and v.startswith("hrsys_session="))
        assert ok.status_code == 200 and "Secure" not in cookie
        for _ in range(2):
            assert c.post("/api/v1/auth/login", json={"username": "limited", "password": "wrong"}).status_code == 401
        assert c.post("/api/v1/auth/login", json={"username": "limited", "password": user.password}).status_code == 429


def test_the_secondment_policy_file_reaches_the_api(db, settings, tmp_path, make_user) -> None:  # type: ignore[no-untyped-def]
    policy = tmp_path / "policy.json"
    policy.write_text('{"max_first_period_months": 6}')
    app = _app(db, settings, HRSYS_SECONDMENT_POLICY=str(policy))
    admin = make_user("admin")
    with TestClient(app) as c:
        token = c.post("/api/v1/auth/login", json={"username": admin.username, "password": admin.password})
        c.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        assert c.get("/api/v1/secondments/policy").json()["max_first_period_months"] == 6


def test_argon2_cost_and_retention_reach_the_commands(settings, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name, value in {**CHEAP, "HRSYS_ARGON2_MEMORY_KIB": "2048", "HRSYS_ARGON2_TIME_COST": "2"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(ADMIN_PASSWORD, "durian-season-2025")
    monkeypatch.setenv("HRSYS_EXPERT_RETENTION_DAYS", "30")
    session.close()
    runner = CliRunner()
    args = ["--database-url", settings.database_url]
    created = runner.invoke(main, [*args, "users", "create-admin", "--username", "boss"])
    assert created.exit_code == 0, created.output
    stored = session.query(User).filter_by(username="boss").one().password_hash
    assert "m=2048,t=2,p=1" in stored
    session.close()
    host = factories.agency(session, "HOST")
    expert = factories.person(session, organisation="Data Co., Ltd.")
    ended = clock.today() - dt.timedelta(days=45)
    factories.secondment(session, expert, host, ended - dt.timedelta(days=90), ended, status=SecondmentStatus.completed)
    session.close()
    dry = runner.invoke(main, [*args, "people", "anonymise", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"person {expert.id}" in dry.output  # ended 45 days ago: past 30 days (not the default 1095)


def test_the_signing_key_file_is_the_configured_one(tmp_path: Path) -> None:
    path = tmp_path / "key"
    s = Settings.from_env({"HRSYS_SECRET_KEY_FILE": str(path)})
    key = s.resolved_secret_key()
    assert path.read_text() == key and s.resolved_secret_key() == key


def test_the_readme_documents_every_variable_in_one_table() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(HRSYS_[A-Z0-9_]+)` \|", section, flags=re.M)
    assert sorted(rows) == sorted([*VARIABLES, ADMIN_PASSWORD])
