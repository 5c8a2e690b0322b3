"""BPMN timers, fired from a table of due timers.

A step hook (`sync_timers`) keeps one row in `timers` per waiting timer event of a case:
inserted when the timer starts waiting, its due moment updated when it changes, closed when
the timer stops waiting for another reason (an event-based gateway was decided by another
event, a boundary's activity finished, the case ended). The hook gets every active task of
the case after the step (it picks out the timer tasks among them), and it knows the case's
waiting timers from the cached workflow, so a step costs no extra query unless the timer
set changes.

Firing (`TimerService.fire_due`) claims the first due row of a running case in two
statements, both `SKIP LOCKED`: the timer row (`ORDER BY run_at, id LIMIT 1 FOR UPDATE`,
from the partial index of waiting timers), then its case row (`FOR UPDATE`); a case that
someone holds is skipped and the next timer tried. SQLite has no row locks: the write lock
of `BEGIN IMMEDIATE` serializes it all. In the same transaction the engine runs the
timer's step (refresh_timers + do_engine_steps on the case's live workflow), so work items,
audit trail and cache stay right, marks the row fired and commits. Each due timer fires
exactly once however many server processes share the database, a restart loses nothing
(the table is the truth), and the cost of one firing is an index lookup and one case step:
it does not grow with the number of waiting timers.

A step that fails is retried with backoff; after MAX_ATTEMPTS the timer is 'failed' and the
case gets status 'error' with the message, both in the audit trail. Such a case takes no
commands and fires no timers until an operator resumes it (`TimerService.resume`: the API's
POST /api/cases/<id>/resume, `verwijsflow resume`), which re-arms its failed timers.
"""

from __future__ import annotations

import logging
import time as _time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import exists, insert, select, text, update
from sqlalchemy.orm import Session

from . import audit, clock
from .access import SYSTEM, Actor
from .cases import lock_case
from .designer import require_designer
from .errors import Conflict, EngineError, InvalidData, NotFound
from .models import Case, Timer
from .scripting import timer_due, timer_element, timers_of

if TYPE_CHECKING:
    from .runtime import Runtime

log = logging.getLogger(__name__)

# A timer task is READY when the clock passed it at the end of someone's step (SpiffWorkflow
# marks it ready but runs it only at the next step): it still needs firing.
TIMER_STATES = TaskState.WAITING | TaskState.READY
MAX_ATTEMPTS = 5
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))

_TIMERS = Timer.__table__
# A literal, not a bound parameter: only then can SQLite and PostgreSQL (in a generic plan)
# use the partial index of waiting timers, which keeps a claim independent of their number.
WAITING = text("timers.status = 'waiting'")
_RUNNING_CASE = exists().where(Case.id == Timer.case_id, Case.status == "running")
CLAIM_TRIES = 20


# -- the step hook ------------------------------------------------------------------------

def waiting_timers(session: Session, case_id: int) -> dict[str, datetime]:
    rows = session.execute(
        select(Timer.task_id, Timer.due_at).where(Timer.case_id == case_id, Timer.status == "waiting")
    )
    return {task_id: due for task_id, due in rows}


def sync_timers(session: Session, case: Case, bundle, live, active, now: datetime) -> None:
    """Step hook: make the waiting rows of this case match its waiting timer tasks."""
    known = live.timers if live.timers is not None else waiting_timers(session, case.id)
    current: dict[str, tuple] = {}
    for task in active:
        if not task.state & TIMER_STATES or not timers_of(task.task_spec):
            continue
        task_id = str(task.id)
        due = timer_due(task) if task.state == TaskState.WAITING else known.get(task_id, now)
        if due is not None:
            current[task_id] = (task, due)

    new_rows = []
    for task_id, (task, due) in current.items():
        if task_id not in known:
            new_rows.append(_row(case, bundle, task, due, now))
        elif known[task_id] != due:
            session.execute(update(_TIMERS).where(
                _TIMERS.c.case_id == case.id, _TIMERS.c.task_id == task_id, _TIMERS.c.status == "waiting",
            ).values(due_at=due, run_at=due))
    if new_rows:
        session.execute(insert(_TIMERS), new_rows)
    gone = [task_id for task_id in known if task_id not in current]
    if gone:
        session.execute(update(_TIMERS).where(
            _TIMERS.c.case_id == case.id, _TIMERS.c.task_id.in_(gone), _TIMERS.c.status == "waiting",
        ).values(status="closed", closed_at=now))
    live.timers = {task_id: due for task_id, (_task, due) in current.items()}


