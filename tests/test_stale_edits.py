"""Edits with and without ``version`` give the same answers on SQLite and PostgreSQL.

The rule (README, developer conventions): an edit is checked and applied against the row as it is when the
edit runs. One without ``version`` overwrites a change made meanwhile (last write wins); one whose
``version`` someone else has moved on is a 409 ``stale_edit``. Each case below edits a row in one
transaction, holds it open, starts a second edit of the same row, then commits the first.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hrsys.agencies import service as agencies
from hrsys.agencies.models import Agency
from hrsys.agencies.schemas import AgencyUpdate
from hrsys.careers import roles as careers
from hrsys.careers.models import Role
from hrsys.careers.schemas import RoleUpdate
from hrsys.core.errors import AppError
from hrsys.people import service as people
from hrsys.people.models import Person
from hrsys.people.schemas import PersonUpdate
from hrsys.secondments import commands as secondments
from hrsys.secondments.models import Secondment
from hrsys.secondments.policy import SecondmentPolicy
from hrsys.secondments.schemas import SecondmentUpdate
from hrsys.taskforces import service as taskforces
from hrsys.taskforces.models import TaskForce
from hrsys.taskforces.schemas import TaskForceUpdate
from tests import factories

D = dt.date(2031, 1, 1)


def _race(engine: Engine, first: Callable[[Session], Any], second: Callable[[Session], Any]) -> str:
    """``first`` edits and keeps its transaction open while ``second`` starts; then ``first`` commits.
    Returns how ``second`` ended: 'ok', the 409's rule, or 'StaleDataError' (an UPDATE that found its
    version gone, after its checks had passed on values read before the first edit)."""
    holder = Session(engine)
    first(holder)
    holder.flush()
    outcome: list[str] = []

    def run() -> None:
        with Session(engine) as s:
            try:
                second(s)
                s.commit()
                outcome.append("ok")
            except AppError as exc:
                outcome.append(exc.rule or exc.slug)
            except StaleDataError:
                outcome.append("StaleDataError")

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.4)  # the second edit is waiting for the first one's lock
    holder.commit()
    holder.close()
    t.join(timeout=30)
    assert outcome, "the second edit did not finish"
    return outcome[0]


# Each kind of versioned row: (make it, edit it to `value` sending `version` (None: none), read the value back)
Make = Callable[[Session], Any]
Edit = Callable[[Session, Any, str, int | None], Any]
Read = Callable[[Session, Any], tuple[str, int]]


def _person() -> tuple[Make, Edit, Read]:
    def make(s: Session) -> Any:
        return factories.person(s, factories.agency(s, "MDES")).id

    def edit(s: Session, key: Any, value: str, version: int | None) -> Any:
        kw = {} if version is None else {"version": version}
        return people.update(s, key, PersonUpdate(first_name_en=value, **kw))

    def read(s: Session, key: Any) -> tuple[str, int]:
        p = s.get(Person, key)
        assert p is not None
        return p.first_name_en, p.version

    return make, edit, read


def _agency() -> tuple[Make, Edit, Read]:
    def make(s: Session) -> Any:
        return factories.agency(s, "DGA").code

    def edit(s: Session, key: Any, value: str, version: int | None) -> Any:
        return agencies.update(s, key, AgencyUpdate(name_en=value, version=version))

    def read(s: Session, key: Any) -> tuple[str, int]:
        a = s.scalars(sa.select(Agency).where(Agency.code == key)).one()
        return a.name_en, a.version

    return make, edit, read


def _role() -> tuple[Make, Edit, Read]:
    def make(s: Session) -> Any:
        return factories.career_role(s, "DA1").code

    def edit(s: Session, key: Any, value: str, version: int | None) -> Any:
        kw = {} if version is None else {"version": version}
        return careers.update_role(s, key, RoleUpdate(title_en=value, **kw))

    def read(s: Session, key: Any) -> tuple[str, int]:
        r = s.scalars(sa.select(Role).where(Role.code == key)).one()
        return r.title_en, r.version

    return make, edit, read


def _secondment() -> tuple[Make, Edit, Read]:
    def make(s: Session) -> Any:
        host = factories.agency(s, "H1")
        person = factories.person(s, factories.agency(s, "MOF"))
        return factories.secondment(s, person, host, D, D + dt.timedelta(days=90), status="proposed").id

    def edit(s: Session, key: Any, value: str, version: int | None) -> Any:
        kw = {} if version is None else {"version": version}
        return secondments.update(s, key, SecondmentUpdate(objectives=value, **kw), policy=SecondmentPolicy())

    def read(s: Session, key: Any) -> tuple[str, int]:
        row = s.get(Secondment, key)
        assert row is not None
        return str(row.objectives), row.version

    return make, edit, read


def _taskforce() -> tuple[Make, Edit, Read]:
    def make(s: Session) -> Any:
        return factories.taskforce(s, factories.agency(s, "TFA"), D, D + dt.timedelta(days=90)).id

    def edit(s: Session, key: Any, value: str, version: int | None) -> Any:
        kw = {} if version is None else {"version": version}
        return taskforces.update(s, key, TaskForceUpdate(name_en=value, **kw))

    def read(s: Session, key: Any) -> tuple[str, int]:
        tf = s.get(TaskForce, key)
        assert tf is not None
        return tf.name_en, tf.version

    return make, edit, read


KINDS = {"person": _person, "agency": _agency, "role": _role, "secondment": _secondment, "taskforce": _taskforce}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_edit_without_version_overwrites_a_change_made_meanwhile(db: Engine, session: Session, kind: str) -> None:
    make, edit, read = KINDS[kind]()
    key = make(session)
    _, v = read(session, key)
    session.close()
    result = _race(db, lambda s: edit(s, key, "First", None), lambda s: edit(s, key, "Second", None))
    assert result == "ok"
    with Session(db) as s:
        assert read(s, key) == ("Second", v + 2)  # both edits applied, in order: the last one stands


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_edit_with_a_version_moved_on_meanwhile_is_a_stale_edit(db: Engine, session: Session, kind: str) -> None:
    make, edit, read = KINDS[kind]()
    key = make(session)
    _, v = read(session, key)
    session.close()
    result = _race(db, lambda s: edit(s, key, "First", v), lambda s: edit(s, key, "Second", v))
    assert result == "stale_edit"
    with Session(db) as s:
        assert read(s, key) == ("First", v + 1)
