"""What the regiocoördinator dashboard shows, in the shape the page is built on.

ADAPTER. The monitoring queries belong to the engine (engine/monitoring.py, deadlines and
monitoring issue). Until that module lands, `load()` computes the same shape here with
simple, region-bounded queries over work items, cases and iJw messages:

- stuck rows are open tasks past their due date (WorkItem.due_at < now), longest overdue
  first;
- waiting times per step come from work items of the last year (open: waited so far;
  done: created → completed);
- the doorbraak KPI counts days from `ingangsdatum_maatregel` to the JW305 `Begindatum`;
  contracted / niet-gecontracteerd / RET / BEN shares and outcomes come from case data and
  the opschaalroute's tasks; at most MAX_CASES most recent cases of the region are read.

Wiring the engine's monitoring in means replacing the body of `load()`; the dataclasses are
the contract the templates use.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from engine import access
from engine.access import Actor
from engine.diagram import diagram_of
from engine.models import Case, IjwMessage, WorkItem
from engine.workdays import add_months

MAX_CASES = 5000
WAIT_WINDOW = timedelta(days=365)
DOORBRAAK_MONTHS = 3


@dataclass(frozen=True)
class StuckRow:
    case_id: int
    case_reference: str
    process: str
    process_name: str
    element_id: str
    step_title: str
    lane: str | None
    lane_label: str | None
    organisation: str | None  # who holds the ball
    waiting_since: datetime
    due: datetime | None
    days_overdue: int


@dataclass(frozen=True)
class GroupStat:
    """Time from ingangsdatum maatregel to start of care, for one GI or gemeente (or all)."""

    name: str
    cases: int  # cases with an ingangsdatum
    started: int  # of which care started
    median_days: float | None
    p90_days: float | None
    share_within_3m: float | None  # started within 3 months / (started + 3 months passed)


@dataclass(frozen=True)
class Kpis:
    overall: GroupStat
    per_gi: list[GroupStat]
    per_gemeente: list[GroupStat]
    # Route to care: gecontracteerd, niet_gecontracteerd (A1/A2), ret, ben — counts of cases.
    routes: dict[str, int]
    # escalations: doorbraak_overschreden (3 months passed, no care), ret, ben — counts.
    escalations: dict[str, int]
    # Outcomes at the end of care: doelen_behaald, niet_haalbaar, uitval — counts.
    outcomes: dict[str, int]

    def route_share(self, *keys: str) -> float | None:
        total = sum(self.routes.values())
        return sum(self.routes.get(k, 0) for k in keys) / total if total else None


@dataclass(frozen=True)
class HeatCell:
    waiting_now: int
    median_wait: float | None  # days
    p90_wait: float | None  # days
    title: str = ""


@dataclass
class Dashboard:
    stuck: list[StuckRow]
    kpi: Kpis
    # process key (BPMN file) -> element id -> cell
    heatmap: dict[str, dict[str, HeatCell]] = field(default_factory=dict)
    generated_at: datetime | None = None


def load(rt, actor: Actor) -> Dashboard:
    now = rt.clock.now()
    region = actor.organisation_id
    with rt.reading() as session:
        stuck = _stuck(rt, session, region, now)
        heatmap = _heatmap(rt, session, region, now)
        kpi = _kpis(rt, session, region, now)
    return Dashboard(stuck=stuck, kpi=kpi, heatmap=heatmap, generated_at=now)


def _stuck(rt, session, region: int, now: datetime, limit: int = 200) -> list[StuckRow]:
    rows = session.execute(
        select(WorkItem, Case)
        .join(Case, Case.id == WorkItem.case_id)
        .where(Case.region_id == region, Case.status == "running", WorkItem.status == "open",
               WorkItem.due_at.is_not(None), WorkItem.due_at < now)
        .order_by(WorkItem.due_at)
        .limit(limit)
    ).all()
    names = rt.orgs.names(session, {item.organisation_id for item, _ in rows})
    bundles = {case.bundle_id: rt.library.parsed(session, case.bundle_id).name for _, case in rows}
    return [
        StuckRow(
            case_id=case.id, case_reference=case.reference, process=case.process_key,
            process_name=bundles[case.bundle_id], element_id=item.element_id, step_title=item.title,
            lane=item.lane, lane_label=access.ROLE_LABELS.get(item.lane or "", item.lane),
            organisation=names.get(item.organisation_id), waiting_since=item.created_at, due=item.due_at,
            days_overdue=max(0, (now - item.due_at).days),
        )
        for item, case in rows
    ]


def _heatmap(rt, session, region: int, now: datetime) -> dict[str, dict[str, HeatCell]]:
    rows = session.execute(
        select(WorkItem.process_key, WorkItem.element_id, WorkItem.title, WorkItem.status, WorkItem.created_at,
               WorkItem.completed_at, Case.bundle_id)
        .join(Case, Case.id == WorkItem.case_id)
        .where(Case.region_id == region, WorkItem.created_at >= now - WAIT_WINDOW,
               WorkItem.status.in_(["open", "completed"]))
    ).all()
    waits: dict[tuple[str, str], list[float]] = defaultdict(list)
    waiting: Counter = Counter()
    titles: dict[tuple[str, str], str] = {}
    for process_key, element_id, title, status, created, completed, bundle_id in rows:
        diagram = diagram_of(rt.library.parsed(session, bundle_id), process_key)
        key = (diagram, element_id)
        titles[key] = title
        end = completed if status == "completed" and completed else now
        waits[key].append((end - created).total_seconds() / 86400)
        if status == "open":
            waiting[key] += 1
    heatmap: dict[str, dict[str, HeatCell]] = defaultdict(dict)
    for key, values in waits.items():
        heatmap[key[0]][key[1]] = HeatCell(waiting[key], statistics.median(values), _p90(values), titles[key])
    return dict(heatmap)


def _kpis(rt, session, region: int, now: datetime) -> Kpis:
    cases = list(session.scalars(
        select(Case).where(Case.region_id == region).order_by(Case.id.desc()).limit(MAX_CASES)
    ))
    ids = [c.id for c in cases]
    starts = _care_starts(session, ids)
    escalated = _escalated(session, ids)
    today = now.date()
    routes: Counter = Counter()
    escalations: Counter = Counter()
    outcomes: Counter = Counter()
    per_gi: dict[int | None, list] = defaultdict(list)
    per_gemeente: dict[int | None, list] = defaultdict(list)
    measured = []
    for case in cases:
        data = case.data or {}
        level = escalated.get(case.id)
        if level:
            escalations[level] += 1
            if level == "ben":
                escalations["ret"] += 1
        if data.get("datum_bepaling") or data.get("zorg_gestart") or case.id in starts:  # referred (step 6)
            routes[level or ("niet_gecontracteerd" if data.get("niet_gecontracteerd") else "gecontracteerd")] += 1
        if data.get("resultaat"):
            outcomes[str(data["resultaat"])] += 1
        sample = _doorbraak_sample(data, starts.get(case.id), today)
        if sample is None:
            continue
        if sample["overdue"] and case.status == "running":
            escalations["doorbraak_overschreden"] += 1
        measured.append(sample)
        per_gi[case.gi_id].append(sample)
        per_gemeente[case.gemeente_id].append(sample)
    names = rt.orgs.names(session, set(per_gi) | set(per_gemeente))
    return Kpis(
        overall=_group("Regio", measured),
        per_gi=sorted((_group(names.get(k) or "Onbekend", v) for k, v in per_gi.items()), key=lambda g: g.name),
        per_gemeente=sorted((_group(names.get(k) or "Onbekend", v) for k, v in per_gemeente.items()),
                            key=lambda g: g.name),
        routes={k: routes.get(k, 0) for k in ("gecontracteerd", "niet_gecontracteerd", "ret", "ben")},
        escalations={k: escalations.get(k, 0) for k in ("doorbraak_overschreden", "ret", "ben")},
        outcomes={k: outcomes.get(k, 0) for k in ("doelen_behaald", "niet_haalbaar", "uitval")},
    )


def _care_starts(session, case_ids: list[int]) -> dict[int, date]:
    starts: dict[int, date] = {}
    for chunk in _chunks(case_ids):
        for case_id, payload in session.execute(
            select(IjwMessage.case_id, IjwMessage.payload).where(IjwMessage.case_id.in_(chunk), IjwMessage.code == "JW305")
        ):
            begin = _date((payload or {}).get("Begindatum"))
            if begin and (case_id not in starts or begin < starts[case_id]):
                starts[case_id] = begin
    return starts


def _escalated(session, case_ids: list[int]) -> dict[int, str]:
    """ret for cases that reached the RET, ben for those taken up to the BEN."""
    level: dict[int, str] = {}
    for chunk in _chunks(case_ids):
        for case_id, element in session.execute(
            select(WorkItem.case_id, WorkItem.element_id).where(
                WorkItem.case_id.in_(chunk), WorkItem.element_id.in_(["ret_bespreking", "ben_advies"]))
        ):
            if element == "ben_advies" or level.get(case_id) != "ben":
                level[case_id] = "ben" if element == "ben_advies" else "ret"
    return level


def _doorbraak_sample(data: dict, started: date | None, today: date) -> dict | None:
    begin = _date(data.get("ingangsdatum_maatregel"))
    if begin is None:
        return None
    deadline = add_months(begin, DOORBRAAK_MONTHS)
    days = (started - begin).days if started else None
    return {"days": days, "within": started is not None and started <= deadline,
            "decided": started is not None or today > deadline, "overdue": started is None and today > deadline}


def _group(name: str, samples: list[dict]) -> GroupStat:
    days = [s["days"] for s in samples if s["days"] is not None]
    decided = [s for s in samples if s["decided"]]
    return GroupStat(
        name=name, cases=len(samples), started=len(days),
        median_days=statistics.median(days) if days else None, p90_days=_p90(days),
        share_within_3m=sum(1 for s in decided if s["within"]) / len(decided) if decided else None,
    )


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _chunks(values: list[int], size: int = 500):
    for i in range(0, len(values), size):
        yield values[i:i + size]
