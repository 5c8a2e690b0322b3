"""Due dates of user tasks, from the BPMN properties `dueNorm` and `dueFrom`.

`dueNorm` is a norm as written in the deadlines table ("10 werkdagen", "6 weken",
"3 maanden", "P8W"), or, when it is not one, a safe expression over the task data that
gives one (e.g. `antwoordtermijn`, set by a script task on the path that decides it).
`dueFrom` is an expression giving the date the norm counts from (e.g.
`ingangsdatum_maatregel`); without it, or when it gives nothing, the norm counts from the
day the task opened. The task is due at the end of the norm's last day in Amsterdam
(engine/workdays.deadline: a term ending on a non-working day moves to the next werkdag).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from . import workdays
from .scripting import AMSTERDAM, as_date, check_script

log = logging.getLogger(__name__)

END_OF_DAY = time(23, 59, 59)

Evaluate = Callable[[str, dict], Any]


def end_of_day(day: date) -> datetime:
    """The last second of `day` in Amsterdam: a task due that day is overdue after it."""
    return datetime.combine(day, END_OF_DAY, AMSTERDAM)


def task_due(properties: dict, data: dict, opened: datetime, evaluate: Evaluate) -> datetime | None:
    """When a task with these BPMN properties, opened at `opened` with `data`, is due.

    None when the task has no norm. A norm or start date that cannot be evaluated is logged
    and leaves the task without a due date: a designer's mistake must not stop the case.
    """
    text = properties.get("dueNorm")
    if not text:
        return None
    try:
        norm = _norm(text, data, evaluate)
        start = _start(properties.get("dueFrom"), data, opened, evaluate)
        return end_of_day(workdays.deadline(start, norm))
    except Exception as error:  # noqa: BLE001 - see docstring
        log.warning("due date of a task could not be computed (dueNorm=%r, dueFrom=%r): %s",
                    text, properties.get("dueFrom"), error)
        return None


def _norm(text: str, data: dict, evaluate: Evaluate) -> workdays.Norm:
    try:
        return workdays.parse_norm(text)
    except ValueError:
        return workdays.parse_norm(str(evaluate(text, data)))


def _start(expression: str | None, data: dict, opened: datetime, evaluate: Evaluate) -> date:
    value = evaluate(expression, data) if expression else None
    return as_date(value) if value else opened.astimezone(AMSTERDAM).date()


def property_problems(properties: dict) -> list[str]:
    """Dutch problems with the deadline properties of one element, for validation."""
    problems = []
    norm = properties.get("dueNorm")
    if norm:
        try:
            workdays.parse_norm(norm)
        except ValueError:
            problems += [f"dueNorm '{norm}' is geen termijn (zoals '10 werkdagen') en geen geldige expressie: {p}"
                         for p in check_script(norm, "eval")]
    start = properties.get("dueFrom")
    if start:
        problems += [f"dueFrom '{start}': {p}" for p in check_script(start, "eval")]
        if not norm:
            problems.append("dueFrom zonder dueNorm heeft geen effect.")
    return problems
