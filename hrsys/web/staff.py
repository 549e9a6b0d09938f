"""Staff pages: my profile, gap, career paths, training plan, plans and enrolments, the self-assessment form;
and the same page of someone in scope, for HR officers and admins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access.guard import person_guard
from hrsys.access.identity import CurrentUser, User
from hrsys.access.rules import Access
from hrsys.careers import cache as career_cache
from hrsys.careers import overview as careers_overview
from hrsys.careers import service as careers
from hrsys.careers.svg import SvgEdge, SvgNode, render_svg
from hrsys.core import clock
from hrsys.core.errors import FieldError, Forbidden, Invalid, NotFound
from hrsys.core.handler_params import Db, DbEngine
from hrsys.skills import overview as skills_overview
from hrsys.skills.assessments import service as assessment_service
from hrsys.skills.assessments.schemas import AssessmentCreate
from hrsys.training import plans as dev_plans
from hrsys.training.enrolments import list_enrolments
from hrsys.training.training_plan import training_plan
from hrsys.web import charts, i18n
from hrsys.web.pages import PageController, PageRequest, lang_of, render, require_form
from hrsys.web.panels import safely


def paths_diagram(engine: Engine, paths_out: Any, lang: str) -> str:
    cd = career_cache.career_data(engine)
    edges: dict[tuple[str, str], tuple[str, float]] = {}
    for p in paths_out.paths:
        for s in p.steps:
            edges[(s.from_role, s.role)] = (s.kind.value, s.min_years)
    codes = sorted({c for pair in edges for c in pair})
    nodes = []
    for i, code in enumerate(codes):
        r = cd.role(code)
        if r is None:
            continue
        nodes.append(
            SvgNode(
                id=i,
                code=code,
                title=i18n.pick(lang, r.title_en, r.title_th),
                track=str(r.track),
                level=r.level,
                highlight=code in (paths_out.from_role, paths_out.to_role),
            )
        )
    ids = {n.code: n.id for n in nodes}
    svg_edges = [
        SvgEdge(ids[a], ids[b], kind, years) for (a, b), (kind, years) in edges.items() if a in ids and b in ids
    ]
    svg = render_svg(
        nodes,
        svg_edges,
        track_order=careers.TRACK_ORDER,
        track_labels={t.value: label for t, label in careers.TRACK_LABELS.items()},
        title=i18n.translate("paths", lang),
    )
    return svg[svg.index("<svg") :] if "<svg" in svg else svg


@dataclass
class SelfAssessmentForm:
    skill: str = ""
    level: str = ""
    evidence: str = ""


class StaffController(PageController):
    @get("/me", opt={"access": Access.person}, sync_to_thread=True)
    def my_page(
        self,
        request: PageRequest,
        db_engine: DbEngine,
        db_session: Db,
        current_user: User,
        target: Annotated[str | None, QueryParameter(max_length=80)] = None,
        saved: FromQuery[bool] = False,
    ) -> Template:
        """My profile, gap to my target role, career paths, training plan, plans and enrolments, self-assessment."""
        return self._render(request, db_engine, db_session, current_user, target, saved=saved)

    def _render(
        self,
        request: PageRequest,
        engine: Engine,
        session: Session,
        user: CurrentUser,
        target: str | None,
        *,
        saved: bool = False,
        form_errors: list[FieldError] | None = None,
        status_code: int = 200,
        person_id: int | None = None,
    ) -> Template:
        lang = lang_of(request)
        if person_id is None and user.person_id is None:
            return render(request, "error.html", status_code=200, message=i18n.translate("no_person", lang), errors=[])
        pid = person_id if person_id is not None else user.person_id
        assert pid is not None
        own = pid == user.person_id
        me = careers_overview.person_header(engine, pid)
        if me is None:
            raise NotFound("person", pid)
        profile = assessment_service.person_profile(engine, pid)
        history = assessment_service.history(engine, pid, limit=20)
        plans = dev_plans.list_plans(session, person_id=pid)
        enrolments = list_enrolments(session, person_id=pid, limit=50)
        cd = career_cache.career_data(engine)
        roles = sorted((r for r in cd.roles.values() if not r.retired), key=lambda r: (str(r.track), r.level, r.code))
        # the target role: asked for, else the newest active plan's, else the best next move
        if target is None:
            target = next(
                (p.target_role for p in plans if p.target_role and p.status.value not in ("done", "cancelled")), None
            )
        if target is None:
            moves, _ = safely(careers.person_next_moves, engine, pid)
            if moves is not None and moves.moves:
                target = moves.moves[0].role
        gap = gap_svg = paths = paths_svg = plan = None
        gap_error = paths_error = plan_error = None
        if target is not None:
            gap, gap_error = safely(careers.person_gap, engine, pid, target)
            if gap is not None:
                bars = [
                    charts.GapBar(i18n.pick(lang, i.name_en, i.name_th), i.have, i.need, i.essential) for i in gap.items
                ]
                top = max([5, *(b.need for b in bars), *(b.have for b in bars)])
                gap_svg = charts.gap_chart(
                    bars, title=i18n.translate("gap", lang), max_level=top,
                    have_label=i18n.translate("have", lang), need_label=i18n.translate("need", lang),
                )  # fmt: skip
            if me["role"] is not None and me["role"].code != target:
                paths, paths_error = safely(careers.person_paths, engine, pid, target, k=3)
                if paths is not None:
                    paths_svg = paths_diagram(engine, paths, lang)
            plan, plan_error = safely(training_plan, engine, pid, target)
        return render(
            request,
            "me.html",
            status_code=status_code,
            me=me,
            profile=profile,
            groups=skills_overview.profile_groups(engine, profile.skills),
            history=history.items,
            roles=roles,
            target=target,
            gap=gap,
            gap_svg=gap_svg,
            gap_error=gap_error,
            paths=paths,
            paths_svg=paths_svg,
            paths_error=paths_error,
            plan=plan,
            plan_error=plan_error,
            plans=plans,
            enrolments=enrolments,
            assessable=skills_overview.self_assessable_skills(
                engine, pid, careers_overview.requirement_skill_ids(engine, me["role"].id if me["role"] else None)
            ),
            saved=saved,
            form_errors=form_errors or [],
            own=own,
            base=request.url.path,
        )

    @get("/people/{person_id:int}", opt={"access": Access.person}, guards=[person_guard()], sync_to_thread=True)
    def person_page(
        self,
        request: PageRequest,
        db_engine: DbEngine,
        db_session: Db,
        current_user: User,
        person_id: FromPath[int],
        target: Annotated[str | None, QueryParameter(max_length=80)] = None,
    ) -> Template:
        """Someone's development page, for HR officers in scope and admins (the read is audited by the guard);
        the same page as ``/me`` without the self-assessment form."""
        return self._render(request, db_engine, db_session, current_user, target, person_id=person_id)

    @post("/me/assessments", opt={"access": Access.person}, sync_to_thread=True, status_code=303)
    def self_assess(
        self,
        request: PageRequest,
        db_engine: DbEngine,
        db_session: Db,
        current_user: User,
        data: Annotated[SelfAssessmentForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Record a self-assessment (source: self, today); a bad field re-shows the page with the reason."""
        require_form(request)
        if current_user.person_id is None:
            raise Forbidden("no person")
        errors = []
        if not data.skill:
            errors.append(FieldError("skill", "choose a skill"))
        try:
            level = int(data.level)
        except ValueError:
            level = -1
            errors.append(FieldError("level", "choose a level"))
        if not errors:
            try:
                assessment_service.record_assessment(
                    db_session,
                    current_user.person_id,
                    AssessmentCreate(
                        skill=data.skill, level=level, source="self", assessed_on=clock.today(),  # type: ignore[arg-type]
                        evidence=data.evidence.strip() or None,
                    ),
                )  # fmt: skip
                db_session.commit()
                return Redirect("/me?saved=true", status_code=303)
            except Invalid as exc:
                db_session.rollback()
                errors = exc.errors or [FieldError("skill", exc.detail)]
            except msgspec.ValidationError as exc:
                errors = [FieldError("evidence", str(exc))]
        return self._render(request, db_engine, db_session, current_user, None, form_errors=errors, status_code=422)
