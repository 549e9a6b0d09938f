"""People-list benchmarks: in-process latency, and HTTP throughput against a trivial endpoint."""

from __future__ import annotations

import random
import urllib.parse

import sqlalchemy as sa

from hrsys.agencies.models import Agency
from hrsys.bench.context import BenchContext, BenchRow, latency_row, time_calls
from hrsys.generate import names
from hrsys.people import listing

PAGE = 50


def _agency_codes(ctx: BenchContext) -> list[str]:
    with ctx.engine.connect() as conn:
        return list(conn.scalars(sa.select(Agency.code).order_by(Agency.id)))


def name_fragments(rng: random.Random, n: int = 200) -> list[str]:
    """Three-to-five-character pieces of Thai given names and surnames, as an HR officer types them."""
    words = [th for th, _ in names.GIVEN_MALE + names.GIVEN_FEMALE + names.SURNAMES]
    out = []
    for _ in range(n):
        w = rng.choice(words)
        size = min(len(w), rng.randint(3, 5))
        start = rng.randint(0, len(w) - size)
        out.append(w[start : start + size])
    return out


def benchmarks(ctx: BenchContext) -> list[BenchRow]:
    rng = ctx.rng("people")
    codes = _agency_codes(ctx)
    fragments = name_fragments(rng)
    agencies = [rng.choice(codes) for _ in range(500)]
    e = ctx.engine
    rows = [
        latency_row(
            "people list, page of 50 by agency subtree (in-process)",
            ctx.database,
            time_calls(lambda i: listing.list_people(e, agency=agencies[i % 500], limit=PAGE), n=500),
            5,
        ),
        latency_row(
            "people list, Thai name search (in-process)",
            ctx.database,
            time_calls(lambda i: listing.list_people(e, q=fragments[i % 200], limit=PAGE), n=500),
            5,
        ),
        latency_row(
            "people list, name search within an agency subtree (in-process)",
            ctx.database,
            time_calls(
                lambda i: listing.list_people(e, q=fragments[i % 200], agency=agencies[i % 500], limit=PAGE), n=500
            ),
            None,
        ),
    ]
    ctx.info["people_paths"] = {
        "by agency": [f"/api/v1/people?agency={urllib.parse.quote(a)}&limit={PAGE}" for a in agencies],
        "by Thai name": [f"/api/v1/people?q={urllib.parse.quote(f)}&limit={PAGE}" for f in fragments],
    }
    return rows
