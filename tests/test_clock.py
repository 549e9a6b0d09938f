"""One "today": Thailand's calendar, from hrsys.core.clock, wherever a date means "today".

The clock is frozen at 18:30 UTC on 1 March 2026, which is already 01:30 on 2 March in Bangkok: code that
took the server's (UTC) date would be a day behind in every check below.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from hrsys.config import Settings, SettingsError
from hrsys.core import clock
from hrsys.secondments.models import SecondmentStatus
from tests import factories

INSTANT = dt.datetime(2026, 3, 1, 18, 30, tzinfo=dt.UTC)
BANGKOK_TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with clock.frozen(INSTANT):
        yield


def test_today_is_bangkoks_date_and_the_zone_is_a_setting() -> None:
    with clock.frozen(INSTANT):
        assert clock.now() == INSTANT and clock.now().tzinfo == dt.UTC
        assert clock.today() == BANGKOK_TODAY
        assert clock.local().strftime("%Y-%m-%d %H:%M") == "2026-03-02 01:30"
        try:
            clock.configure("UTC")
            assert clock.today() == dt.date(2026, 3, 1)
        finally:
            clock.configure(clock.DEFAULT_ZONE)
    assert Settings.from_env({}).timezone == "Asia/Bangkok"
    assert Settings.from_env({"HRSYS_TIMEZONE": "Asia/Tokyo"}).timezone == "Asia/Tokyo"
    for bad in ("Mars/Olympus", "", "localtime", "+07:00"):
        with pytest.raises(SettingsError, match="HRSYS_TIMEZONE"):
            Settings.from_env({"HRSYS_TIMEZONE": bad})


def test_an_assessment_dated_bangkok_today_is_accepted_and_tomorrow_refused(frozen, client, session) -> None:  # type: ignore[no-untyped-def]
    factories.shipped_catalog(session)
    person = factories.person(session, factories.agency(session, "MDES"))
    url = f"/api/v1/people/{person.id}/assessments"

    ok = client.post(url, json={"skill": "TH-DG:DU02", "level": 2, "source": "self", "assessed_on": "2026-03-02"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["status"] == "valid"

    late = client.post(url, json={"skill": "TH-DG:DU02", "level": 2, "source": "self", "assessed_on": "2026-03-03"})
    assert late.status_code == 422, late.text
    assert "assessed_on" in {e["field"] for e in late.json()["errors"]}

    # A certification valid until 1 March has lapsed on Bangkok's 2 March (UTC's calendar still says 1 March).
    cert = client.post(
        url,
        json={
            "skill": "TH-DG:DU03",
            "level": 2,
            "source": "certification",
            "assessed_on": "2025-03-01",
            "valid_until": "2026-03-01",
        },
    )
    assert cert.status_code == 201, cert.text
    assert cert.json()["status"] == "expired"


def test_secondment_alerts_count_days_on_bangkoks_calendar(frozen, client, session) -> None:  # type: ignore[no-untyped-def]
    host = factories.agency(session, "DGA")
    person = factories.person(session, factories.agency(session, "MOF"))
    factories.secondment(
        session, person, host, dt.date(2025, 9, 1), dt.date(2026, 3, 1), status=SecondmentStatus.active
    )
    alerts = client.get("/api/v1/secondments/alerts").json()
    assert alerts["as_of"] == "2026-03-02"
    assert alerts["ending_soon"]["count"] == 0
    assert [i["days"] for i in alerts["past_end_still_active"]["items"]] == [1]  # its last day was yesterday


def test_the_dashboard_prints_bangkoks_date_with_bangkoks_time(frozen, clients, session) -> None:  # type: ignore[no-untyped-def]
    agency = factories.agency(session, "DGA")
    hr = factories.user(session, "hr_officer", agency=agency)
    page = clients(hr).get("/hr")
    assert page.status_code == 200, page.text
    stamp = re.search(r'id="as-of">([^<]*)<', page.text)
    assert stamp is not None
    assert stamp.group(1).endswith("2 มี.ค. 2569 01:30"), stamp.group(1)  # not 1 March (UTC) with Bangkok's time
