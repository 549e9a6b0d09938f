"""Settings: every ``HRSYS_`` environment variable is read here, and nowhere else.

:meth:`Settings.from_env` reads the variables of :data:`VARIABLES` (the table in
README.md, "Configuration", lists them all with their defaults), converts and
checks each one with msgspec, and raises :class:`SettingsError` naming every
variable at fault, so that a bad value stops a process at start-up instead of
surprising it later. ``create_app(settings)`` and the ``hrsys`` command pass the
values down; modules take what they need from ``settings`` (``settings.access``,
``settings.secondments``, ...) and never read the environment themselves.

This module imports nothing of hrsys but the kernel. What a domain makes of its
part (the password hasher, the secondment policy file, the assessment trust order)
is the domain's: it registers a builder with :func:`provide` (``settings.access.hasher``
then answers with it) and, where a bad value must stop the start, a check with
:func:`check_at_start`. The domains register at import of their package, which
every entry point does (``hrsys.models`` imports them all).
"""

from __future__ import annotations

import functools
import os
import secrets
import zoneinfo
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
Minutes = Annotated[int, msgspec.Meta(ge=1, le=525_600)]  # up to a year
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})


class SettingsError(ValueError):
    """One or more ``HRSYS_`` variables hold a value that cannot be used; the message names each."""


class AccessSettings(msgspec.Struct, kw_only=True, frozen=True):
    """Password hashing cost, sign-in limits, cookies, retention of external experts' data."""

    argon2_time_cost: Annotated[int, msgspec.Meta(ge=1, le=100)] = 3
    """argon2id passes (RFC 9106 low-memory profile)."""
    argon2_memory_kib: Annotated[int, msgspec.Meta(ge=8, le=4_194_304)] = 65_536
    """argon2id memory per hash, KiB (at least 8 per lane)."""
    argon2_parallelism: Annotated[int, msgspec.Meta(ge=1, le=64)] = 4
    """argon2id lanes."""
    login_max_failures: PositiveInt = 5
    """Consecutive failures that lock a user name."""
    login_lockout_minutes: Minutes = 15
    """How long the lock lasts after the last failure."""
    login_address_max_failures: PositiveInt = 30
    """Failures allowed from one address per window."""
    login_address_window_minutes: Minutes = 15
    """The sliding window of the address limit."""
    cookie_secure: bool = True
    """Mark the sign-in cookies ``Secure`` (HTTPS only; browsers accept them on http://127.0.0.1 too)."""
    expert_retention_days: PositiveInt = 1095
    """Keep an external expert's personal data this long after their last engagement ended."""

    def __post_init__(self) -> None:
        if self.argon2_memory_kib < 8 * self.argon2_parallelism:
            raise ValueError(
                f"HRSYS_ARGON2_MEMORY_KIB={self.argon2_memory_kib} is less than 8 KiB for each of "
                f"HRSYS_ARGON2_PARALLELISM={self.argon2_parallelism} lanes"
            )

    @property
    def hasher(self) -> Any:
        """The argon2id hasher of these costs (``hrsys.access.passwords.Hasher``, provided by access)."""
        return provided("access.hasher", self)

    @property
    def limits(self) -> Any:
        """The sign-in limits (``hrsys.access.ratelimit.LoginLimits``, provided by access)."""
        return provided("access.limits", self)


class SecondmentSettings(msgspec.Struct, kw_only=True, frozen=True):
    policy_file: str = ""
    """A JSON file of secondment rules to change (see hrsys/secondments/policy.py); empty: the defaults."""

    def policy(self) -> Any:
        """The rules in force (``hrsys.secondments.policy.SecondmentPolicy``, provided by secondments; the file
        is read once per process); ValueError naming the file and field."""
        return provided("secondments.policy", self)


class SkillSettings(msgspec.Struct, kw_only=True, frozen=True):
    assessment_trust_order: str = ""
    """Assessment sources, most trusted first, comma-separated, all six; empty: the documented default."""

    @property
    def trust_order(self) -> tuple[str, ...]:
        """The sources, most trusted first (provided by skills, which checks the text at start)."""
        return provided("skills.trust_order", self)  # type: ignore[no-any-return]


class WebSettings(msgspec.Struct, kw_only=True, frozen=True):
    dashboard_ttl: Annotated[float, msgspec.Meta(ge=0, le=86_400)] = 300.0
    """Seconds the HR dashboard keeps an agency's subtree aggregates; 0 = always fresh."""


