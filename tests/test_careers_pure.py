"""Pure modules of careers and training: the SVG layout, and the examples in their docstrings."""

from __future__ import annotations

import doctest
import itertools
import xml.etree.ElementTree as ET

import pytest

import hrsys.careers.gap
import hrsys.careers.paths
import hrsys.training.flows
import hrsys.training.plan
import hrsys.training.tna
from hrsys.careers.svg import BOX_H, BOX_W, SvgEdge, SvgNode, layout, render_svg


@pytest.mark.parametrize(
    "module", [hrsys.careers.gap, hrsys.careers.paths, hrsys.training.plan, hrsys.training.flows, hrsys.training.tna]
)
def test_docstring_examples_hold(module) -> None:  # type: ignore[no-untyped-def]
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def _nodes() -> tuple[list[SvgNode], list[SvgEdge]]:
    nodes = [SvgNode(i, f"R{i}", f"Role {i}", track, level) for i, (track, level) in enumerate(
        [("data", 1), ("data", 1), ("data", 2), ("data", 3), ("general", 1), ("general", 1), ("general", 1),
         ("cyber_security", 2)]
    )]  # fmt: skip
    edges = [SvgEdge(0, 2, "promotion"), SvgEdge(1, 2, "promotion"), SvgEdge(2, 3, "promotion", 3),
             SvgEdge(4, 0, "lateral", 1), SvgEdge(2, 7, "lateral")]  # fmt: skip
    return nodes, edges


def test_layout_bands_by_track_rows_by_level_and_no_overlap() -> None:
    nodes, edges = _nodes()
    pos, meta = layout(nodes, ["general", "data", "cyber_security"], edges)
    bands = meta["bands"]
    assert list(bands) == ["general", "data", "cyber_security"]
    for n in nodes:
        x, _ = pos[n.id]
        lo, width = bands[n.track]
        assert lo <= x and x + BOX_W <= lo + width + 1e-6
    # Higher levels are drawn higher up; one row per level.
    y = {n.level: pos[n.id][1] for n in nodes}
    assert y[3] < y[2] < y[1]
    for a, b in itertools.combinations(nodes, 2):
        (xa, ya), (xb, yb) = pos[a.id], pos[b.id]
        assert abs(xa - xb) >= BOX_W or abs(ya - yb) >= BOX_H, (a.code, b.code)


def test_render_is_well_formed_escaped_and_self_contained() -> None:
    nodes, edges = _nodes()
    nodes[0] = SvgNode(0, "R0", 'Analyst <"A&B">', "data", 1, highlight=True)
    svg = render_svg(nodes, edges, track_order=["general", "data"], title="Paths & <moves>")
    root = ET.fromstring(svg)  # raises on malformed XML
    assert root.tag.endswith("svg")
    assert "Analyst &lt;&quot;A&amp;B&quot;&gt;" in svg
    assert svg.count("marker-end=") == len(edges)
    assert "<script" not in svg and "href" not in svg
    empty = render_svg([], [], title="Nothing")
    assert ET.fromstring(empty).tag.endswith("svg") and "no roles" in empty
