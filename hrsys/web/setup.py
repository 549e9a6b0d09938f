"""Plugging the pages into the app: the Jinja2 template config, the page controllers and the static files (CSS,
the Thai font)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from hrsys.access.rules import Access
from hrsys.web.hr import HrController
from hrsys.web.lead import LeadController
from hrsys.web.sign_in import SignInController
from hrsys.web.staff import StaffController

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
CONTROLLERS = [SignInController, StaffController, HrController, LeadController]


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Templates autoescape HTML; SVG made on the server is marked safe where it is inserted."""
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)


def route_handlers() -> list[Any]:
    """The page controllers and ``/static`` (public: stylesheet and font files only)."""
    static = create_static_files_router(
        path="/static",
        directories=[STATIC],
        opt={"access": Access.public},
        include_in_schema=False,
        cache_control=None,
    )
    return [*CONTROLLERS, static]
