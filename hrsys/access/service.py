"""Users, sign-in and sign-out, the audit query (PDPA export and anonymisation: :mod:`hrsys.access.pdpa`).

Functions take the session (or engine) first, then keyword arguments. Sign-in
uses the engine directly: its attempt must be recorded even when the answer is
401 or 429, which the request's session would roll back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access import audit, passwords, ratelimit, tokens
from hrsys.access.identity import CurrentUser
from hrsys.access.models import AuditEvent, LoginAttempt, User, UserRole
from hrsys.access.policy import AccessSettings
from hrsys.access.schemas import (
    AuditEventOut,
    PasswordChange,
    UserCreate,
    UserOut,
    UserUpdate,
    _role_errors,
)
from hrsys.access.scope import agency_table, people_table
from hrsys.core.db import read_engine, utcnow
from hrsys.core.errors import (
    Conflict,
    FieldError,
    Invalid,
    TooManyRequests,
    Unauthorized,
    check,
)
from hrsys.core.lookups import get_or_404
from hrsys.core.pagination import COUNT_CAP, Page, page_errors

U = cast(sa.Table, User.__table__)
LA = cast(sa.Table, LoginAttempt.__table__)
AE = cast(sa.Table, AuditEvent.__table__)

WRONG_CREDENTIALS = "wrong user name or password"
LOCKED = "too many failed sign-ins; try again later"


def normalise_username(username: str) -> str:
    return username.strip().lower()


# ---------------------------------------------------------------- users


def _agency_id(session: Session, code: str | None, errors: list[FieldError]) -> int | None:
    if code is None:
        return None
    A = agency_table()
    agency_id = session.scalar(sa.select(A.c.id).where(A.c.code == code))
    if agency_id is None:
        errors.append(FieldError("agency", f"no agency with code {code}"))
    return agency_id


def _check_person(session: Session, person_id: int | None, exclude_user: int | None, errors: list[FieldError]) -> None:
    if person_id is None:
        return
    P = people_table().table
    if session.scalar(sa.select(P.c.id).where(P.c.id == person_id)) is None:
        errors.append(FieldError("person_id", f"no person {person_id}"))
        return
    stmt = sa.select(User.id).where(User.person_id == person_id)
    if exclude_user is not None:
        stmt = stmt.where(User.id != exclude_user)
    if session.scalar(stmt) is not None:
        errors.append(FieldError("person_id", "this person already has a user"))


def user_out(session: Session, user: User) -> UserOut:
    A = agency_table()
    agency = session.scalar(sa.select(A.c.code).where(A.c.id == user.agency_id)) if user.agency_id else None
    return msgspec.convert(_With(user, agency=agency), UserOut, from_attributes=True)


class _With:
    """An object's attributes with a few added: what a struct is converted from in one step."""

    def __init__(self, obj: object, **added: Any) -> None:
        self._obj = obj
        self._added = added

    def __getattr__(self, name: str) -> Any:
        return self._added[name] if name in self._added else getattr(self._obj, name)


def get_user(session: Session, user_id: int) -> User:
    return get_or_404(session, User, user_id, "user")