def _row(case: Case, bundle, task, due: datetime, now: datetime) -> dict:
    process_key = task.workflow.spec.name
    element_id = timer_element(task) or task.task_spec.bpmn_id
    element = bundle.element(process_key, element_id)
    return {
        "case_id": case.id, "task_id": str(task.id), "process_key": process_key,
        "element_id": element_id, "norm": (element.properties.get("monitorNorm") if element else None),
        "status": "waiting", "due_at": due, "run_at": due, "created_at": now, "attempts": 0,
    }


# -- firing -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    case_id: int
    fired: bool


class TimerService:
    def __init__(self, runtime: Runtime):
        self.rt = runtime

    def fire_due(self, limit: int | None = None) -> list[int]:
        """Fire due timers, earliest first, until none is due (or `limit` fired).

        Timers that the fired steps start are fired too when they are already due.
        Returns the case ids of the fired timers, in firing order.
        """
        fired: list[int] = []
        while limit is None or len(fired) < limit:
            claim = self.fire_next()
            if claim is None:
                break
            if claim.fired:
                fired.append(claim.case_id)
        return fired

    def fire_next(self) -> Claim | None:
        """Claim and fire the first due timer nobody else holds; None when there is none."""
        failure = None
        with self.rt.transaction() as session:
            claimed = self._claim(session)
            if claimed is None:
                return None
            timer, case = claimed
            try:
                return self._fire(session, timer, case)
            except Exception as error:  # noqa: BLE001 - recorded on the timer, retried with backoff
                log.warning("timer %s of case %s failed: %s", timer.element_id, case.id,
                            getattr(error, "detail", None) or error)
                failure = (timer.id, case.id, error)
        # The failed attempt is rolled back; its failure is written in a transaction of its own.
        self._record_failure(*failure)
        return Claim(failure[1], False)

    def _claim(self, session: Session) -> tuple[Timer, Case] | None:
        """The first due timer nobody holds, and its case, both locked.

        The timer comes from the partial index in due order (SKIP LOCKED: another scheduler
        has it); its case is locked with SKIP LOCKED too, because a case that a user is
        stepping right now may be updating this very timer row. Such a timer stays locked
        (by us, so nobody else takes it meanwhile) and the next one is tried.
        """
        now = self.rt.clock.now()
        tried: list[int] = []
        for _ in range(CLAIM_TRIES):
            query = select(Timer).where(WAITING, Timer.run_at < now, _RUNNING_CASE)
            if tried:
                query = query.where(Timer.id.not_in(tried))
            timer = session.scalar(query.order_by(Timer.run_at, Timer.id).limit(1).with_for_update(skip_locked=True))
            if timer is None:
                return None
            case = session.scalar(select(Case).where(Case.id == timer.case_id).with_for_update(skip_locked=True))
            if case is not None:
                return timer, case
            tried.append(timer.id)
        return None

    def _fire(self, session: Session, timer: Timer, case: Case) -> Claim:
        cases = self.rt.cases
        now = self.rt.clock.now()
        bundle = self.rt.library.parsed(session, case.bundle_id)
        live = cases._live(session, case, bundle)
        if live.timers is None:
            live.timers = waiting_timers(session, case.id)
        task = live.workflow.get_task_from_id(UUID(timer.task_id))
        if task is None or not task.state & TIMER_STATES:
            timer.status, timer.closed_at = "closed", now  # stopped waiting without a step noticing
            live.timers.pop(timer.task_id, None)
            cases._commit(session, case, live)
            return Claim(case.id, False)
        due = timer_due(task)
        if due is not None and due >= now:
            # Not due by this process's clock (the row's moment changed): come back then.
            timer.run_at = timer.due_at = due
            cases._commit(session, case, live)
            return Claim(case.id, False)

        timer.status, timer.fired_at, timer.attempts = "fired", now, timer.attempts + 1
        live.timers.pop(timer.task_id, None)  # the hook must not close the row it fires
        session.flush()
        element = bundle.element(timer.process_key, timer.element_id)
        title = element.title if element else timer.element_id
        audit.record(session, now, SYSTEM, "timer_fired", case.id, timer.element_id, title,
                     due=timer.due_at.isoformat())

        def step():
            live.workflow.refresh_timers()
            live.workflow.do_engine_steps()

        cases._run(session, case, bundle, live, SYSTEM, step, after=title)
        cases._commit(session, case, live)
        return Claim(case.id, True)

    def _record_failure(self, timer_id: int, case_id: int, error: Exception) -> None:
        message = error.message if isinstance(error, EngineError) else f"{type(error).__name__}: {error}"
        detail = getattr(error, "detail", None) or message  # the technical text, for the operator
        with self.rt.transaction() as session:
            try:
                case = lock_case(session, case_id)
            except NotFound:
                return
            timer = session.get(Timer, timer_id)
            if timer is None or timer.status != "waiting":
                return
            now = self.rt.clock.now()
            timer.attempts += 1
            timer.last_error = detail
            if timer.attempts >= MAX_ATTEMPTS:
                timer.status = "failed"
                case.status = "error"
                case.error = f"Tijdgebeurtenis {timer.element_id} is na {timer.attempts} pogingen mislukt: {message}"
                audit.record(session, now, SYSTEM, "timer_failed", case.id, timer.element_id, "Tijdgebeurtenis mislukt",
                             attempts=timer.attempts, error=detail)
            else:
                timer.run_at = now + BACKOFF[min(timer.attempts, len(BACKOFF)) - 1]
                audit.record(session, now, SYSTEM, "timer_retry", case.id, timer.element_id,
                             "Tijdgebeurtenis mislukt; nieuwe poging gepland", attempts=timer.attempts, error=detail,
                             next_attempt=timer.run_at.isoformat())
            session.commit()
        self.rt.cache.evict(case_id)

    def resume(self, actor: Actor, case_id: int) -> dict:
        """Put a case that stopped on a failing timer (status 'error') back to running: its
        failed timers wait again, due now, with their attempts reset; audited. For a
        procesontwerper of the case's region, or the system (the command line: whoever runs
        it runs the server). Returns the case id, reference, status and the re-armed timers."""
        if not actor.is_system:
            require_designer(actor)
        with self.rt.transaction() as session:
            case = lock_case(session, case_id)
            if not actor.is_system and case.region_id != actor.region_id:
                raise NotFound("Deze casus bestaat niet.")
            if case.status != "error":
                raise Conflict("Deze casus staat niet stil door een fout; er is niets te hervatten.")
            now = self.rt.clock.now()
            failed = list(session.scalars(select(Timer).where(Timer.case_id == case.id, Timer.status == "failed")))
            for timer in failed:
                timer.status, timer.attempts, timer.run_at = "waiting", 0, now
            audit.record(session, now, actor, "case_resumed", case.id, title="Casus hervat", error=case.error,
                         timers=[timer.element_id for timer in failed])
            case.status, case.error = "running", None
            view = {"id": case.id, "reference": case.reference, "status": case.status,
                    "timers": [timer.element_id for timer in failed]}
            session.commit()
        self.rt.cache.evict(case_id)  # its live copy does not know the re-armed rows
        return view

    def next_due(self) -> datetime | None:
        """When the first waiting timer of a running case may fire."""
        with self.rt.reading() as session:
            return session.scalar(
                select(Timer.run_at).where(WAITING, _RUNNING_CASE).order_by(Timer.run_at, Timer.id).limit(1)
            )

    # -- the virtual clock ----------------------------------------------------------------

    def move_clock(self, actor: Actor, to: datetime) -> list[int]:
        """Demo mode only: move the virtual clock forward to `to` (audited), firing every
        timer it passes. Returns the case ids of the fired timers."""
        with self.rt.transaction() as session:
            clock.require_demo(session)
            before = self.rt.clock.now()
            if to <= before:
                raise InvalidData({"tijdstip": [f"De klok kan alleen vooruit; het is nu {before:%Y-%m-%d %H:%M} UTC."]})
            audit.record(session, before, actor, "clock_moved", title="Klok verzet", before=before.isoformat(),
                         after=to.isoformat())
            session.commit()
        return self.advance(to)

    def advance(self, to: datetime) -> list[int]:
        """Move the virtual clock to `to`, firing each timer it passes at that timer's own
        moment: a timer due on day 10 of a 30-day jump fires with the clock at day 10, and
        what it starts (tasks, further timers) is stamped with that time."""
        fired: list[int] = []
        idle = 0
        while (due := self.next_due()) is not None and due < to and idle < 100:
            if due >= self.rt.clock.now():
                self._set_clock(due + timedelta(milliseconds=1))
            fired_now = self.fire_due()
            fired += fired_now
            if not fired_now:  # another worker holds it (and fires it): give it a moment
                idle += 1
                _time.sleep(0.02)
        if to > self.rt.clock.now():
            self._set_clock(to)
        return fired + self.fire_due()

    def _set_clock(self, moment: datetime) -> None:
        with self.rt.transaction() as session:
            clock.require_demo(session)
            clock.store_offset(session, moment - clock.Clock().now())
            session.commit()
        self.rt.clock.invalidate()
