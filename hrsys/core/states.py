"""State machines: one declared table of moves and one refusal for all of them (pure: no database, no web).

A :class:`Machine` is a table ``state -> {move: next state}``, the moves in the order in which ``allowed``
lists them. A move is named either by the action that makes it (a secondment is *approved*:
:meth:`Machine.by_action`, from ``action -> (states it may be taken from, state it leads to)``) or by the
state it leads to (a task force moves to *closed*: :meth:`Machine.by_target`, from ``state -> states it may
move to``). Every domain declares its machines next to its states; nothing else decides whether a move is
legal.

A move that is not in the table is refused with the one 409 body every machine shares (:class:`IllegalMove`,
a :class:`~hrsys.core.errors.Conflict`): ``rule`` (``illegal_transition`` unless the machine keeps a name of its
own), ``allowed`` (the moves that are allowed from the current state; empty when it is final) and ``detail``,
worded by the machine's ``refusal`` template. The template may use ``{subject}`` (what the caller names, e.g.
an id), ``{current}``, ``{move}`` and ``{allowed}``: ``allowed: a, b``, or the machine's ``final`` text (which
may use ``{current}``) when nothing is allowed.

>>> door = Machine.by_target({"open": ("closed",), "closed": ("open", "locked"), "locked": ()},
...                          refusal="door {subject} cannot go from {current} to {move}; {allowed}",
...                          final="{current} is final")
>>> door.allowed("closed"), door.can("open", "locked"), door.next("closed", "locked")
(['open', 'locked'], False, 'locked')
>>> err = door.refusal("locked", "open", subject=7)
>>> err.status, err.rule, err.allowed, err.detail
(409, 'illegal_transition', [], 'door 7 cannot go from locked to open; locked is final')
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from hrsys.core.errors import Conflict

StateT = TypeVar("StateT", bound=Hashable)
MoveT = TypeVar("MoveT", bound=Hashable)


class IllegalMove(Conflict):
    """409: ``move`` cannot be made from ``current``; ``allowed`` lists the moves that can."""

    def __init__(
        self, detail: str, *, current: Any, move: Any, allowed: list[str], rule: str, extra: dict[str, Any] | None
    ) -> None:
        super().__init__(detail, allowed=allowed, rule=rule, extra=extra)
        self.current = current
        self.move = move


class Machine(Generic[StateT, MoveT]):
    """A declared table of moves and how a move outside it is refused (see the module's docstring)."""

    def __init__(
        self,
        table: Mapping[StateT, Mapping[MoveT, StateT]],
        *,
        refusal: str,
        final: str = "allowed: none",
        rule: str = "illegal_transition",
        status_in_extra: bool = False,
    ) -> None:
        self.table = {state: dict(moves) for state, moves in table.items()}
        self.refusal_text = refusal
        self.final_text = final
        self.rule = rule
        self.status_in_extra = status_in_extra
        """Whether the refusal's ``extra`` carries ``{"status": current}``."""

    @classmethod
    def by_action(
        cls,
        actions: Mapping[MoveT, tuple[Iterable[StateT], StateT]],
        states: Iterable[StateT],
        **how: Any,
    ) -> Machine[StateT, MoveT]:
        """From ``action -> (states it may be taken from, state it leads to)``; moves listed in action order."""
        return cls(
            {s: {a: target for a, (sources, target) in actions.items() if s in set(sources)} for s in states}, **how
        )

    @classmethod
    def by_target(cls, moves: Mapping[StateT, Iterable[StateT]], **how: Any) -> Machine[StateT, StateT]:
        """From ``state -> the states it may move to``; a move is named by the state it leads to."""
        return Machine({s: {t: t for t in targets} for s, targets in moves.items()}, **how)

    def allowed(self, current: StateT) -> list[str]:
        """The moves allowed from ``current``, as strings, in declared order (empty when it is final)."""
        return [str(m) for m in self.table.get(current, {})]

    def can(self, current: StateT, move: MoveT) -> bool:
        return move in self.table.get(current, {})

    def refusal(self, current: StateT, move: MoveT, *, subject: object = "") -> IllegalMove:
        """The 409 for making ``move`` from ``current`` (the caller raises it)."""
        allowed = self.allowed(current)
        clause = f"allowed: {', '.join(allowed)}" if allowed else self.final_text.format(current=current)
        detail = self.refusal_text.format(subject=subject, current=current, move=move, allowed=clause)
        extra = {"status": str(current)} if self.status_in_extra else None
        return IllegalMove(detail, current=current, move=move, allowed=allowed, rule=self.rule, extra=extra)

    def next(self, current: StateT, move: MoveT, *, subject: object = "") -> StateT:
        """The state ``move`` leads to from ``current``; :class:`IllegalMove` (409) if it is not allowed."""
        moves = self.table.get(current, {})
        if move not in moves:
            raise self.refusal(current, move, subject=subject)
        return moves[move]
