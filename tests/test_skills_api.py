"""Browsing and searching the catalog through the API."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def catalog(session):  # type: ignore[no-untyped-def]
    return factories.shipped_catalog(session)


def refs(r) -> list[str]:  # type: ignore[no-untyped-def]
    assert r.status_code == 200, r.text
    return [x["ref"] for x in r.json()["items"]]


def test_frameworks_with_scale_groups_and_profiles(client, catalog) -> None:
    listed = client.get("/api/v1/frameworks").json()
    assert [(f["code"], f["skills"]) for f in listed] == [("DDAT", 43), ("TH-DG", 47)]
    th = client.get("/api/v1/frameworks/TH-DG").json()
    assert [lv["label_en"] for lv in th["scale"]] == ["Awareness", "Working", "Practitioner", "Expert"]
    groups = {g["code"]: g for g in th["groups"]}
    assert groups["CORE"]["skills"] == groups["DL"]["skills"] + groups["DG"]["skills"] + groups["LD"]["skills"]
    assert groups["DU"]["parent"] == "OPTIONAL" and groups["DU"]["name_th"] == "การใช้ประโยชน์และแบ่งปันข้อมูล"
    it_exec = next(p for p in th["profiles"] if p["code"] == "IT-EXEC")
    assert it_exec["levels"]["TH-DG:LD02"] == 4 and "executive_senior" in it_exec["position_levels"]
    assert client.get("/api/v1/frameworks/NOPE").status_code == 404


def test_ranking_exact_code_then_prefix_then_names(client, catalog) -> None:
    assert refs(client.get("/api/v1/skills", params={"q": "du02"}))[0] == "TH-DG:DU02"
    hits = client.get("/api/v1/skills", params={"q": "DU0"}).json()["items"]
    assert [h["rank"] for h in hits][:8] == [1] * 8  # DU01..DU08 by code prefix
    assert refs(client.get("/api/v1/skills", params={"q": "TH-DG:DU02"})) == ["TH-DG:DU02"]
    data = refs(client.get("/api/v1/skills", params={"q": "data"}))
    # Name prefix ("Data analysis...") before substrings ("Government data governance").
    assert data.index("DDAT:DATA-ANALYSIS") < data.index("TH-DG:DU01")


def test_thai_substring_and_alias_search(client, catalog) -> None:
    # Thai has no spaces: a fragment in the middle of a name must match.
    assert "TH-DG:DU02" in refs(client.get("/api/v1/skills", params={"q": "วิเคราะห์ข้อมูล"}))
    assert refs(client.get("/api/v1/skills", params={"q": "PDPA"})) == ["TH-DG:DG02"]  # an alias
    assert refs(client.get("/api/v1/skills", params={"q": "สารบรรณ"})) == ["TH-DG:DL07"]
    two = refs(client.get("/api/v1/skills", params={"q": "AI"}))  # short query: plain scan
    assert "TH-DG:DT06" in two


def test_filters_and_skill_detail(client, catalog) -> None:
    core = refs(client.get("/api/v1/skills", params={"framework": "TH-DG", "group": "CORE", "limit": 100}))
    assert len(core) == 19 and all(r.split(":")[1][:2] in {"DL", "DG", "LD"} for r in core)
    assert client.get("/api/v1/skills", params={"framework": "NOPE"}).status_code == 422
    assert client.get("/api/v1/skills", params={"limit": 0}).status_code == 422
    skill = client.get("/api/v1/skills/DDAT:USER-RESEARCH").json()
    assert skill["name_en"] == "User research" and skill["aliases"] and len(skill["scale"]) == 4
    du02 = client.get("/api/v1/skills/TH-DG:DU02").json()
    assert [e["ref"] for e in du02["equivalents"]] == ["DDAT:DATA-ANALYSIS"]
    assert client.get("/api/v1/skills/TH-DG:NOPE").status_code == 404


def test_retired_skills_are_hidden_from_pickers(client, session, catalog) -> None:
    import sqlalchemy as sa

    from hrsys.core.stamps import bump_version
    from hrsys.skills.catalog.models import Skill

    assert refs(client.get("/api/v1/skills", params={"q": "DG05"})) == ["TH-DG:DG05"]
    session.execute(sa.update(Skill).where(Skill.code == "DG05").values(retired=True))
    bump_version(session, "catalog")  # as every catalog import does: search reloads its copy of the labels
    session.commit()
    assert refs(client.get("/api/v1/skills", params={"q": "DG05"})) == []
    assert refs(client.get("/api/v1/skills", params={"q": "DG05", "include_retired": True})) == ["TH-DG:DG05"]