class RequestSettings(msgspec.Struct, kw_only=True, frozen=True):
    escalation_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 3
    """Days past its due date after which an undecided request moves one level up the agency tree (and again
    after each further such period, up to the root)."""


SMTP_SCHEMES = ("smtp://", "smtps://")


class NotificationSettings(msgspec.Struct, kw_only=True, frozen=True):
    """E-mail delivery of the notifications outbox (hrsys/notifications/README.md, "Delivery")."""

    smtp_url: str = ""
    """``smtp://[user:password@]host:port`` (STARTTLS when the server offers it) or ``smtps://`` (TLS from
    the start); empty: in-app only, nothing is delivered and the outbox keeps its rows pending."""
    smtp_from: str = "hrsys@localhost"
    """The ``From`` address of every mail."""
    base_url: str = "http://127.0.0.1:8000"
    """What a mail puts before a notification's link (a path)."""
    smtp_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=600)] = 30.0
    """How long one SMTP exchange may wait for the server."""
    max_attempts: Annotated[int, msgspec.Meta(ge=1, le=100)] = 8
    """Tries of one mail before it is marked failed."""
    retry_seconds: Annotated[float, msgspec.Meta(ge=0, le=86_400)] = 60.0
    """Wait before the first retry; each further retry waits twice as long (up to six hours)."""
    poll_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 5.0
    """How often the delivering process looks for mail due and daily jobs due."""
    batch: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 200
    """Mails read and sent over one SMTP connection per round."""
    deliver_in_serve: bool = True
    """``hrsys serve`` delivers (one of its workers, one process across servers); off: run ``hrsys notify run``."""

    def __post_init__(self) -> None:
        if self.smtp_url and not self.smtp_url.startswith(SMTP_SCHEMES):
            raise ValueError(f"HRSYS_SMTP_URL={self.smtp_url!r} must start with smtp:// or smtps://")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"HRSYS_BASE_URL={self.base_url!r} must start with http:// or https://")


class BenchSettings(msgspec.Struct, kw_only=True, frozen=True):
    pg_url: str = "postgresql://postgres@127.0.0.1:5432/test"
    """The PostgreSQL server on which ``hrsys bench`` creates its own databases."""
    assessment_rows: Annotated[int, msgspec.Meta(ge=1)] = 5_000_000
    """Rows of the assessments import benchmark."""
    assessment_order: Literal["shuffled", "person"] = "shuffled"
    """Order of the people in that file: random, or by id."""


class Settings(msgspec.Struct, kw_only=True):
    """Runtime configuration of one hrsys process (see :data:`VARIABLES` for the environment variables)."""

    database_url: str = "sqlite:///hrsys.db"
    """Plain URL (``sqlite:///file.db``, ``postgresql://user@host/db``); the driver is chosen here."""
    debug: bool = False
    pool_size: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 10
    sqlite_busy_timeout_ms: Annotated[int, msgspec.Meta(ge=0)] = 10_000
    secret_key: str = ""
    """Key that signs sign-in tokens. Empty means: generate one and keep it in ``secret_key_file``."""
    secret_key_file: str = ".hrsys-secret-key"
    token_minutes: Minutes = 60 * 8
    auth_cache_seconds: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 1.0
    """How long a worker trusts its copy of a signed-in user's row (sign-out elsewhere shows within it); 0 = off."""
    demo_credentials_file: str = "demo-credentials.txt"
    echo_sql: bool = False
    access: AccessSettings = msgspec.field(default_factory=AccessSettings)
    secondments: SecondmentSettings = msgspec.field(default_factory=SecondmentSettings)
    skills: SkillSettings = msgspec.field(default_factory=SkillSettings)
    web: WebSettings = msgspec.field(default_factory=WebSettings)
    requests: RequestSettings = msgspec.field(default_factory=RequestSettings)
    notifications: NotificationSettings = msgspec.field(default_factory=NotificationSettings)
    bench: BenchSettings = msgspec.field(default_factory=BenchSettings)
    timezone: str = "Asia/Bangkok"
    """The IANA zone whose calendar "today" follows (assessments, alerts, validity, page stamps): hrsys.core.clock."""

    def __post_init__(self) -> None:
        check_timezone(self.timezone)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, /, **overrides: Any) -> Settings:
        """The settings from the ``HRSYS_`` variables of ``environ`` (default: the process environment).

        ``overrides`` (e.g. ``database_url=...`` from a command-line option) replace top-level fields.
        Raises :class:`SettingsError` naming each variable whose value is wrong, and why.
        """
        env = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        problems: list[str] = []
        for name, path in VARIABLES.items():
            if name not in env:
                continue
            text = env[name]
            try:
                value = _convert(path, text)
            except (msgspec.ValidationError, ValueError) as exc:
                problems.append(f"{name}={text!r}: {_reason(exc)}")
                continue
            section, _, field = path.rpartition(".")
            (raw.setdefault(section, {}) if section else raw)[field] = value
        if problems:
            raise SettingsError("invalid settings: " + "; ".join(problems))
        raw.update(overrides)
        try:
            settings = msgspec.convert(raw, cls)
        except msgspec.ValidationError as exc:  # a section's own rule; its message names the variables
            raise SettingsError(f"invalid settings: {_reason(exc)}") from None
        for section in _SECTIONS:  # the domains' own rules, and their files read now: a bad one stops the start
            part = getattr(settings, section) if section else settings
            for name, label in _CHECKS.get(section, ()):
                try:
                    provided(name, part)
                except ValueError as exc:
                    raise SettingsError(f"invalid settings: {label(part)}: {exc}") from None
        return settings

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """The signing key: the configured one, else one kept in ``secret_key_file`` (created once)."""
        if self.secret_key:
            return self.secret_key
        path = Path(self.secret_key_file)
        if path.exists():
            return path.read_text().strip()
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


