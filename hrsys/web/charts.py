"""Server-side SVG charts for the web pages (pure: strings in, SVG text out).

Every chart is an accessible ``<svg role="img">`` with a ``<title>`` and a
``<desc>`` that says in words what the bars show, so a screen reader (and a
page without the chart) loses nothing: the pages also show the same numbers in
a table. All text is XML-escaped. Each function is O(number of bars).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

COLOUR_HAVE = "#1b6e3a"
COLOUR_SHORT = "#b3261e"
COLOUR_NEED = "#6b6b6b"
COLOUR_TARGET = "#1f4e8c"


def _e(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _truncate(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@dataclass(frozen=True)
class GapBar:
    label: str
    have: int
    need: int
    essential: bool = True


def _svg_start(name: str, width: int, height: int, title: str, desc: str) -> str:
    """The opening of a chart: the ``svg`` element labelled by its title and description (ids ``NAME-title``,
    ``NAME-desc``)."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{name}-title {name}-desc">'
        f'<title id="{name}-title">{_e(title)}</title><desc id="{name}-desc">{_e(desc)}</desc>'
    )


def gap_chart(bars: Sequence[GapBar], *, title: str, max_level: int, have_label: str, need_label: str) -> str:
    """One row per skill: a green bar to the level held, a grey outline to the level needed, red where short.

    ``max_level`` is the top of the scale (the bars' full width).
    """
    row_h, label_w, bar_w, top = 26, 260, 320, 34
    height = top + row_h * max(1, len(bars)) + 10
    width = label_w + bar_w + 70
    scale = bar_w / max(1, max_level)
    desc = "; ".join(f"{b.label}: {have_label} {b.have}, {need_label} {b.need}" for b in bars)
    out = [
        _svg_start("gap", width, height, title, desc),
        f'<rect x="{label_w}" y="8" width="12" height="12" fill="{COLOUR_HAVE}"/>'
        f'<text x="{label_w + 16}" y="19" font-size="12">{_e(have_label)}</text>'
        f'<rect x="{label_w + 110}" y="8" width="12" height="12" fill="{COLOUR_SHORT}"/>'
        f'<text x="{label_w + 126}" y="19" font-size="12">{_e(need_label)}</text>',
    ]
    for i, b in enumerate(bars):
        y = top + i * row_h
        have_w = min(b.have, max_level) * scale
        need_w = min(b.need, max_level) * scale
        weight = "bold" if b.essential else "normal"
        out.append(
            f'<text x="{label_w - 8}" y="{y + 15}" font-size="12" text-anchor="end" font-weight="{weight}">'
            f"{_e(_truncate(b.label, 38))}</text>"
        )
        if b.need > b.have:
            out.append(
                f'<rect x="{label_w + have_w:.1f}" y="{y + 3}" width="{need_w - have_w:.1f}" height="16" '
                f'fill="{COLOUR_SHORT}" opacity="0.85"/>'
            )
        out.append(f'<rect x="{label_w}" y="{y + 3}" width="{have_w:.1f}" height="16" fill="{COLOUR_HAVE}"/>')
        out.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{need_w:.1f}" height="16" fill="none" '
            f'stroke="{COLOUR_NEED}" stroke-width="1"/>'
        )
        out.append(f'<text x="{label_w + bar_w + 8}" y="{y + 15}" font-size="12">{b.have} / {b.need}</text>')
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class KpiBar:
    label: str
    baseline: float
    target: float
    actual: float | None
    expected: float | None = None
    """Where the KPI should be by now if progress were even over the period."""


def kpi_chart(bars: Sequence[KpiBar], *, title: str, target_label: str, actual_label: str) -> str:
    """One row per KPI, as progress from baseline (0%) to target (100%): the actual as a bar, the expected
    point as a tick; bars behind the expected point are red. Works for lower-is-better KPIs too
    (progress is (actual - baseline) / (target - baseline))."""
    row_h, label_w, bar_w, top = 34, 240, 320, 34
    height = top + row_h * max(1, len(bars)) + 10
    width = label_w + bar_w + 140
    desc = "; ".join(f"{b.label}: {target_label} {b.target:g}, {actual_label} {_num(b.actual)}" for b in bars)
    out = [
        _svg_start("kpi", width, height, title, desc),
        f'<rect x="{label_w}" y="8" width="12" height="12" fill="{COLOUR_HAVE}"/>'
        f'<text x="{label_w + 16}" y="19" font-size="12">{_e(actual_label)}</text>'
        f'<line x1="{label_w + 120}" y1="6" x2="{label_w + 120}" y2="22" stroke="{COLOUR_TARGET}" stroke-width="3"/>'
        f'<text x="{label_w + 128}" y="19" font-size="12">{_e(target_label)} (100%)</text>',
    ]
    for i, b in enumerate(bars):
        y = top + i * row_h
        span = b.target - b.baseline
        progress = 0.0 if b.actual is None or span == 0 else (b.actual - b.baseline) / span
        shown = max(0.0, min(progress, 1.2))
        behind = b.expected is not None and span != 0 and progress < (b.expected - b.baseline) / span
        colour = COLOUR_SHORT if behind else COLOUR_HAVE
        out.append(
            f'<text x="{label_w - 8}" y="{y + 17}" font-size="12" text-anchor="end">{_e(_truncate(b.label, 34))}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="18" fill="#eeeeee"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{shown * bar_w / 1.2:.1f}" height="18" fill="{colour}"/>'
            f'<line x1="{label_w + bar_w / 1.2:.1f}" y1="{y}" x2="{label_w + bar_w / 1.2:.1f}" y2="{y + 26}" '
            f'stroke="{COLOUR_TARGET}" stroke-width="3"/>'
        )
        if b.expected is not None and span != 0:
            ex = max(0.0, min((b.expected - b.baseline) / span, 1.2)) * bar_w / 1.2
            out.append(
                f'<line x1="{label_w + ex:.1f}" y1="{y + 2}" x2="{label_w + ex:.1f}" y2="{y + 24}" '
                f'stroke="#000" stroke-width="1.5" stroke-dasharray="3 2"/>'
            )
        out.append(
            f'<text x="{label_w + bar_w + 8}" y="{y + 17}" font-size="12">'
            f"{_e(_num(b.actual))} / {b.target:g} ({round(progress * 100)}%)</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def heat_colour(supply: int, demand: int) -> str:
    """Background colour of a heat-map cell: red where supply covers under half the demand, amber under
    all of it, green at or above; grey when nothing is demanded. All four pass WCAG AA with black text."""
    if demand == 0:
        return "#f0f0f0"
    ratio = supply / demand
    if ratio < 0.5:
        return "#f4b6b0"
    if ratio < 1:
        return "#f7dc8f"
    return "#b9e0c2"