def create_user(session: Session, access: AccessSettings, data: UserCreate) -> User:
    """Create a user; the password must meet the policy (checked by ``UserCreate``). 409 for a taken name."""
    username = normalise_username(data.username)
    errors: list[FieldError] = []
    agency_id = _agency_id(session, data.agency, errors)
    _check_person(session, data.person_id, None, errors)
    check(errors)
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user name {username} is taken", errors=[FieldError("username", "already in use")])
    user = User(
        username=username,
        email=data.email.lower() if data.email else None,
        password_hash=access.hasher.hash(data.password),
        role=data.role,
        agency_id=agency_id,
        person_id=data.person_id,
        active=True,
        failed_logins=0,
        token_generation=0,
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    session.refresh(user)
    return user


def update_user(session: Session, access: AccessSettings, user_id: int, data: UserUpdate) -> User:
    """Change a user; any change of role, scope, person, password or activity signs them out everywhere."""
    user = get_user(session, user_id)
    errors: list[FieldError] = []
    signs_out = False
    role = data.role if isinstance(data.role, UserRole) else user.role
    if data.agency is not msgspec.UNSET:
        agency_id = _agency_id(session, data.agency, errors) if data.agency else None
    else:
        agency_id = user.agency_id
    person_id = user.person_id if data.person_id is msgspec.UNSET else data.person_id
    if data.person_id is not msgspec.UNSET:
        _check_person(session, data.person_id, user.id, errors)
    if isinstance(data.password, str):
        errors += [FieldError("password", r) for r in passwords.policy_errors(data.password, user.username)]
    errors += _role_errors(role, "given" if agency_id is not None or isinstance(data.agency, str) else None, person_id)
    check(errors)
    if role != user.role or agency_id != user.agency_id or person_id != user.person_id:
        signs_out = True
    user.role, user.agency_id, user.person_id = role, agency_id, person_id
    if data.email is not msgspec.UNSET:
        user.email = data.email.lower() if data.email else None
    if isinstance(data.active, bool) and data.active != user.active:
        user.active = data.active
        signs_out = True
    if isinstance(data.password, str):
        user.password_hash = access.hasher.hash(data.password)
        user.password_changed_at = utcnow()
        user.failed_logins = 0
        user.locked_until = None
        signs_out = True
    if signs_out:
        user.token_generation = user.token_generation + 1
    session.flush()
    return user


def list_users(
    session: Session,
    *,
    role: UserRole | None = None,
    agency: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[UserOut]:
    errors = page_errors(limit, offset)
    check(errors)
    conds: list[sa.ColumnElement[bool]] = []
    if role is not None:
        conds.append(User.role == role)
    if agency is not None:
        A = agency_table()
        conds.append(User.agency_id == sa.select(A.c.id).where(A.c.code == agency).scalar_subquery())
    if q:
        conds.append(User.username.like(f"%{q.lower()}%"))
    total = session.scalar(
        sa.select(sa.func.count()).select_from(sa.select(User.id).where(*conds).limit(COUNT_CAP + 1).subquery())
    )
    users = session.scalars(sa.select(User).where(*conds).order_by(User.id).limit(limit).offset(offset)).all()
    total = total or 0
    return Page(
        items=[user_out(session, u) for u in users],
        total=min(total, COUNT_CAP),
        total_exact=total <= COUNT_CAP,
        limit=limit,
        offset=offset,
    )


def unlock(session: Session, user_id: int) -> User:
    """Lift a lock-out: records a reset in the attempt log (which ends the run of failures)."""
    user = get_user(session, user_id)
    session.execute(
        sa.insert(LA).values(at=utcnow(), username=user.username, address="unlock", success=True, blocked=False)
    )
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


def change_password(session: Session, access: AccessSettings, who: CurrentUser, data: PasswordChange) -> User:
    """Change one's own password (the current one is required); every other sign-in ends."""
    user = get_user(session, who.id)
    if not access.hasher.verify(user.password_hash, data.current_password):
        raise Invalid.one("current_password", "is not your current password")
    problems = passwords.policy_errors(data.new_password, user.username)
    check([FieldError("new_password", r) for r in problems])
    user.password_hash = access.hasher.hash(data.new_password)
    user.password_changed_at = utcnow()
    user.token_generation = user.token_generation + 1
    session.flush()
    return user


def sign_out(session: Session, who: CurrentUser) -> None:
    """End every sign-in of the user: tokens carry the generation this bumps."""
    user = get_user(session, who.id)
    user.token_generation = user.token_generation + 1
    session.flush()


# ---------------------------------------------------------------- sign-in


class LoginRefused(TooManyRequests):
    def __init__(self, detail: str, retry_after: dt.timedelta) -> None:
        seconds = max(1, int(retry_after.total_seconds() + 0.999))
        super().__init__(detail, extra={"retry_after_seconds": seconds})
        self.retry_after_seconds = seconds


class SignedIn(msgspec.Struct):
    user_id: int
    issued: tokens.Issued


def sign_in(
    engine: Engine,
    access: AccessSettings,
    *,
    key: str,
    token_minutes: int,
    username: str,
    password: str,
    address: str | None,
    now: dt.datetime | None = None,
) -> SignedIn:
    """Check a user name and password under the rate limit; return a token.

    1. In one short transaction (serialised per user name: ``BEGIN IMMEDIATE`` on
       SQLite, an advisory lock on PostgreSQL): read the recent attempts, decide
       (:func:`hrsys.access.ratelimit.decide`), and record this attempt, as *blocked*
       (429) or provisionally failed. Recording before checking the password means
       concurrent guesses see each other.
    2. Verify the password outside any transaction (argon2id takes ~70 ms). An
       unknown or disabled user is verified against a dummy hash: same time, same
       answer (401 "wrong user name or password").
    3. Record the outcome; a success also updates the user and leaves a ``sign_in``
       audit event.
    """
    name = normalise_username(username)[:150]
    addr = (address or "unknown")[:64]
    now = now or utcnow()
    limits = access.limits
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("login:" + name))))
        recent = conn.execute(
            sa.select(LA.c.at, LA.c.success)
            .where(LA.c.username == name, LA.c.blocked == sa.false(), LA.c.at > now - 2 * limits.lockout)
            .order_by(LA.c.at.desc(), LA.c.id.desc())
            .limit(limits.account_failures)
        ).all()
        from_address = conn.scalars(
            sa.select(LA.c.at)
            .where(
                LA.c.address == addr,
                LA.c.success == sa.false(),
                LA.c.blocked == sa.false(),
                LA.c.at > now - limits.address_window,
            )
            .order_by(LA.c.at.desc())
            .limit(limits.address_failures)
        ).all()
        decision = ratelimit.decide(now, [(r.at, r.success) for r in recent], list(from_address), limits)
        blocked = not decision.allowed
        inserted = conn.execute(
            sa.insert(LA).values(at=now, username=name, address=addr, success=False, blocked=blocked)
        )
        attempt_id = inserted.inserted_primary_key[0] if inserted.inserted_primary_key else None
        row = None
        if not blocked:
            row = conn.execute(
                sa.select(U.c.id, U.c.password_hash, U.c.active, U.c.person_id, U.c.role).where(U.c.username == name)
            ).first()
    if blocked:
        raise LoginRefused(LOCKED, decision.retry_after)
    hasher = access.hasher
    generation = 0
    usable = row is not None and row.active
    ok = hasher.verify(row.password_hash if usable and row is not None else None, password)
    with engine.begin() as conn:
        if ok and row is not None:
            conn.execute(sa.update(LA).where(LA.c.id == attempt_id).values(success=True))
            values: dict[str, Any] = {"last_login_at": now, "failed_logins": 0, "locked_until": None}
            if hasher.needs_rehash(row.password_hash):
                values["password_hash"] = hasher.hash(password)
            conn.execute(sa.update(U).where(U.c.id == row.id).values(**values))
            generation = conn.scalar(sa.select(U.c.token_generation).where(U.c.id == row.id)) or 0
            audit.record(
                conn,
                action="sign_in",
                entity="app_user",
                entity_id=row.id,
                person_id=row.person_id,
                actor=audit.Actor(user_id=row.id, label=f"{name} ({UserRole(row.role).value})", address=addr),
            )
        elif row is not None:
            attempts = [(now, False), *((r.at, r.success) for r in recent)]
            conn.execute(
                sa.update(U)
                .where(U.c.id == row.id)
                .values(failed_logins=U.c.failed_logins + 1, locked_until=ratelimit.lock_ends(attempts, limits))
            )
    if not ok or row is None:
        raise Unauthorized(WRONG_CREDENTIALS)
    return SignedIn(user_id=row.id, issued=tokens.issue(key, row.id, generation, token_minutes, now))


