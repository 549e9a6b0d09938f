"""Demo users: one per role, with passwords generated at load time (never a default password).

The demo loader (:mod:`hrsys.demo.load`) calls :func:`create_demo_users`; ``make run`` then
prints where the credentials are.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access import passwords
from hrsys.access.models import User, UserRole
from hrsys.config import Settings
from hrsys.core.db import utcnow
from hrsys.core.errors import AppError
from hrsys.people.models import Person


def _demo_username(person: Person | None, role: str, taken: set[str]) -> str:
    base = role.replace("_", "-")
    if person is not None:
        first = "".join(ch for ch in person.first_name_en.lower() if ch.isalnum()) or "user"
        last = "".join(ch for ch in person.last_name_en.lower() if ch.isalnum())[:1]
        base = f"{first}.{last}" if last else first
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


def create_demo_users(
    session: Session, settings: Settings, people_by_role: Mapping[str, Sequence[Person | int | None]]
) -> list[tuple[str, str, str]]:
    """Create (or reset) demo users with fresh random passwords; write them to ``settings.demo_credentials_file``.

    ``people_by_role`` maps a role name (``admin``, ``hr_officer``, ``taskforce_lead``,
    ``staff``) to the people (objects or ids; ``None`` for an admin without a person)
    who get a user. HR officers are scoped to their person's home agency. A person who
    already has a user keeps the user name and gets a new password. An admin is always
    created (``admin``) when the mapping names none. Returns ``(username, password,
    role)`` in the order written; the file is readable by its owner only.
    """
    hasher = settings.access.hasher
    taken = set(session.scalars(sa.select(User.username)).all())
    created: list[tuple[str, str, str]] = []
    wanted = dict(people_by_role)
    if not wanted.get("admin"):
        wanted["admin"] = [None]
    for role_name in ("admin", "hr_officer", "taskforce_lead", "staff"):
        role = UserRole(role_name)
        for entry in wanted.get(role_name) or []:
            person = session.get(Person, entry) if isinstance(entry, int) else entry
            password = passwords.generate()
            user = session.scalar(sa.select(User).where(User.person_id == person.id)) if person else None
            if user is None and person is None:
                user = session.scalar(sa.select(User).where(User.username == "admin"))
            if user is None:
                username = "admin" if person is None and "admin" not in taken else _demo_username(person, role, taken)
                taken.add(username)
                user = User(username=username, role=role, password_hash="", token_generation=0, failed_logins=0)
                session.add(user)
            user.role = role
            user.person_id = person.id if person else None
            user.agency_id = person.agency_id if (person is not None and role is UserRole.hr_officer) else None
            if role is UserRole.hr_officer and user.agency_id is None:
                raise AppError(f"demo HR officer {user.username} needs a person with a home agency")
            user.password_hash = hasher.hash(password)
            user.password_changed_at = utcnow()
            user.active = True
            user.token_generation = (user.token_generation or 0) + 1
            session.flush()
            created.append((user.username, password, role.value))
    path = Path(settings.demo_credentials_file)
    lines = ["# hrsys demo users: generated at load time; delete this file when you are done.", ""]
    width = max((len(u) for u, _, _ in created), default=8)
    lines += [f"{u.ljust(width)}  {p}  {r}" for u, p, r in created]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    path.chmod(0o600)
    return created
