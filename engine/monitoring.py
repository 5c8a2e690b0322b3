"""What the regiocoördinator sees: stuck cases, KPIs and where cases wait, for one region.

Plain SQL over cases, work items, timers, audit events and iJw messages; no workflow is
loaded. Only a user with the role `regiocoordinator` of a region organisation may ask, and
only about the cases of that region.

Definitions (docs/modelling.md, "Monitoring"):
- stuck: an open task past its due date, or a case whose norm timer (`monitorNorm`, e.g.
  the doorbraak's 3 months) has passed while care has not started (no JW305); most overdue
  first.
- start zorg: the first JW305 of a case (its `Begindatum`, else the day it was recorded);
  the wait is counted from `ingangsdatum_maatregel` in the case data.
- route shares, of the cases where care started: niet-gecontracteerd (case data
  `niet_gecontracteerd`), via RET / via BEN (a completed task with property `kpi` = `ret` /
  `ben` whose form said `passende_zorg`); gecontracteerd is the rest.
- escalations: tasks with `kpi` = `escalatie`; beside them the cases that reached the RET /
  the BEN (that got a task with `kpi` = `ret` / `ben`).
- outcomes: `resultaat` (GI) or `einde_reden` (WBW) in the case data, labelled with the
  `oneOf` titles of the forms that ask for them.
- a norm's last day is in time: care that starts on it meets the norm, so a `monitorNorm`
  timer is due when that day is over (the doorbraak: midnight after ingangsdatum + 3
  months) and only then does the case count as stuck or past the norm.
- a case's norms (`case_norms`): its `monitorNorm` timers, each with its last day (the day
  before the moment the timer is due) and whether care started (a JW305).
- iJw message terms (`messages`): the aanbieder sends the JW305 within 5 werkdagen of the
  care's actual start (`Begindatum`) and the JW307 within 5 werkdagen of its end
  (`Einddatum`); a message recorded after that term's last day is late. (The gemeente's
  answer to a JW315 is the due date of the task that records it, so it is on the stuck list.)
- median and p90 (nearest rank: the smallest value with at least 90 % of the values at or
  below it), in days.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, exists, select

from . import access, workdays
from .access import Actor
from .errors import Forbidden
from .models import AuditEvent, Case, IjwMessage, Timer, WorkItem
from .scripting import AMSTERDAM, as_date
from .worklist import OPEN_ITEMS

if TYPE_CHECKING:
    from .runtime import Runtime

KPI_ROLES = frozenset({"escalatie", "ret", "ben"})
START_ZORG = "JW305"
# iJw 3.2: the message → the field it is counted from and its term.
MESSAGE_TERMS = {"JW305": ("Begindatum", "5 werkdagen"), "JW307": ("Einddatum", "5 werkdagen")}
CARE_NORM_MONTHS = 3  # doorbraakaanpak: fitting care within 3 months of the ingangsdatum
CARE_NORM = f"{CARE_NORM_MONTHS} maanden"


def care_deadline(begin: date) -> date:
    """The last day of the doorbraak norm counted from the ingangsdatum (in time when on it)."""
    return workdays.add_months(begin, CARE_NORM_MONTHS)


def last_day(due: datetime) -> date:
    """The last day in time for a norm whose timer is due at `due` (midnight after that day)."""
    return as_date(due - timedelta(microseconds=1))


def _longest_norm_days() -> int:
    """The most days the norm can span (3 months: 92, 1 July to 1 October), for charts."""
    year = [date(2024, 1, 1) + timedelta(days=n) for n in range(366)]
    return max((care_deadline(day) - day).days for day in year)


CARE_NORM_DAYS = _longest_norm_days()
OUTCOME_FIELDS = ("resultaat", "einde_reden")
DAY = 86_400.0


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def p90(values: list[float]) -> float | None:
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 1)


def _of_cases(case_id, scope: list) -> ColumnElement[bool]:
    """`case_id` is one of the cases in `scope` (a region, maybe a process). A subquery on the
    cases' region index, so the database starts from the region's cases instead of every
    region's rows: without statistics SQLite would scan all work items by status."""
    return case_id.in_(select(Case.id).where(*scope))


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / DAY


