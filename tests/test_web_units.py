"""Pure parts of the web pages: locale formatting, translations, SVG charts (no database, no app)."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from hrsys.web import charts, i18n

TEMPLATES = Path(i18n.__file__).resolve().parent / "templates"


def test_dates_are_buddhist_era_in_thai_and_christian_era_in_english() -> None:
    day = dt.date(2026, 11, 24)
    assert i18n.format_date(day, "th") == "24 พ.ย. 2569"
    assert i18n.format_date(day, "en") == "24 Nov 2026"
    assert i18n.format_date(dt.date(2027, 1, 1), "th") == "1 ม.ค. 2570"
    assert i18n.format_date(dt.datetime(2026, 10, 1, 8, 30, tzinfo=dt.UTC), "th") == "1 ต.ค. 2569"
    assert i18n.format_date(None, "th") == ""


def test_numbers_and_baht_per_locale() -> None:
    assert i18n.format_number(1234567, "th") == "1,234,567"
    assert i18n.format_number(1234.5, "en", 1) == "1,234.5"
    assert i18n.format_baht(2_400_000, "th") == "2,400,000 บาท"
    assert i18n.format_baht(25_500.4, "en") == "฿25,500"
    assert i18n.format_percent(0.755, "en") == "76%"
    assert i18n.format_baht(None, "th") == "" and i18n.format_number(None, "en") == ""


def test_language_choice_and_fallbacks() -> None:
    assert i18n.pick_lang("en") == "en" and i18n.pick_lang("fr") == "th" and i18n.pick_lang(None) == "th"
    assert i18n.translate("sign_in", "th") == "เข้าสู่ระบบ" and i18n.translate("sign_in", "en") == "Sign in"
    assert i18n.translate("results", "en", n=3) == "3 people"
    assert i18n.pick("th", "Data analyst", None) == "Data analyst"  # no Thai: the English
    assert i18n.pick("en", None, "นักวิเคราะห์") == "นักวิเคราะห์"
    assert i18n.label("on_track", "en") == "on track" and i18n.label("behind", "th") == "ต่ำกว่าเป้า"
    assert i18n.label("something_new", "en") == "something new"


def test_every_string_the_templates_use_exists_in_both_languages() -> None:
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(["']([a-z_]+)["']""", path.read_text(encoding="utf-8")))
    assert used, "the templates use translated strings"
    missing = sorted(k for k in used if k not in i18n.STRINGS)
    assert not missing, missing
    for key, (en, th) in i18n.STRINGS.items():
        assert en and th, key


def test_gap_chart_is_accessible_svg_with_the_numbers() -> None:
    svg = charts.gap_chart(
        [charts.GapBar("Data <analysis>", 1, 3), charts.GapBar("Statistics", 3, 2, essential=False)],
        title="My gap", max_level=5, have_label="Have", need_label="Need",
    )  # fmt: skip
    root = ET.fromstring(svg)  # well-formed, text escaped
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    assert root.find(f"{ns}title").text == "My gap"  # type: ignore[union-attr]
    assert "Data <analysis>: Have 1, Need 3" in root.find(f"{ns}desc").text  # type: ignore[union-attr]
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "1 / 3" in texts and "3 / 2" in texts
    short = [r for r in root.iter(f"{ns}rect") if r.get("fill") == charts.COLOUR_SHORT and r.get("opacity")]
    assert len(short) == 1  # only the skill below its need gets a red shortfall bar


def test_kpi_chart_marks_kpis_behind_the_expected_point() -> None:
    svg = charts.kpi_chart(
        [
            charts.KpiBar("Datasets", baseline=0, target=40, actual=5, expected=6.7),
            charts.KpiBar("Agencies", baseline=2, target=12, actual=5, expected=3.7),
            charts.KpiBar("Waiting days", baseline=30, target=10, actual=20, expected=25),  # lower is better
            charts.KpiBar("New", baseline=0, target=10, actual=None),
        ],
        title="KPIs", target_label="Target", actual_label="Actual",
    )  # fmt: skip
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(f"{ns}rect") if r.get("height") == "18" and r.get("fill") != "#eeeeee"]
    colours = [b.get("fill") for b in bars]
    assert colours == [charts.COLOUR_SHORT, charts.COLOUR_HAVE, charts.COLOUR_HAVE, charts.COLOUR_HAVE]
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "5 / 40 (12%)" in texts and "20 / 10 (50%)" in texts and "– / 10 (0%)" in texts


def test_heat_colours_follow_coverage() -> None:
    assert charts.heat_colour(0, 0) == "#f0f0f0"
    assert charts.heat_colour(1, 4) == "#f4b6b0"
    assert charts.heat_colour(3, 4) == "#f7dc8f"
    assert charts.heat_colour(4, 4) == charts.heat_colour(9, 4) == "#b9e0c2"


def test_every_changing_form_carries_the_csrf_secret_and_every_field_a_label() -> None:
    for path in TEMPLATES.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        for form in re.findall(r"<form\b.*?</form>", html, re.S):
            if 'method="post"' in form and 'action="/sign-in"' not in form:
                assert 'name="{{ csrf_field }}"' in form, f"{path.name}: a post form without the CSRF secret"
            for field in re.findall(r"<(?:input|select|textarea)\b[^>]*>", form):
                if 'type="hidden"' in field:
                    continue
                ident = re.search(r'id="([^"]+)"', field)
                labelled = ident is not None and f'for="{ident.group(1)}"' in form
                wrapped = re.search(r"<label>\s*" + re.escape(field), form) is not None
                assert labelled or wrapped, f"{path.name}: {field} has no label"
