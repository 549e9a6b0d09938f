"""What each kind of request does when decided: the owning domain registers a handler (extension point).

A domain above ``requests`` (training, taskforces, secondments, skills) registers, at the import of its
package, one :class:`KindHandler` per request kind it owns. :func:`hrsys.requests.service.decide` calls it
in the decider's transaction, after the separation-of-duties check and before the request row is closed,
so the domain's state change, the request's decision and their audit events commit together or not at all.
A handler raises ``hrsys.core.errors`` exceptions (a 409 if the subject moved on meanwhile); the whole
decision is then rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hrsys.requests.models import Decision, Request, RequestKind

Apply = Callable[[Session, Request, Decision, int | None], None]
"""``(session, request, decision, decider_user_id)``: apply the decision to the subject. What the decider
sent with the decision (``details``, e.g. the level of an assessment) is in ``request.payload["decision"]``."""

Cancel = Callable[[Session, Request, int | None], None]
"""``(session, request, requester_user_id)``: the requester withdrew the request; undo what asking did."""


@dataclass(frozen=True)
class KindHandler:
    apply: Apply
    link: Callable[[Request], str]
    """The page where the decider acts on (or reads) the subject, e.g. ``/hr/plans/12``."""
    due_days: int = 7
    """Days from asking to the due date, unless the asker gives one."""
    cancel: Cancel | None = None
    """Called by :func:`hrsys.requests.service.cancel` in the requester's transaction (None: nothing to undo)."""


_HANDLERS: dict[RequestKind, KindHandler] = {}


def register(kind: RequestKind, handler: KindHandler) -> None:
    _HANDLERS[kind] = handler


def handler(kind: RequestKind) -> KindHandler | None:
    return _HANDLERS.get(kind)


def decision_details(req: Request) -> dict[str, Any]:
    """What the decider sent with the decision (``decide(..., details=...)``), or ``{}``."""
    details = req.payload.get("decision") if req.payload else None
    return dict(details) if isinstance(details, Mapping) else {}
