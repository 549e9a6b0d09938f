from __future__ import annotations

from typing import Annotated

import msgspec

from hrsys.agencies.models import AgencyKind
from hrsys.core.errors import FieldError
from hrsys.core.schemas import Input, Output

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class AgencyCreate(Input):
    code: Code
    name_th: Name
    name_en: Name
    kind: AgencyKind
    parent: Code | None = None
    """Code of the parent agency; none for a top-level ministry."""
    province: str | None = None


class AgencyUpdate(Input):
    name_th: Name | None = None
    name_en: Name | None = None
    kind: AgencyKind | None = None
    parent: Code | None = None
    province: str | None = None
    version: int | None = None
    """The version you read; a stale edit is refused with 409."""

    def check(self) -> list[FieldError]:
        if self.version is not None and self.version < 1:
            return [FieldError("version", "must be 1 or more")]
        return []


class AgencyOut(Output):
    id: int
    code: str
    name_th: str
    name_en: str
    kind: AgencyKind
    parent: str | None
    depth: int
    province: str | None
    version: int


class AgencyNode(Output):
    code: str
    name_th: str
    name_en: str
    kind: AgencyKind
    depth: int
    children: list[AgencyNode] = []