VARIABLES: dict[str, str] = {
    "HRSYS_DATABASE_URL": "database_url",
    "HRSYS_SECRET_KEY": "secret_key",
    "HRSYS_SECRET_KEY_FILE": "secret_key_file",
    "HRSYS_TOKEN_MINUTES": "token_minutes",
    "HRSYS_AUTH_CACHE_SECONDS": "auth_cache_seconds",
    "HRSYS_POOL_SIZE": "pool_size",
    "HRSYS_SQLITE_BUSY_TIMEOUT_MS": "sqlite_busy_timeout_ms",
    "HRSYS_DEMO_CREDENTIALS_FILE": "demo_credentials_file",
    "HRSYS_DEBUG": "debug",
    "HRSYS_ECHO_SQL": "echo_sql",
    "HRSYS_ARGON2_TIME_COST": "access.argon2_time_cost",
    "HRSYS_ARGON2_MEMORY_KIB": "access.argon2_memory_kib",
    "HRSYS_ARGON2_PARALLELISM": "access.argon2_parallelism",
    "HRSYS_LOGIN_MAX_FAILURES": "access.login_max_failures",
    "HRSYS_LOGIN_LOCKOUT_MINUTES": "access.login_lockout_minutes",
    "HRSYS_LOGIN_ADDRESS_MAX_FAILURES": "access.login_address_max_failures",
    "HRSYS_LOGIN_ADDRESS_WINDOW_MINUTES": "access.login_address_window_minutes",
    "HRSYS_COOKIE_SECURE": "access.cookie_secure",
    "HRSYS_EXPERT_RETENTION_DAYS": "access.expert_retention_days",
    "HRSYS_SECONDMENT_POLICY": "secondments.policy_file",
    "HRSYS_ASSESSMENT_TRUST_ORDER": "skills.assessment_trust_order",
    "HRSYS_WEB_DASHBOARD_TTL": "web.dashboard_ttl",
    "HRSYS_REQUEST_ESCALATION_DAYS": "requests.escalation_days",
    "HRSYS_SMTP_URL": "notifications.smtp_url",
    "HRSYS_SMTP_FROM": "notifications.smtp_from",
    "HRSYS_BASE_URL": "notifications.base_url",
    "HRSYS_SMTP_TIMEOUT_SECONDS": "notifications.smtp_timeout_seconds",
    "HRSYS_SMTP_MAX_ATTEMPTS": "notifications.max_attempts",
    "HRSYS_SMTP_RETRY_SECONDS": "notifications.retry_seconds",
    "HRSYS_DELIVERY_POLL_SECONDS": "notifications.poll_seconds",
    "HRSYS_DELIVERY_BATCH": "notifications.batch",
    "HRSYS_DELIVER_IN_SERVE": "notifications.deliver_in_serve",
    "HRSYS_BENCH_PG_URL": "bench.pg_url",
    "HRSYS_BENCH_ASSESSMENT_ROWS": "bench.assessment_rows",
    "HRSYS_BENCH_ASSESSMENT_ORDER": "bench.assessment_order",
    "HRSYS_TIMEZONE": "timezone",
}
"""Each environment variable and the field it sets (``section.field`` for a nested section)."""

