"""Server-side SVG of the career-path graph: a layered layout by track and level (pure).

Layout: one column band per track (in the order given), one row per role level
with the highest level at the top, and the roles of one (track, level) cell side
by side, ordered to reduce crossings (barycentre sweeps). Positions depend only on
the graph, so the picture is stable between calls: O(V log V + E) per sweep.
Edges are curves between rows: promotions solid, specialisations blue, lateral
moves dashed.

The output is a self-contained SVG document (no scripts, no external fonts or
stylesheets), safe to embed with ``<img>``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from html import escape

import msgspec

BOX_W = 190
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


def _header_width(label: str) -> float:
    return len(label) * 8.5 + 16


def layout(
    nodes: Sequence[SvgNode],
    track_order: Sequence[str],
    edges: Sequence[SvgEdge] = (),
    track_labels: dict[str, str] | None = None,
) -> tuple[dict[int, tuple[float, float]], dict]:
    """Top-left corner of each node's box, and the track bands ``{track: (x, width)}``.

    Within a cell, roles are ordered by the mean position of their neighbours in the
    cells already placed (one sweep up the levels, one down: the barycentre
    heuristic of Sugiyama et al. 1981), which removes most avoidable crossings.
    """
    track_labels = track_labels or {}
    order = {t: i for i, t in enumerate(track_order)}
    tracks = sorted({n.track for n in nodes}, key=lambda t: (order.get(t, len(order)), t))
    cells: dict[tuple[str, int], list[SvgNode]] = defaultdict(list)
    for n in nodes:
        cells[(n.track, n.level)].append(n)
    for members in cells.values():
        members.sort(key=lambda n: n.code)
    levels = sorted({n.level for n in nodes}, reverse=True)
    row = {lv: i for i, lv in enumerate(levels)}
    neighbours: dict[int, list[int]] = defaultdict(list)
    for e in edges:
        neighbours[e.from_id].append(e.to_id)
        neighbours[e.to_id].append(e.from_id)
    pos: dict[int, tuple[float, float]] = {}
    bands: dict[str, tuple[float, float]] = {}

    def place() -> None:
        x = float(MARGIN)
        for t in tracks:
            width_boxes = max(len(members) for (tt, _), members in cells.items() if tt == t)
            width = max(width_boxes * BOX_W + (width_boxes - 1) * GAP_X, _header_width(track_labels.get(t, t)))
            bands[t] = (x, float(width))
            for (tt, lv), members in cells.items():
                if tt != t:
                    continue
                offset = (width - (len(members) * BOX_W + (len(members) - 1) * GAP_X)) / 2
                for i, n in enumerate(members):
                    pos[n.id] = (x + offset + i * (BOX_W + GAP_X), MARGIN + HEADER + row[lv] * (BOX_H + GAP_Y))
            x += width + 2 * GAP_X

    place()
    for sweep in (sorted(levels), levels):
        done: set[int] = set()
        for lv in sweep:
            for (_, clv), members in cells.items():
                if clv != lv:
                    continue

                def centre(n: SvgNode, done: set[int] = done) -> tuple[float, str]:
                    xs = [pos[m][0] for m in neighbours[n.id] if m in done and m in pos]
                    return (sum(xs) / len(xs) if xs else pos[n.id][0], n.code)

                members.sort(key=centre)
                done.update(m.id for m in members)
            place()
    width_total = max((x + w for x, w in bands.values()), default=0.0) + MARGIN
    return pos, {"bands": bands, "levels": levels, "width": width_total}


def _edge_path(a: tuple[float, float], b: tuple[float, float]) -> str:
    """An SVG path from box ``a`` to box ``b`` (top-left corners): a vertical S-curve between rows,
    a straight line between neighbours of one row, an arc above the row otherwise."""
    (x1, y1), (x2, y2) = a, b
    c1, c2 = x1 + BOX_W / 2, x2 + BOX_W / 2
    if abs(y1 - y2) < 1:
        if abs(x2 - x1) <= BOX_W + GAP_X + 1:
            sx = x1 + BOX_W if x2 > x1 else x1
            ex = x2 if x2 > x1 else x2 + BOX_W
            y = y1 + BOX_H / 2
            return f"M{sx:.1f},{y:.1f} L{ex:.1f},{y:.1f}"
        top = y1 - GAP_Y * 0.45
        return f"M{c1:.1f},{y1:.1f} C{c1:.1f},{top:.1f} {c2:.1f},{top:.1f} {c2:.1f},{y1:.1f}"
    shift = max(-BOX_W / 3, min(BOX_W / 3, (c2 - c1) / 8))
    sx, ex = c1 + shift, c2 - shift
    up = y2 < y1
    sy, ey = (y1, y2 + BOX_H) if up else (y1 + BOX_H, y2)
    if abs(y1 - y2) <= BOX_H + GAP_Y + 1:  # neighbouring rows: one S-curve
        mid = (sy + ey) / 2
        return f"M{sx:.1f},{sy:.1f} C{sx:.1f},{mid:.1f} {ex:.1f},{mid:.1f} {ex:.1f},{ey:.1f}"
    # Across rows: leave the box, run down the gap beside it, come back in under (or over) the target.
    lane = x1 + BOX_W + GAP_X / 2 if c2 >= c1 else x1 - GAP_X / 2
    d = -1 if up else 1
    a_y, b_y = sy + d * GAP_Y / 2, ey - d * GAP_Y / 2
    return (
        f"M{sx:.1f},{sy:.1f} C{sx:.1f},{a_y:.1f} {lane:.1f},{sy:.1f} {lane:.1f},{a_y:.1f} "
        f"L{lane:.1f},{b_y:.1f} C{lane:.1f},{ey:.1f} {ex:.1f},{b_y:.1f} {ex:.1f},{ey:.1f}"
    )


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
    pos, meta = layout(nodes, track_order, edges, track_labels)
    levels: list[int] = meta["levels"]
    width = meta["width"]
    height = MARGIN * 2 + HEADER + len(levels) * (BOX_H + GAP_Y) - GAP_Y + 30
    order = list(track_order) + sorted(t for t in meta["bands"] if t not in track_order)
    colour = {t: TRACK_COLOURS[order.index(t) % len(TRACK_COLOURS)] for t in meta["bands"]}
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
        kind = e.kind if e.kind in EDGE_STYLE else "promotion"
        label = f"{e.kind}, min {e.min_years:g} y" if e.min_years else e.kind
        out.append(
            f'<path d="{_edge_path(pos[e.from_id], pos[e.to_id])}" fill="none" {EDGE_STYLE[kind]} '
            f'marker-end="url(#arrow-{kind})"><title>{escape(label)}</title></path>'
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
            f'<text x="{x + 8:.1f}" y="{y + 19:.1f}" font-size="11" font-weight="bold">'
            f"{escape(_truncate(n.code, 25))}</text>"
            f'<text x="{x + 8:.1f}" y="{y + 37:.1f}" font-size="11" fill="#333">'
            f"{escape(_truncate(n.title, 30))}</text></g>"
        )
    legend_y = height - 14
    out.append(
        f'<text x="{MARGIN}" y="{legend_y:.0f}" font-size="11" fill="#444">'
        "solid: promotion · blue: specialisation · dashed: lateral move</text>"
    )
    out.append("</svg>")
    return "\n".join(out)
