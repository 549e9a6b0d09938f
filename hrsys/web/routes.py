"""Web pages for staff, HR officers and task-force leads: thin handlers over the domain services.

Pages are server-rendered (Jinja2) and work without JavaScript. Every route
declares its access rule like the API's; a page that needs a sign-in sends the
visitor to the sign-in page, a role that may not see a page gets a readable 403
page, and any failure is a readable page (never a stack trace). Forms post with
the CSRF secret handed out at sign-in (``_csrf``), which the access guard checks.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access import scope
from hrsys.access import service as access_service
from hrsys.access.guard import client_address, person_guard, taskforce_guard
from hrsys.access.identity import CurrentUser
from hrsys.access.policy import CSRF_COOKIE, CSRF_FORM_FIELD, SESSION_COOKIE
from hrsys.access.rules import Access
from hrsys.careers import cache as career_cache
from hrsys.careers import service as careers
from hrsys.careers import succession
from hrsys.careers.svg import SvgEdge, SvgNode, render_svg
from hrsys.config import WebSettings
from hrsys.core import clock
from hrsys.core.errors import AppError, BadRequest, FieldError, Forbidden, Invalid, NotFound, Unauthorized
from hrsys.core.exceptions import EXCEPTION_HANDLERS, internal_handler
from hrsys.secondments import service as secondments
from hrsys.secondments.routes import provide_policy
from hrsys.skills import assessment_service
from hrsys.skills.schemas import AssessmentCreate
from hrsys.taskforces import proposals
from hrsys.taskforces import service as taskforces
from hrsys.taskforces.schemas import ProposalRequest
from hrsys.training import needs as training_needs
from hrsys.training import plans as dev_plans
from hrsys.training import service as training
from hrsys.web import charts, i18n
from hrsys.web import data as views

log = logging.getLogger("hrsys.web")

SIGN_IN = "/sign-in"


# ---------------------------------------------------------------------------- rendering


def lang_of(request: Request[Any, Any, Any]) -> str:
    return i18n.pick_lang(request.cookies.get(i18n.LANG_COOKIE))


def page_context(request: Request[Any, Any, Any], lang: str | None = None) -> dict[str, Any]:
    """What every template gets: language and formatters, the user, the CSRF secret for forms."""
    lang = lang or lang_of(request)
    user: CurrentUser | None = request.scope.get("user")
    return {
        "lang": lang,
        "t": i18n.translator(lang),
        "d": lambda v: i18n.format_date(v, lang),
        "n": lambda v, digits=0: i18n.format_number(v, lang, digits),
        "baht": lambda v: i18n.format_baht(v, lang),
        "pct": lambda v: i18n.format_percent(v, lang),
        "pick": lambda en, th: i18n.pick(lang, en, th),
        "label": lambda v: i18n.label(v, lang),
        "bangkok": clock.zone,  # the zone of HRSYS_TIMEZONE: times and dates shown on pages
        "user": user,
        "csrf": request.cookies.get(CSRF_COOKIE, ""),
        "csrf_field": CSRF_FORM_FIELD,
        "path": request.url.path,
        "path_qs": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }


def render(request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any) -> Template:
    return Template(template_name=name, context={**page_context(request), **context}, status_code=status_code)


def _safe_next(target: str | None) -> str:
    """Only same-site paths (no ``//host`` or scheme): an open redirect would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def home_of(user: CurrentUser) -> str:
    if user.is_hr or user.is_admin:
        return "/hr"
    if user.is_lead:
        return "/lead"
    return "/me"


# ---------------------------------------------------------------------------- errors as pages


def _error_page(request: Request[Any, Any, Any], status: int, message: str, errors: list[FieldError] | None = None):  # type: ignore[no-untyped-def]
    return render(request, "error.html", status_code=status, message=message, errors=errors or [])


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def api_caller(request: Request[Any, Any, Any]) -> bool:
    """A program rather than a browser: it sends JSON, or accepts JSON and not HTML. It gets the API's
    problem documents (application/problem+json) instead of pages."""
    content_type = request.headers.get("content-type", "")
    accept = request.headers.get("accept", "")
    return content_type.startswith("application/json") or ("json" in accept and "text/html" not in accept)


def require_form(request: Request[Any, Any, Any]) -> None:
    """Page forms post form data; anything else is a 400 (problem document for programs)."""
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        raise BadRequest("this page takes an HTML form (application/x-www-form-urlencoded or multipart/form-data)")


def _as_api(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    for kind, handler in EXCEPTION_HANDLERS.items():
        if isinstance(exc, kind):
            return handler(request, exc)  # type: ignore[no-any-return]
    return internal_handler(request, exc)


def page_app_error(request: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    """Service refusals as pages: 401 goes to the sign-in page, the rest say what happened in words."""
    if api_caller(request):
        return _as_api(request, exc)
    t = i18n.translator(lang_of(request))
    if isinstance(exc, Unauthorized):
        return Redirect(f"{SIGN_IN}?next={quote(request.url.path)}", status_code=303)
    if isinstance(exc, Forbidden):
        if "CSRF" in exc.detail:  # a form from an old page or another site: say so, not "your role"
            return _error_page(request, 403, t("csrf"))
        return _error_page(request, 403, t("forbidden"))
    if isinstance(exc, NotFound):
        return _error_page(request, 404, t("not_found"))
    return _error_page(request, exc.status, f"{t('conflict') if exc.status == 409 else t('bad_input')} {exc.detail}",
                       exc.errors)  # fmt: skip


def page_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if api_caller(request):
        return _as_api(request, exc)
    t = i18n.translator(lang_of(request))
    if exc.status_code == 401:
        return Redirect(f"{SIGN_IN}?next={quote(request.url.path)}", status_code=303)
    if exc.status_code == 404:
        return _error_page(request, 404, t("not_found"))
    if exc.status_code == 403:
        return _error_page(request, 403, t("forbidden"))
    if exc.status_code >= 500:
        return page_internal_error(request, exc)
    return _error_page(request, exc.status_code, f"{t('bad_input')} {exc.detail}")


def page_internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if api_caller(request):
        return _as_api(request, exc)
    ref = secrets.token_hex(4)
    log.exception("page %s failed (reference %s)", request.url.path, ref, exc_info=exc)
    return _error_page(request, 500, i18n.translate("server_error", lang_of(request), ref=ref))


PAGE_ERRORS: dict[Any, Any] = {
    AppError: page_app_error,
    HTTPException: page_http_error,
    Exception: page_internal_error,
}


class PageController(Controller):
    """Base of the page controllers: HTML errors, no OpenAPI entries."""

    exception_handlers = PAGE_ERRORS
    include_in_schema = False


# ---------------------------------------------------------------------------- sign-in, language


@dataclass
class SignInForm:
    username: str = ""
    password: str = ""
    next: str = "/"


class SignInController(PageController):
    @get("/", opt={"access": Access.public}, sync_to_thread=False)
    def home(self, request: Request[Any, Any, Any]) -> Redirect:
        """The start page of each kind of user (the sign-in page for visitors)."""
        user: CurrentUser | None = request.scope.get("user")
        return Redirect(home_of(user) if user else SIGN_IN, status_code=303)

    @get(SIGN_IN, opt={"access": Access.public}, sync_to_thread=False)
    def sign_in_page(self, request: Request[Any, Any, Any], next: FromQuery[str] = "/") -> Template:
        return render(request, "sign_in.html", next=_safe_next(next), error=None, username="")

    @post(SIGN_IN, opt={"access": Access.public}, sync_to_thread=True, status_code=303)
    def sign_in(
        self,
        request: Request[Any, Any, Any],
        db_engine: NamedDependency[Engine],
        data: Annotated[SignInForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Check the pair with the access service and set the same cookies as the JSON sign-in."""
        require_form(request)
        t = i18n.translator(lang_of(request))
        target = _safe_next(data.next)
        if not data.username.strip() or not data.password:
            return render(request, "sign_in.html", 422, next=target, error=t("fill_both"), username=data.username)
        settings = request.app.state.settings
        access = request.app.state.access
        try:
            signed = access_service.sign_in(
                db_engine,
                access,
                key=request.app.state.secret_key,
                token_minutes=settings.token_minutes,
                username=data.username.strip(),
                password=data.password,
                address=client_address(request.scope),
            )
        except access_service.LoginRefused as exc:
            minutes = max(1, (exc.retry_after_seconds + 59) // 60)
            response = render(request, "sign_in.html", 429, next=target, error=t("locked", minutes=minutes),
                              username=data.username)  # fmt: skip
            response.headers["Retry-After"] = str(exc.retry_after_seconds)
            return response
        except Unauthorized:
            return render(request, "sign_in.html", 401, next=target, error=t("bad_login"), username=data.username)
        issued = signed.issued
        max_age = max(1, int((issued.expires_at - clock.now()).total_seconds()))
        secure = access.cookie_secure
        cookies = [
            Cookie(key=SESSION_COOKIE, value=issued.token, httponly=True, secure=secure, samesite="lax", path="/",
                   max_age=max_age),
            Cookie(key=CSRF_COOKIE, value=issued.csrf_token, httponly=False, secure=secure, samesite="strict",
                   path="/"),
        ]  # fmt: skip
        return Redirect(target, status_code=303, cookies=cookies)

    @post("/sign-out", opt={"access": Access.authenticated}, sync_to_thread=True, status_code=303)
    def sign_out(self, db_session: NamedDependency[Session], current_user: NamedDependency[CurrentUser]) -> Redirect:
        """Sign out everywhere (as the API's logout) and clear the cookies."""
        access_service.sign_out(db_session, current_user)
        response = Redirect(SIGN_IN, status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    @get("/lang/{code:str}", opt={"access": Access.public}, sync_to_thread=False)
    def switch_language(self, code: FromPath[str], next: FromQuery[str] = "/") -> Redirect:
        """Switch the language and remember it for a year in a cookie."""
        lang = i18n.pick_lang(code)
        cookie = Cookie(key=i18n.LANG_COOKIE, value=lang, path="/", max_age=365 * 86400, samesite="lax")
        return Redirect(_safe_next(next), status_code=303, cookies=[cookie])


# ---------------------------------------------------------------------------- staff


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
        request: Request[Any, Any, Any],
        db_engine: NamedDependency[Engine],
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        target: Annotated[str | None, QueryParameter(max_length=80)] = None,
        saved: FromQuery[bool] = False,
    ) -> Template:
        """My profile, gap to my target role, career paths, training plan, plans and enrolments, self-assessment."""
        return self._render(request, db_engine, db_session, current_user, target, saved=saved)

    def _render(
        self,
        request: Request[Any, Any, Any],
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
        me = views.person_header(engine, pid)
        if me is None:
            raise NotFound("person", pid)
        profile = assessment_service.person_profile(engine, pid)
        history = assessment_service.history(engine, pid, limit=20)
        plans = dev_plans.list_plans(session, person_id=pid)
        enrolments = training.list_enrolments(session, person_id=pid, limit=50)
        cd = career_cache.career_data(engine)
        roles = sorted((r for r in cd.roles.values() if not r.retired), key=lambda r: (str(r.track), r.level, r.code))
        # the target role: asked for, else the newest active plan's, else the best next move
        if target is None:
            target = next(
                (p.target_role for p in plans if p.target_role and p.status.value not in ("done", "cancelled")), None
            )
        if target is None:
            moves, _ = views.safely(careers.person_next_moves, engine, pid)
            if moves is not None and moves.moves:
                target = moves.moves[0].role
        gap = gap_svg = paths = paths_svg = plan = None
        gap_error = paths_error = plan_error = None
        if target is not None:
            gap, gap_error = views.safely(careers.person_gap, engine, pid, target)
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
                paths, paths_error = views.safely(careers.person_paths, engine, pid, target, k=3)
                if paths is not None:
                    paths_svg = paths_diagram(engine, paths, lang)
            plan, plan_error = views.safely(training.training_plan, engine, pid, target)
        return render(
            request,
            "me.html",
            status_code=status_code,
            me=me,
            profile=profile,
            groups=views.profile_groups(engine, profile.skills),
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
            assessable=views.self_assessable_skills(engine, pid, me["role"].id if me["role"] else None),
            saved=saved,
            form_errors=form_errors or [],
            own=own,
            base=request.url.path,
        )

    @get("/people/{person_id:int}", opt={"access": Access.person}, guards=[person_guard()], sync_to_thread=True)
    def person_page(
        self,
        request: Request[Any, Any, Any],
        db_engine: NamedDependency[Engine],
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        person_id: FromPath[int],
        target: Annotated[str | None, QueryParameter(max_length=80)] = None,
    ) -> Template:
        """Someone's development page, for HR officers in scope and admins (the read is audited by the guard);
        the same page as ``/me`` without the self-assessment form."""
        return self._render(request, db_engine, db_session, current_user, target, person_id=person_id)

    @post("/me/assessments", opt={"access": Access.person}, sync_to_thread=True, status_code=303)
    def self_assess(
        self,
        request: Request[Any, Any, Any],
        db_engine: NamedDependency[Engine],
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
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


# ---------------------------------------------------------------------------- HR officers


def panel_cache(request: Request[Any, Any, Any]) -> views.PanelCache:
    """The app's dashboard cache (made on first use; see :class:`hrsys.web.data.PanelCache`).

    Its lifetime is ``Settings.web.dashboard_ttl`` (``HRSYS_WEB_DASHBOARD_TTL``), validated at start-up."""
    cache = request.app.state.get("web_panel_cache")
    if cache is None:
        settings = request.app.state.get("settings")
        ttl = settings.web.dashboard_ttl if settings is not None else WebSettings().dashboard_ttl
        cache = request.app.state["web_panel_cache"] = views.PanelCache(ttl)
    return cache  # type: ignore[no-any-return]


def _hr_root(engine: Engine, user: CurrentUser, agency: str | None) -> views.AgencyInfo | None:
    """The agency a dashboard is about: an HR officer's own (or one of their subtree), any for admins."""
    if agency:
        info = views.agency_of(engine, code=agency)
        if info is None:
            raise NotFound("agency", agency)
        if not user.is_admin and not (user.agency_path and info.path.startswith(user.agency_path)):
            raise NotFound("agency", agency)
        return info
    if user.agency_id is not None:
        return views.agency_of(engine, agency_id=user.agency_id)
    return None


def _upload_page(request: Request[Any, Any, Any], status_code: int = 200, **context: Any) -> Template:
    from hrsys.people.importer import COLUMNS

    return render(request, "upload.html", status_code, people_columns=COLUMNS, **context)


class HrController(PageController):
    @get("/hr", opt={"access": Access.hr}, sync_to_thread=True)
    def dashboard(
        self,
        request: Request[Any, Any, Any],
        db_engine: NamedDependency[Engine],
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        agency: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> Template:
        """Heat map, bench strength of critical roles, training needs, secondment alerts, KPIs behind target."""
        root = _hr_root(db_engine, current_user, agency)
        code = root.code if root else None
        cache = panel_cache(request)
        heat, as_of = cache.get(("heat", code), lambda: views.heat_map(db_engine, root))
        cells = {k: (v[0], v[1], charts.heat_colour(v[0], v[1])) for k, v in heat.cells.items()}
        cd = career_cache.career_data(db_engine)

        def bench_panel() -> list[tuple[Any, Any]]:
            out = []
            for rid in sorted(cd.critical, key=lambda r: cd.roles[r].code)[:8]:
                b, _ = views.safely(succession.bench_strength, db_engine, cd.roles[rid].code, agency=code, limit=3)
                if b is not None:
                    out.append((cd.roles[rid], b))
            return out

        benches, _ = cache.get(("bench", code, cd.version), bench_panel)
        (tn, tn_error), _ = cache.get(
            ("needs", code),
            lambda: views.safely(training_needs.training_needs, db_engine, agency=code, course_limit=5),
        )
        policy = provide_policy(request.app.state)
        alerts, alerts_error = views.safely(
            secondments.alerts, db_engine, policy=policy, today=secondments.bangkok_today(), agency=code, limit=10,
        )  # fmt: skip
        behind = []
        for tf_id in views.taskforce_ids_in(db_engine, root):
            rep, _ = views.safely(taskforces.report, db_session, tf_id)
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
            agencies=views.agencies_under(db_engine, current_user),
        )

    @get("/hr/people", opt={"access": Access.hr}, sync_to_thread=True)
    def people_search(
        self,
        request: Request[Any, Any, Any],
        db_engine: NamedDependency[Engine],
        current_user: NamedDependency[CurrentUser],
        skill: Annotated[str | None, QueryParameter(max_length=170)] = None,
        min_level: Annotated[str | None, QueryParameter(max_length=3)] = None,
    ) -> Template:
        """People of the officer's subtree holding a skill at a level (current profiles)."""
        from hrsys.people.listing import list_people_for
        from hrsys.skills.service import search_skills

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
                found, err = views.safely(search_skills, db_engine, q=ref, limit=1)
                items = getattr(found, "items", found) if found is not None else None
                if items:
                    ref = items[0].ref
                    chosen = items[0]
                else:
                    error = err or i18n.translate("nothing", lang_of(request))
            if error is None:
                results, error = views.safely(
                    list_people_for, db_engine, current_user, skill=[ref], min_level=level, limit=100
                )
        return render(
            request, "people.html", skill=skill or "", min_level=level, results=results, error=error, chosen=chosen
        )

    @get("/hr/upload", opt={"access": Access.hr}, sync_to_thread=False)
    def upload_page(self, request: Request[Any, Any, Any]) -> Template:
        return _upload_page(request, report=None, kind="people", error=None)

    @post("/hr/upload", opt={"access": Access.hr}, sync_to_thread=True, status_code=200)
    def upload(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template:
        """Import people or assessments from CSV/XLSX; the row-level problems are listed on the page."""
        from hrsys.people.importer import import_people
        from hrsys.skills.assessment_import import import_assessments

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
                person_scope=scope.people_condition(current_user),
            )  # fmt: skip
        refused = bool(report.problems) and not report.committed
        status = 422 if refused and not dry_run else 200
        if status == 200:
            db_session.commit()
        return _upload_page(request, status, report=report, kind=kind, error=None, refused=refused,
                      dry_run=dry_run)  # fmt: skip


# ---------------------------------------------------------------------------- task-force leads


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
    def my_taskforces(
        self,
        request: Request[Any, Any, Any],
        db_engine: NamedDependency[Engine],
        current_user: NamedDependency[CurrentUser],
    ) -> Template:
        """The task forces I lead (HR officers: of their subtree; admins: all)."""
        return render(request, "lead.html", taskforces=views.my_taskforces(db_engine, current_user))

    def _page(
        self, request: Request[Any, Any, Any], session: Session, taskforce_id: int, *, proposal: Any = None,
        accepted: bool = False, message: str | None = None, status_code: int = 200,
    ) -> Template:  # fmt: skip
        lang = lang_of(request)
        tf = taskforces.get(session, taskforce_id)
        needs = taskforces.needs_out(session, taskforce_id)
        members = taskforces.members_out(session, taskforce_id)
        viewer = request.user  # costs the reader may not see are masked (hrsys/taskforces/visibility.py)
        rep = taskforces.report(session, taskforce_id, viewer=viewer)
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
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        taskforce_id: FromPath[int],
        accepted: FromQuery[bool] = False,
    ) -> Template:
        """Needs and coverage, the open proposal, members and allocation, KPIs against target."""
        return self._page(request, db_session, taskforce_id, accepted=accepted)

    @post("/lead/taskforces/{taskforce_id:int}/proposals", opt={"access": Access.lead},
          guards=[taskforce_guard()], sync_to_thread=True, status_code=303)  # fmt: skip
    def propose(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
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
    def accept(
        self, db_session: NamedDependency[Session], taskforce_id: FromPath[int], proposal_id: FromPath[int]
    ) -> Redirect:
        """Turn the proposal into members (409 page if a need changed meanwhile)."""
        proposals.accept(db_session, taskforce_id, proposal_id)
        db_session.commit()
        return Redirect(f"/lead/taskforces/{taskforce_id}?accepted=true#members", status_code=303)


CONTROLLERS = [SignInController, StaffController, HrController, LeadController]