# ---------------------------------------------------------------- audit query


def _audit_out(r: sa.Row[Any]) -> AuditEventOut:
    return msgspec.convert(r, AuditEventOut, from_attributes=True)  # the query names actor_label "actor"


def list_audit(
    engine: Engine,
    *,
    actor: str | None = None,
    person: int | None = None,
    entity: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[AuditEventOut]:
    """Audit events, newest first, filtered; one round trip, capped total like the people list.

    ``actor`` is a user id or a user name; ``since`` inclusive, ``until`` exclusive.
    """
    errors = page_errors(limit, offset)
    if since is not None and until is not None and until <= since:
        errors.append(FieldError("until", "must be after since"))
    check(errors)
    conds: list[sa.ColumnElement[bool]] = []
    if actor is not None:
        if actor.isdigit():
            conds.append(AE.c.actor_user_id == int(actor))
        else:
            uid = sa.select(U.c.id).where(U.c.username == normalise_username(actor)).scalar_subquery()
            conds.append(AE.c.actor_user_id == uid)
    if person is not None:
        conds.append(AE.c.person_id == person)
    if entity is not None:
        conds.append(AE.c.entity == entity)
    if action is not None:
        conds.append(AE.c.action == action)
    if since is not None:
        conds.append(AE.c.at >= since)
    if until is not None:
        conds.append(AE.c.at < until)
    counted = sa.select(sa.func.count()).select_from(sa.select(AE.c.id).where(*conds).limit(COUNT_CAP + 1).subquery())
    stmt = (
        sa.select(AE, AE.c.actor_label.label("actor"), counted.scalar_subquery().label("total"))
        .where(*conds)
        .order_by(AE.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    with read_engine(engine).connect() as conn:
        rows = conn.execute(stmt).all()
        total = rows[0].total if rows else (conn.scalar(counted) or 0)
    return Page(
        items=[_audit_out(r) for r in rows],
        total=min(total, COUNT_CAP),
        total_exact=total <= COUNT_CAP,
        limit=limit,
        offset=offset,
    )
