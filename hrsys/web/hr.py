"""HR officers' pages: the dashboard of their agency subtree, the people search by skill, the upload of people
and assessments."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Template
from sqlalchemy.engine import Engine

from hrsys.access import scope
from hrsys.access.identity import CurrentUser, User
from hrsys.access.rules import Access
from hrsys.agencies import overview as agencies_overview
from hrsys.agencies.overview import AgencyInfo
from hrsys.careers import cache as career_cache
from hrsys.careers import overview as careers_overview
from hrsys.careers import succession
from hrsys.core.errors import NotFound
from hrsys.core.handler_params import Db, DbEngine
from hrsys.people.importer import COLUMNS, import_people
from hrsys.people.listing import list_people_for
from hrsys.secondments import lookups as secondment_lookups
from hrsys.secondments import reports as secondment_reports
from hrsys.secondments.routes import provide_policy
from hrsys.skills.assessments.importer import import_assessments
from hrsys.skills.catalog.service import search_skills
from hrsys.taskforces import overview as taskforces_overview
from hrsys.taskforces import reporting
from hrsys.training import needs as training_needs
from hrsys.web import charts, i18n
from hrsys.web.pages import PageController, PageRequest, lang_of, render, require_form
from hrsys.web.panels import panel_cache, safely


def _hr_root(engine: Engine, user: CurrentUser, agency: str | None) -> AgencyInfo | None:
    """The agency a dashboard is about: an HR officer's own (or one of their subtree), any for admins."""
    if agency:
        info = agencies_overview.agency_of(engine, code=agency)
        if info is None:
            raise NotFound("agency", agency)
        if not user.is_admin and not (user.agency_path and info.path.startswith(user.agency_path)):
            raise NotFound("agency", agency)
        return info
    if user.agency_id is not None:
        return agencies_overview.agency_of(engine, agency_id=user.agency_id)
    return None


def _upload_page(request: PageRequest, status_code: int = 200, **context: Any) -> Template:
    return render(request, "upload.html", status_code, people_columns=COLUMNS, **context)


class HrController(PageController):
    @get("/hr", opt={"access": Access.hr}, sync_to_thread=True)
    def dashboard(
        self,
        request: PageRequest,
        db_engine: DbEngine,
        db_session: Db,
        current_user: User,
        agency: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> Template:
        """Heat map, bench strength of critical roles, training needs, secondment alerts, KPIs behind target."""
        root = _hr_root(db_engine, current_user, agency)
        code = root.code if root else None
        cache = panel_cache(request)
        heat, as_of = cache.get(("heat", code), lambda: careers_overview.heat_map(db_engine, root))
        cells = {k: (v[0], v[1], charts.heat_colour(v[0], v[1])) for k, v in heat.cells.items()}
        cd = career_cache.career_data(db_engine)

        def bench_panel() -> list[tuple[Any, Any]]:
            out = []
            for rid in sorted(cd.critical, key=lambda r: cd.roles[r].code)[:8]:
                b, _ = safely(succession.bench_strength, db_engine, cd.roles[rid].code, agency=code, limit=3)
                if b is not None:
                    out.append((cd.roles[rid], b))
            return out

        benches, _ = cache.get(("bench", code, cd.version), bench_panel)
        (tn, tn_error), _ = cache.get(
            ("needs", code),
            lambda: safely(training_needs.training_needs, db_engine, agency=code, course_limit=5),
        )
        policy = provide_policy(request.app.state)
        alerts, alerts_error = safely(
            secondment_reports.alerts, db_engine, policy=policy, today=secondment_lookups.bangkok_today(), agency=code,
            limit=10,
        )  # fmt: skip
        behind = []
        for tf_id in taskforces_overview.taskforce_ids_in(db_engine, root):
            rep, _ = safely(reporting.report, db_session, tf_id)
            if rep is None:
                continue
            for k in rep.kpis:
                if k.status in ("behind", "overdue"):
                    behind.append((rep.taskforce, k))
        return render(
            request,
            "hr.html",
            root=root,
            heat=heat,
            cells=cells,
            benches=benches,
            needs=tn,
            needs_error=tn_error,
            alerts=alerts,
            alerts_error=alerts_error,
            behind=behind,
            as_of=as_of,
            agencies=agencies_overview.agencies_under(db_engine, current_user),
        )

    @get("/hr/people", opt={"access": Access.hr}, sync_to_thread=True)
    def people_search(
        self,
        request: PageRequest,
        db_engine: DbEngine,
        current_user: User,
        skill: Annotated[str | None, QueryParameter(max_length=170)] = None,
        min_level: Annotated[str | None, QueryParameter(max_length=3)] = None,
    ) -> Template:
        """People of the officer's subtree holding a skill at a level (current profiles)."""
        results = None
        error = None
        level = 1
        chosen = None
        if skill:
            try:
                level = int(min_level or 1)
            except ValueError:
                level = 1
            ref = skill.strip()
            if ":" not in ref:  # a name or a code: the best match of the skills search
                found, err = safely(search_skills, db_engine, q=ref, limit=1)
                items = getattr(found, "items", found) if found is not None else None
                if items:
                    ref = items[0].ref
                    chosen = items[0]
                else:
                    error = err or i18n.translate("nothing", lang_of(request))
            if error is None:
                results, error = safely(
                    list_people_for, db_engine, current_user, skill=[ref], min_level=level, limit=100
                )
        return render(
            request, "people.html", skill=skill or "", min_level=level, results=results, error=error, chosen=chosen
        )

    @get("/hr/upload", opt={"access": Access.hr}, sync_to_thread=False)
    def upload_page(self, request: PageRequest) -> Template:
        return _upload_page(request, report=None, kind="people", error=None)

    @post("/hr/upload", opt={"access": Access.hr}, sync_to_thread=True, status_code=200)
    def upload(
        self,
        request: PageRequest,
        db_session: Db,
        current_user: User,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template:
        """Import people or assessments from CSV/XLSX; the row-level problems are listed on the page."""
        require_form(request)
        t = i18n.translator(lang_of(request))
        kind = data.get("kind") if data.get("kind") in ("people", "assessments") else "people"
        upload = data.get("file")
        partial = bool(data.get("partial"))
        dry_run = bool(data.get("dry_run"))
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _upload_page(request, 422, report=None, kind=kind, error=t("file"))
        if kind == "people":
            agency_ids = (
                None if current_user.is_admin else set(db_session.scalars(scope.subtree_agency_ids(current_user)))
            )
            report = import_people(
                db_session, upload.file, filename=upload.filename, partial=partial, dry_run=dry_run,
                agency_ids=agency_ids,
            )  # fmt: skip
        else:
            report = import_assessments(
                db_session, upload.file, filename=upload.filename, partial=partial, dry_run=dry_run,
                person_scope=scope.people_condition(current_user), bulk_mode=False,  # never bulk from a request
            )  # fmt: skip
        refused = bool(report.problems) and not report.committed
        status = 422 if refused and not dry_run else 200
        if status == 200:
            db_session.commit()
        return _upload_page(request, status, report=report, kind=kind, error=None, refused=refused,
                      dry_run=dry_run)  # fmt: skip
