"""Task-force leads' pages: the task forces they lead, and one task force with its needs, the proposed team,
the members and the KPIs."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from hrsys.access.guard import taskforce_guard
from hrsys.access.identity import User
from hrsys.access.rules import Access
from hrsys.core.errors import FieldError, Invalid
from hrsys.core.handler_params import Db, DbEngine
from hrsys.taskforces import members as taskforce_members
from hrsys.taskforces import needs as taskforce_needs
from hrsys.taskforces import overview as taskforces_overview
from hrsys.taskforces import proposals, reporting
from hrsys.taskforces import service as taskforces
from hrsys.taskforces.schemas import ProposalRequest
from hrsys.web import charts, i18n
from hrsys.web.pages import PageController, PageRequest, lang_of, render, require_form


def _kpi_svg(kpis: list[Any], lang: str) -> str | None:
    if not kpis:
        return None
    bars = []
    for k in kpis:
        span = k.target - k.baseline
        expected = None if k.expected_pct is None else k.baseline + span * k.expected_pct / 100
        bars.append(charts.KpiBar(i18n.pick(lang, k.name_en, k.name_th), k.baseline, k.target, k.latest, expected))
    return charts.kpi_chart(
        bars, title=i18n.translate("kpis", lang), target_label=i18n.translate("target", lang),
        actual_label=i18n.translate("actual", lang),
    )  # fmt: skip


def proposal_options(form: dict[str, Any]) -> ProposalRequest:
    """The proposal options of the lead's form; a bad value is a 422 naming the field."""
    raw = str(form.get("max_externals") or "").strip()
    errors = []
    max_externals: int | None = None
    if raw:
        try:
            max_externals = int(raw)
        except ValueError:
            errors.append(FieldError("max_externals", "a whole number of experts, or empty for no limit"))
        else:
            if not 0 <= max_externals <= 200:
                errors.append(FieldError("max_externals", "between 0 and 200"))
    if errors:
        raise Invalid.many(errors)
    return ProposalRequest(prefer_internal=form.get("prefer_internal") == "1", max_externals=max_externals)


class LeadController(PageController):
    @get("/lead", opt={"access": Access.lead}, sync_to_thread=True)
    def my_taskforces(self, request: PageRequest, db_engine: DbEngine, current_user: User) -> Template:
        """The task forces I lead (HR officers: of their subtree; admins: all)."""
        return render(request, "lead.html", taskforces=taskforces_overview.my_taskforces(db_engine, current_user))

    def _page(
        self, request: PageRequest, session: Session, taskforce_id: int, *, proposal: Any = None,
        accepted: bool = False, message: str | None = None, status_code: int = 200
    ) -> Template:  # fmt: skip
        lang = lang_of(request)
        tf = taskforces.get(session, taskforce_id)
        needs = taskforce_needs.needs_out(session, taskforce_id)
        members = taskforce_members.members_out(session, taskforce_id)
        viewer = request.user  # costs the reader may not see are masked (hrsys/taskforces/visibility.py)
        rep = reporting.report(session, taskforce_id, viewer=viewer)
        if proposal is None:
            open_ones = [p for p in proposals.list_proposals(session, taskforce_id, viewer) if p.status.value == "open"]
            if open_ones:
                proposal = proposals.read(session, taskforce_id, open_ones[0].id, viewer)
        names = {n.id: n.skill_name for n in needs}
        return render(
            request,
            "taskforce.html",
            status_code=status_code,
            tf=tf,
            needs=needs,
            members=members,
            report=rep,
            kpi_svg=_kpi_svg(rep.kpis, lang),
            proposal=proposal,
            need_names=names,
            accepted=accepted,
            message=message,
        )

    @get("/lead/taskforces/{taskforce_id:int}", opt={"access": Access.lead}, guards=[taskforce_guard()],
         sync_to_thread=True)  # fmt: skip
    def taskforce_page(
        self, request: PageRequest, db_session: Db, taskforce_id: FromPath[int], accepted: FromQuery[bool] = False
    ) -> Template:
        """Needs and coverage, the open proposal, members and allocation, KPIs against target."""
        return self._page(request, db_session, taskforce_id, accepted=accepted)

    @post("/lead/taskforces/{taskforce_id:int}/proposals", opt={"access": Access.lead},
          guards=[taskforce_guard()], sync_to_thread=True, status_code=303)  # fmt: skip
    def propose(
        self,
        request: PageRequest,
        db_session: Db,
        current_user: User,
        taskforce_id: FromPath[int],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Redirect:
        """Ask for a team; it is kept as the open proposal shown on the page. Options: prefer civil servants
        (on unless unticked), at most N external experts (empty: no limit)."""
        require_form(request)
        options = proposal_options(data)
        proposals.create(db_session, taskforce_id, options, user_id=current_user.id)
        db_session.commit()
        return Redirect(f"/lead/taskforces/{taskforce_id}#proposal", status_code=303)

    @post("/lead/taskforces/{taskforce_id:int}/proposals/{proposal_id:int}/accept", opt={"access": Access.lead},
          guards=[taskforce_guard()], sync_to_thread=True, status_code=303)  # fmt: skip
    def accept(self, db_session: Db, taskforce_id: FromPath[int], proposal_id: FromPath[int]) -> Redirect:
        """Turn the proposal into members (409 page if a need changed meanwhile)."""
        proposals.accept(db_session, taskforce_id, proposal_id)
        db_session.commit()
        return Redirect(f"/lead/taskforces/{taskforce_id}?accepted=true#members", status_code=303)