ADMIN_PASSWORD = "HRSYS_ADMIN_PASSWORD"
"""Not a setting: the first administrator's password for ``hrsys users create-admin`` (see :func:`admin_password`)."""

_SECTIONS: dict[str, type[msgspec.Struct]] = {
    "": Settings,
    "access": AccessSettings,
    "skills": SkillSettings,  # its check runs before the secondment policy file is read
    "secondments": SecondmentSettings,
    "web": WebSettings,
    "requests": RequestSettings,
    "notifications": NotificationSettings,
    "bench": BenchSettings,
}


_PROVIDERS: dict[str, Callable[[Any], Any]] = {}
_CHECKS: dict[str, list[tuple[str, Callable[[Any], str]]]] = {}


def provide(name: str, build: Callable[[Any], Any]) -> None:
    """Extension point: ``build(section)`` makes the domain's object of ``name`` (``"access.hasher"``:
    ``build(settings.access)``). Registered once per process by the domain that owns the section."""
    _PROVIDERS[name] = build


def provided(name: str, section: msgspec.Struct) -> Any:
    """What the domain registered for ``name`` makes of ``section``."""
    try:
        build = _PROVIDERS[name]
    except KeyError:
        raise LookupError(f"no provider of {name}: import the domain that registers it (hrsys.models)") from None
    return build(section)


def check_at_start(name: str, label: Callable[[Any], str]) -> None:
    """Extension point: :meth:`Settings.from_env` builds ``name`` (see :func:`provide`) once, section by section
    in the order of ``_SECTIONS``; a ``ValueError`` stops the start as a :class:`SettingsError`, after
    ``label(section)`` (the variable at fault, e.g. ``"HRSYS_SECONDMENT_POLICY"``)."""
    _CHECKS.setdefault(name.rpartition(".")[0], []).append((name, label))


def _convert(path: str, text: str) -> Any:
    """One variable's text as its field's type, within the field's bounds (rules across fields come later)."""
    section, _, name = path.rpartition(".")
    struct = _SECTIONS[section]
    field = next(f for f in msgspec.structs.fields(struct) if f.name == name)
    if field.type is bool:
        lowered = text.strip().lower()
        if lowered not in TRUE | FALSE:
            raise ValueError("use 1, true, yes or on; or 0, false, no or off")
        return lowered in TRUE
    return msgspec.convert(text if field.type is str else text.strip(), field.type, strict=False)


def _reason(exc: Exception) -> str:
    return str(exc).split(" - at `")[0]


def from_env_one(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """One variable of :data:`VARIABLES` as its field's type (its default when unset).

    For the few callers that are not handed ``settings`` yet; prefer ``settings`` (or ``app.state``).
    """
    env = os.environ if environ is None else environ
    path = VARIABLES[name]
    if name in env:
        try:
            return _convert(path, env[name])
        except (msgspec.ValidationError, ValueError) as exc:
            raise SettingsError(f"invalid settings: {name}={env[name]!r}: {_reason(exc)}") from None
    section, _, field = path.rpartition(".")
    return getattr(_SECTIONS[section](), field) if section else getattr(Settings(), field)


def admin_password() -> str | None:
    """``HRSYS_ADMIN_PASSWORD``: a secret for one command, so it is read when needed and never kept in Settings."""
    return os.environ.get(ADMIN_PASSWORD) or None


def check_timezone(name: str) -> None:
    """ValueError unless ``name`` is an IANA time zone (``Asia/Bangkok``); not the server's ``localtime``."""
    if name in {"localtime", "posixrules", "Factory"} or name not in _iana_zones():
        raise ValueError(f"HRSYS_TIMEZONE={name!r} is not an IANA time zone such as 'Asia/Bangkok'")


@functools.cache  # the zone names on disk do not change while the process runs; not a data cache
def _iana_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())
