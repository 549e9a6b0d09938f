"""Server-side SVG of the career-path graph: a layered layout by track and level (pure).

Layout: one column band per track (in the order given), one row per role level
with the highest level at the top, and the roles of one (track, level) cell side
by side, sorted by code. Every position is a function of the role's track,
level and rank in its cell, so the picture is stable between calls and needs no
iterative layout: O(V log V + E). Edges are straight arrows clipped at the
boxes: promotions solid, specialisations blue, lateral moves dashed.

The output is a self-contained SVG document (no scripts, no external fonts or
stylesheets), safe to embed with ``<img>``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from html import escape

import msgspec

BOX_W = 176
BOX_H = 50
GAP_X = 24
GAP_Y = 70
MARGIN = 30
HEADER = 40

TRACK_COLOURS = [
    "#1f77b4",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#ff7f0e",
    "#7f7f7f",
    "#393b79",
]
EDGE_STYLE = {
    "promotion": 'stroke="#333" stroke-width="1.6"',
    "specialisation": 'stroke="#1f5fbf" stroke-width="1.6"',
    "lateral": 'stroke="#888" stroke-width="1.3" stroke-dasharray="6 4"',
}


class SvgNode(msgspec.Struct, frozen=True):
    id: int
    code: str
    title: str
    track: str
    level: int
    highlight: bool = False
    retired: bool = False


class SvgEdge(msgspec.Struct, frozen=True):
    from_id: int
    to_id: int
    kind: str
    min_years: float = 0.0


def _truncate(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def layout(nodes: Sequence[SvgNode], track_order: Sequence[str]) -> tuple[dict[int, tuple[float, float]], dict]:
    """Top-left corner of each node's box, and the track bands ``{track: (x, width)}``."""
    order = {t: i for i, t in enumerate(track_order)}
    tracks = sorted({n.track for n in nodes}, key=lambda t: (order.get(t, len(order)), t))
    cells: dict[tuple[str, int], list[SvgNode]] = defaultdict(list)
    for n in nodes:
        cells[(n.track, n.level)].append(n)
    for members in cells.values():
        members.sort(key=lambda n: n.code)
    levels = sorted({n.level for n in nodes}, reverse=True)
    row = {lv: i for i, lv in enumerate(levels)}
    pos: dict[int, tuple[float, float]] = {}
    bands: dict[str, tuple[float, float]] = {}
    x = float(MARGIN)
    for t in tracks:
        width_boxes = max(len(members) for (tt, _), members in cells.items() if tt == t)
        width = width_boxes * BOX_W + (width_boxes - 1) * GAP_X
        bands[t] = (x, float(width))
        for (tt, lv), members in cells.items():
            if tt != t:
                continue
            offset = (width - (len(members) * BOX_W + (len(members) - 1) * GAP_X)) / 2
            for i, n in enumerate(members):
                pos[n.id] = (x + offset + i * (BOX_W + GAP_X), MARGIN + HEADER + row[lv] * (BOX_H + GAP_Y))
        x += width + 2 * GAP_X
    return pos, {"bands": bands, "levels": levels, "width": x - 2 * GAP_X + MARGIN}


def _clip(cx: float, cy: float, tx: float, ty: float) -> tuple[float, float]:
    """Where the segment from the centre ``(cx, cy)`` toward ``(tx, ty)`` leaves the box."""
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return cx, cy
    sx = (BOX_W / 2) / abs(dx) if dx else float("inf")
    sy = (BOX_H / 2) / abs(dy) if dy else float("inf")
    s = min(sx, sy)
    return cx + dx * s, cy + dy * s


def render_svg(
    nodes: Sequence[SvgNode],
    edges: Sequence[SvgEdge],
    *,
    track_order: Sequence[str] = (),
    track_labels: dict[str, str] | None = None,
    title: str = "Career paths",
) -> str:
    """An SVG document of the graph (see the module docstring for the layout)."""
    track_labels = track_labels or {}
    if not nodes:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" width="360" height="60" viewBox="0 0 360 60">'
            f'<text x="10" y="35" font-family="sans-serif" font-size="14">{escape(title)}: no roles</text></svg>'
        )
    pos, meta = layout(nodes, track_order)
    levels: list[int] = meta["levels"]
    width = meta["width"]
    height = MARGIN * 2 + HEADER + len(levels) * (BOX_H + GAP_Y) - GAP_Y + 30
    colour = {t: TRACK_COLOURS[i % len(TRACK_COLOURS)] for i, t in enumerate(meta["bands"])}
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" role="img">',
        f"<title>{escape(title)}</title>",
        "<defs>",
    ]
    for kind, style in EDGE_STYLE.items():
        fill = style.split('"')[1]
        out.append(
            f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{fill}"/></marker>'
        )
    out.append("</defs>")
    out.append(f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#fff"/>')
    for t, (x, w) in meta["bands"].items():
        out.append(
            f'<rect x="{x - GAP_X / 2:.1f}" y="{MARGIN / 2:.1f}" width="{w + GAP_X:.1f}" '
            f'height="{height - MARGIN:.1f}" fill="{colour[t]}" fill-opacity="0.06" rx="8"/>'
        )
        out.append(
            f'<text x="{x + w / 2:.1f}" y="{MARGIN + 12:.1f}" text-anchor="middle" font-size="14" '
            f'font-weight="bold" fill="{colour[t]}">{escape(track_labels.get(t, t))}</text>'
        )
    for i, lv in enumerate(levels):
        y = MARGIN + HEADER + i * (BOX_H + GAP_Y) + BOX_H / 2 + 4
        out.append(f'<text x="6" y="{y:.1f}" font-size="11" fill="#666">L{lv}</text>')
    for e in edges:
        if e.from_id not in pos or e.to_id not in pos:
            continue
        (x1, y1), (x2, y2) = pos[e.from_id], pos[e.to_id]
        c1 = (x1 + BOX_W / 2, y1 + BOX_H / 2)
        c2 = (x2 + BOX_W / 2, y2 + BOX_H / 2)
        a = _clip(*c1, *c2)
        b = _clip(*c2, *c1)
        kind = e.kind if e.kind in EDGE_STYLE else "promotion"
        label = f"{e.kind}, min {e.min_years:g} y" if e.min_years else e.kind
        out.append(
            f'<line x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" y2="{b[1]:.1f}" {EDGE_STYLE[kind]} '
            f'marker-end="url(#arrow-{kind})"><title>{escape(label)}</title></line>'
        )
    for n in nodes:
        x, y = pos[n.id]
        stroke = "#000" if n.highlight else colour[n.track]
        width_px = 3 if n.highlight else 1.5
        dash = ' stroke-dasharray="3 3"' if n.retired else ""
        out.append(
            f"<g><title>{escape(n.code)}: {escape(n.title)} (level {n.level})</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="#fff" '
            f'stroke="{stroke}" stroke-width="{width_px}"{dash}/>'
            f'<text x="{x + 8:.1f}" y="{y + 19:.1f}" font-size="12" font-weight="bold">'
            f"{escape(_truncate(n.code, 24))}</text>"
            f'<text x="{x + 8:.1f}" y="{y + 37:.1f}" font-size="11" fill="#333">'
            f"{escape(_truncate(n.title, 27))}</text></g>"
        )
    legend_y = height - 14
    out.append(
        f'<text x="{MARGIN}" y="{legend_y:.0f}" font-size="11" fill="#444">'
        "solid: promotion · blue: specialisation · dashed: lateral move</text>"
    )
    out.append("</svg>")
    return "\n".join(out)