class Monitoring:
    def __init__(self, runtime: Runtime):
        self.rt = runtime

    def _region(self, actor: Actor) -> int:
        if "regiocoordinator" not in actor.roles or actor.organisation_kind != "regio":
            raise Forbidden("Alleen een regiocoördinator van een regio ziet de monitoring.")
        return actor.organisation_id

    # -- stuck cases ----------------------------------------------------------------------------

    def stuck(self, actor: Actor, limit: int = 200) -> list[dict]:
        region = self._region(actor)
        now = self.rt.clock.now()
        with self.rt.reading() as session:
            tasks = session.execute(
                select(WorkItem, Case.reference, Case.process_key, Case.bundle_id)
                .join(Case, Case.id == WorkItem.case_id)
                .where(WorkItem.status == "open", WorkItem.due_at < now, Case.region_id == region)
                .order_by(WorkItem.due_at, WorkItem.created_at)
                .limit(limit)
            ).all()
            started = exists().where(IjwMessage.case_id == Timer.case_id, IjwMessage.code == START_ZORG)
            norms = session.execute(
                select(Timer, Case.reference, Case.process_key, Case.bundle_id)
                .join(Case, Case.id == Timer.case_id)
                .where(Case.region_id == region, Case.status == "running", Timer.norm.is_not(None),
                       Timer.status.in_(("waiting", "fired")), Timer.due_at < now, ~started)
                .order_by(Timer.due_at)
                .limit(limit)
            ).all()
            holders = self._holders(session, {timer.case_id for timer, *_case in norms})
            rows = [self._task_row(session, item, case, now) for item, *case in tasks]
            rows += [self._norm_row(session, timer, case, holders.get(timer.case_id), now) for timer, *case in norms]
        rows.sort(key=lambda row: (row["due_at"], row["case_id"]))
        return rows[:limit]

    def _task_row(self, session, item: WorkItem, case: tuple, now: datetime) -> dict:
        return self._row(session, "taak", item.case_id, case, item.process_key, item.element_id,
                         item.title, item.lane, item.organisation_id, item.created_at, item.due_at, now)

    def _norm_row(self, session, timer: Timer, case: tuple, holder: WorkItem | None, now: datetime) -> dict:
        lane, organisation = (holder.lane, holder.organisation_id) if holder else (None, None)
        row = self._row(session, "norm", timer.case_id, case, timer.process_key, timer.element_id,
                        timer.norm, lane, organisation, timer.created_at, timer.due_at, now)
        row["current_step"] = holder.title if holder else None
        return row

    def _row(self, session, kind, case_id, case: tuple, step_process, element_id, step, lane, organisation_id,
             since, due, now) -> dict:
        reference, process, bundle_id = case  # as selected beside the work item or timer
        return {
            "kind": kind, "case_id": case_id, "case_reference": reference, "process": process,
            "process_name": self.rt.library.parsed(session, bundle_id).name,
            "step_process": step_process, "element_id": element_id, "step": step,
            "lane": lane, "lane_label": access.ROLE_LABELS.get(lane or "", lane),
            "organisation": self.rt.orgs.names(session, [organisation_id]).get(organisation_id),
            "waiting_since": since, "due_at": due, "days_overdue": round(_days(now, due), 1),
        }

    @staticmethod
    def _holders(session, case_ids: set[int]) -> dict[int, WorkItem]:
        """The oldest open task of each case: who holds the ball now."""
        holders: dict[int, WorkItem] = {}
        if case_ids:
            for item in session.scalars(OPEN_ITEMS, {"case_ids": sorted(case_ids)}):
                holders.setdefault(item.case_id, item)
        return holders

    # -- one case's norms ---------------------------------------------------------------------

    def case_norms(self, case_id: int) -> list[dict]:
        """The norms guarding one case as the stuck list and the KPIs judge them: per
        `monitorNorm` timer its label, its last day and whether care has started (JW305).
        For the case's own pages: the caller has checked that the user may see the case."""
        with self.rt.reading() as session:
            timers = session.execute(
                select(Timer.element_id, Timer.norm, Timer.due_at)
                .where(Timer.case_id == case_id, Timer.norm.is_not(None)).order_by(Timer.id)
            ).all()
            started = bool(timers) and session.scalar(
                select(exists().where(IjwMessage.case_id == case_id, IjwMessage.code == START_ZORG))
            )
        latest = {timer.element_id: timer for timer in timers}  # a timer waited on again: its last row
        return [
            {"norm": timer.norm, "element_id": timer.element_id, "deadline": last_day(timer.due_at),
             "care_started": bool(started)}
            for timer in latest.values()
        ]

    # -- where cases wait ---------------------------------------------------------------------

    def heatmap(self, actor: Actor, process: str) -> dict:
        region = self._region(actor)
        now = self.rt.clock.now()
        with self.rt.reading() as session:
            bundle = self.rt.library.current_bundle(session, process)
            # The diagram's own elements: the process and the subprocesses drawn in the same file.
            own = {process} | {name for name, sp in bundle.subprocess_specs.items()
                               if sp is not None and sp.file == bundle.spec.file}
            items = session.execute(
                select(WorkItem.process_key, WorkItem.element_id, WorkItem.case_id, WorkItem.status,
                       WorkItem.created_at, WorkItem.completed_at)
                .where(_of_cases(WorkItem.case_id, [Case.region_id == region]), WorkItem.process_key.in_(own),
                       WorkItem.status.in_(("open", "completed")))
            ).all()
            timers = session.execute(
                select(Timer.process_key, Timer.element_id, Timer.case_id, Timer.status, Timer.created_at,
                       Timer.fired_at)
                .where(_of_cases(Timer.case_id, [Case.region_id == region]), Timer.process_key.in_(own),
                       Timer.status.in_(("waiting", "fired")))
            ).all()
        waiting: dict[tuple, set[int]] = defaultdict(set)
        waits: dict[tuple, list[float]] = defaultdict(list)
        for process_key, element_id, case_id, status, created, ended in [*items, *timers]:
            key = (process_key, element_id)
            if status in ("open", "waiting"):
                waiting[key].add(case_id)
            waits[key].append(_days(ended or now, created))
        keys = set(waits) | {(e.process_id, e.element_id) for e in bundle.elements.values()
                             if e.process_id in own and e.kind == "userTask"}
        elements = []
        for key in sorted(keys):
            element = bundle.element(*key)
            elements.append({
                "process": key[0], "element_id": key[1], "title": element.title if element else key[1],
                "kind": element.kind if element else None, "waiting_now": len(waiting.get(key, ())),
                "count": len(waits.get(key, ())), "median_wait_days": median(waits.get(key, [])),
                "p90_wait_days": p90(waits.get(key, [])),
            })
        elements.sort(key=lambda e: (-e["waiting_now"], -(e["median_wait_days"] or 0), e["element_id"]))
        return {"process": process, "at": now, "elements": elements}

    # -- KPIs ---------------------------------------------------------------------------------

    def kpi(self, actor: Actor, process: str | None = None) -> dict:
        region = self._region(actor)
        now = self.rt.clock.now()
        today = now.astimezone(AMSTERDAM).date()
        scope = [Case.region_id == region] + ([Case.process_key == process] if process else [])
        with self.rt.reading() as session:
            cases = session.execute(
                select(Case.id, Case.gi_id, Case.gemeente_id, Case.status, Case.data, Case.bundle_id).where(*scope)
            ).all()
            starts = self._care_starts(session, scope)
            roles = self._kpi_elements(session, {case.bundle_id for case in cases})
            outcome_labels = self._outcome_labels(session, {case.bundle_id for case in cases})
            outcomes_by_role = self._outcomes_of_tasks(session, scope, roles["ret"] | roles["ben"])
            escalations = session.execute(
                select(WorkItem.case_id, WorkItem.status, WorkItem.created_at, WorkItem.completed_at)
                .where(_of_cases(WorkItem.case_id, scope), WorkItem.element_id.in_(sorted(roles["escalatie"])))
            ).all() if roles["escalatie"] else []
            reached = self._cases_reaching(session, scope, roles)
            messages = self._message_terms(session, scope)
            names = self.rt.orgs.names(session, {region} | {c.gi_id for c in cases} | {c.gemeente_id for c in cases})

        waits: dict[int, float] = {}
        within: dict[int, bool] = {}
        past_norm: dict[int, bool] = {}  # a running case still waiting for care: past the norm?
        for case in cases:
            begin = _date_or_none((case.data or {}).get("ingangsdatum_maatregel"))
            if begin is None:
                continue
            if case.id in starts:
                waits[case.id] = float((starts[case.id] - begin).days)
                within[case.id] = starts[case.id] <= care_deadline(begin)
            elif case.status == "running":
                past_norm[case.id] = care_deadline(begin) < today
        figures = (waits, within, past_norm)

        return {
            "region": names.get(region),
            "process": process,
            "at": now,
            "cases": len(cases),
            "start_zorg": {
                "norm": CARE_NORM,
                "norm_days": CARE_NORM_DAYS,
                "total": self._wait_group(cases, *figures),
                "per_gi": self._wait_groups(cases, figures, "gi_id", names),
                "per_gemeente": self._wait_groups(cases, figures, "gemeente_id", names),
            },
            "routes": self._routes(cases, starts, outcomes_by_role, roles),
            "escalations": self._escalations(escalations, starts, reached),
            "outcomes": self._outcomes(cases),
            "outcome_labels": outcome_labels,
            "messages": messages,
        }

    @staticmethod
    def _message_terms(session, scope) -> dict[str, dict]:
        """Per message code with a term: how many were recorded, how many late, which cases."""
        rows = session.execute(
            select(IjwMessage.case_id, IjwMessage.code, IjwMessage.payload, IjwMessage.recorded_at)
            .where(_of_cases(IjwMessage.case_id, scope), IjwMessage.code.in_(sorted(MESSAGE_TERMS)))
            .order_by(IjwMessage.id)
        ).all()
        terms = {code: {"term": term, "counted_from": field, "count": 0, "late": 0, "late_cases": []}
                 for code, (field, term) in MESSAGE_TERMS.items()}
        for case_id, code, payload, recorded_at in rows:
            field, term = MESSAGE_TERMS[code]
            start = _date_or_none((payload or {}).get(field))
            summary = terms[code]
            summary["count"] += 1
            if start is not None and recorded_at.astimezone(AMSTERDAM).date() > workdays.deadline(start, term):
                summary["late"] += 1
                summary["late_cases"].append(case_id)
        for summary in terms.values():
            counted = summary["count"]
            summary["share_on_time"] = round((counted - summary["late"]) / counted, 3) if counted else None
        return terms

    @staticmethod
    def _care_starts(session, scope) -> dict[int, date]:
        starts: dict[int, date] = {}
        rows = session.execute(
            select(IjwMessage.case_id, IjwMessage.payload, IjwMessage.recorded_at)
            .where(_of_cases(IjwMessage.case_id, scope), IjwMessage.code == START_ZORG)
            .order_by(IjwMessage.id)
        )
        for case_id, payload, recorded_at in rows:
            if case_id not in starts:
                starts[case_id] = _date_or_none((payload or {}).get("Begindatum")) or \
                    recorded_at.astimezone(AMSTERDAM).date()
        return starts

    def _kpi_elements(self, session, bundle_ids: Iterable[int]) -> dict[str, set[str]]:
        """Element ids per `kpi` property value, over the process versions the cases run on."""
        roles: dict[str, set[str]] = {role: set() for role in KPI_ROLES}
        for bundle_id in sorted(bundle_ids):
            for element in self.rt.library.parsed(session, bundle_id).elements.values():
                role = element.properties.get("kpi")
                if role in roles:
                    roles[role].add(element.element_id)
        return roles

    def _outcome_labels(self, session, bundle_ids: Iterable[int]) -> dict[str, str]:
        """Outcome value → the title its form gives it (`oneOf`), over the versions the cases run
        on; where two forms label one value differently, the first (oldest bundle) wins."""
        labels: dict[str, str] = {}
        for bundle_id in sorted(bundle_ids):
            for schema in self.rt.library.parsed(session, bundle_id).forms.values():
                for name in OUTCOME_FIELDS:
                    field = ((schema or {}).get("properties") or {}).get(name) or {}
                    for choice in field.get("oneOf") or []:
                        if isinstance(choice, dict) and "const" in choice and choice.get("title"):
                            labels.setdefault(str(choice["const"]), str(choice["title"]))
        return labels

    @staticmethod
    def _outcomes_of_tasks(session, scope, element_ids: set[str]) -> dict[str, set[int]]:
        """Per element id: the cases where that task was completed with passende_zorg."""
        found: dict[str, set[int]] = defaultdict(set)
        if not element_ids:
            return found
        rows = session.execute(
            select(AuditEvent.case_id, AuditEvent.element_id, AuditEvent.details)
            .where(_of_cases(AuditEvent.case_id, scope), AuditEvent.kind == "task_completed",
                   AuditEvent.element_id.in_(sorted(element_ids)))
        )
        for case_id, element_id, details in rows:
            if ((details or {}).get("data") or {}).get("passende_zorg") is True:
                found[element_id].add(case_id)
        return found

    @staticmethod
    def _cases_reaching(session, scope, roles: dict[str, set[str]]) -> dict[str, set[int]]:
        """Per opschaalroute level (ret, ben): the cases that got a task of that level."""
        reached: dict[str, set[int]] = {"ret": set(), "ben": set()}
        levels = {element_id: level for level in reached for element_id in roles[level]}
        if levels:
            rows = session.execute(
                select(WorkItem.case_id, WorkItem.element_id).distinct()
                .where(_of_cases(WorkItem.case_id, scope), WorkItem.element_id.in_(sorted(levels)))
            )
            for case_id, element_id in rows:
                reached[levels[element_id]].add(case_id)
        return reached

    @staticmethod
    def _wait_group(cases, waits: dict[int, float], within: dict[int, bool], past_norm: dict[int, bool]) -> dict:
        ids = [c.id for c in cases]
        values = [waits[i] for i in ids if i in waits]
        waiting = [past_norm[i] for i in ids if i in past_norm]
        return {
            "started": len(values),
            "median_days": median(values),
            "p90_days": p90(values),
            "share_within_norm": round(sum(within[i] for i in ids if i in within) / len(values), 3) if values else None,
            "waiting_without_start": len(waiting),
            "waiting_past_norm": sum(waiting),
        }

    def _wait_groups(self, cases, figures: tuple, party: str, names: dict[int, str]) -> list[dict]:
        groups: dict[int, list] = defaultdict(list)
        for case in cases:
            if getattr(case, party) is not None:
                groups[getattr(case, party)].append(case)
        return [
            {"organisation_id": org_id, "organisation": names.get(org_id), **self._wait_group(group, *figures)}
            for org_id, group in sorted(groups.items(), key=lambda kv: names.get(kv[0]) or "")
        ]

    @staticmethod
    def _routes(cases, starts: dict[int, date], outcomes: dict[str, set[int]], roles: dict[str, set[str]]) -> dict:
        started = [c for c in cases if c.id in starts]
        via = {role: set().union(*(outcomes.get(e, set()) for e in roles[role])) for role in ("ret", "ben")}
        counts = {
            "niet_gecontracteerd": sum(1 for c in started if (c.data or {}).get("niet_gecontracteerd") is True),
            "via_ret": sum(1 for c in started if c.id in via["ret"]),
            "via_ben": sum(1 for c in started if c.id in via["ben"]),
        }
        counts["gecontracteerd"] = len(started) - counts["niet_gecontracteerd"]
        total = len(started)
        return {
            "started": total,
            "counts": counts,
            "shares": {k: (round(v / total, 3) if total else None) for k, v in counts.items()},
        }

    @staticmethod
    def _escalations(rows, starts: dict[int, date], reached: dict[str, set[int]]) -> dict:
        done = [_days(completed, created) for _case, status, created, completed in rows
                if status == "completed" and completed]
        to_start = [float((starts[case_id] - created.astimezone(AMSTERDAM).date()).days)
                    for case_id, _status, created, _completed in rows
                    if case_id in starts and starts[case_id] >= created.astimezone(AMSTERDAM).date()]
        return {
            "count": len(rows),
            "open": sum(1 for row in rows if row[1] == "open"),
            "completed": sum(1 for row in rows if row[1] == "completed"),
            "median_days_to_handle": median(done),
            "p90_days_to_handle": p90(done),
            "started_after_escalation": len(to_start),
            "median_days_to_start_zorg": median(to_start),
            "to_ret": len(reached["ret"]),
            "to_ben": len(reached["ben"]),
        }

    @staticmethod
    def _outcomes(cases) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for case in cases:
            data = case.data or {}
            value = next((data[f] for f in OUTCOME_FIELDS if data.get(f)), None)
            if value:
                counts[str(value)] += 1
        return dict(sorted(counts.items()))


def _date_or_none(value) -> date | None:
    try:
        return as_date(value) if value else None
    except ValueError:
        return None
