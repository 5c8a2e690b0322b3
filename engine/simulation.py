"""Simulated GI cases on the virtual clock, so a dashboard has something real to show.

`simulate(runtime, cases, seed)` starts `cases` GI verwijsprocessen spread over a year of
virtual time and walks each along a path drawn from a realistic mix (contracted and on
time, loops through steps 3–5, bridging care, A1/A2, the opschaalroute with RET and BEN,
JW319 answers, slow cases that hit the doorbraak deadline), completing every task through
the engine as a user of the task's lane after a delay drawn per step. Timers fire as the
clock passes them. Whatever is still due after the last start remains open: those cases
are in progress, some of them past their norms. The same seed gives the same choices.

STEP_DATA is the form data of every step; the tests walk the same steps over HTTP.
"""

from __future__ import annotations

import heapq
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from . import audit, clock, directory
from .access import SYSTEM, Actor
from .models import Organisation, User, WorkItem
from .scripting import AMSTERDAM
from .worklist import OPEN_ITEMS

GEMEENTE_OVERLEG = "gemeente-roosendaal"  # consults on every referral: step 4 is taken
GEMEENTE_MANDAAT = "gemeente-bergen-op-zoom"  # mandates the GI: step 4 is skipped
AANBIEDER = "aanbieder-horizon"  # the demo user `aanbieder` works here
PRODUCT = {"Categorie": "45", "Code": "45A01"}

# The measure began today, so the doorbraak deadline (3 months) lies ahead of a case started now.
START = {"maatregel": "ots", "ingangsdatum_maatregel": date.today().isoformat()}

STEP_DATA = {
    "stap1_plan_van_aanpak": {"doelen": "Veiligheid thuis; schoolgang herstellen", "afgestemd_met_gezin": True,
                              "lokaal_team_betrokken": False},
    "stap2_overleg_lokaal_team": {"datum_overleg": "2026-10-05", "zorghistorie": "Eerder ambulante hulp",
                                  "huidige_hulp": "Geen"},
    "stap3_aanbieder_zoeken": {"aanbieder": AANBIEDER, "beoogde_hulpvorm": "Gezinsbehandeling"},
    "stap4_overleg_deskundige_gemeente": {"datum_overleg": "2026-10-07", "advies_hulpvorm": "Gezinsbehandeling"},
    "stap5_afstemmen_aanbieder": {"tijdig_beschikbaar": True},
    "stap6_bepaling_jeugdhulp": {"grondslag": "ots", "aanbieder": AANBIEDER, "datum_bepaling": "2026-10-10"},
    "stap7_aanmelden_aanbieder": {"datum_aanmelding": "2026-10-11", "standaardaanmeldformulier": True,
                                  "bepaling_meegestuurd": True},
    "stap8a_verzoek_om_toewijzing": {
        "ReferentieAanbieder": "VOT-1", "Product": PRODUCT, "ToewijzingIngangsdatum": "2026-10-20",
        "ToewijzingEinddatum": "2027-04-20",
        "Omvang": {"Volume": 4, "Eenheid": "04", "Frequentie": "2"},
        "Verwijzer": {"Type": "04", "Naam": "Jeugdbescherming Brabant"},
    },
    "stap8b_reactie_gemeente": {"BerichtCode": "JW301", "ReferentieAanbieder": "VOT-1", "ToewijzingNummer": 123456,
                                "Toewijzingsdatum": "2026-10-14", "Ingangsdatum": "2026-10-20", "Einddatum": "2027-04-20",
                                "Product": PRODUCT, "Omvang": {"Volume": 4, "Eenheid": "04", "Frequentie": "2"}},
    "stap9_start_jeugdhulp": {"ToewijzingNummer": 123456, "Product": PRODUCT, "ToewijzingIngangsdatum": "2026-10-20",
                              "Begindatum": "2026-10-21"},
    "voortgang_bespreken": {"datum_bespreking": "2026-12-01", "voortgang_doelen": "Op koers",
                            "maatregel_beeindigd": False},
    "stop_jeugdhulp_melden": {"ToewijzingNummer": 123456, "Product": PRODUCT, "ToewijzingIngangsdatum": "2026-10-20",
                              "Begindatum": "2026-10-21", "Einddatum": "2027-04-01", "RedenBeeindiging": "31"},
    "afsluitende_evaluatie": {"datum_evaluatie": "2027-04-05", "resultaat": "doelen_behaald"},
    "a1_hulp_buiten_aanbod": {"passend_buiten_aanbod": True, "aanbieder": AANBIEDER,
                              "hulpvorm_buiten_aanbod": "Specialistische behandeling", "standpunt_gemeente": "eens"},
    "a2_maatwerkcontract": {"constructie": "maatwerkcontract", "datum_geregeld": "2026-10-15"},
    "overbruggingszorg_inzetten": {"overbrugging_aanbieder": "aanbieder-zuidwest",
                                   "overbrugging_hulpvorm": "Ambulante begeleiding",
                                   "overbrugging_startdatum": "2026-10-08"},
    "doorbraak_escaleren": {"datum_doorbraakbespreking": "2027-01-05", "oorzaak_vertraging": "wachtlijst",
                            "naar_ret": True},
    "consultatie_gedragswetenschapper": {"datum_consultatie": "2026-10-09", "criteria_inbreng": ["geen_passend_aanbod"],
                                         "consultatie_opgelost": False},
    "aanmelden_ret": {"expertkaart_compleet": True, "datum_expertkaart_aangeleverd": "2026-10-10",
                      "vraag_aan_ret": "Welke combinatie van hulp past?"},
    "ret_bespreking": {"datum_bespreking": "2026-10-24", "verwijzer_aanwezig": True, "passende_zorg": True,
                       "aanbieder": AANBIEDER, "niet_gecontracteerd": False, "advies_ret": "Zorgcombinatie"},
    "opschalen_ben": {"datum_aanmelding_ben": "2026-10-25", "vraag_aan_ben": "Bovenregionaal aanbod gezocht"},
    "ben_advies": {"datum_advies": "2026-11-05", "passende_zorg": True, "aanbieder": AANBIEDER,
                   "niet_gecontracteerd": True, "advies_ben": "Plaatsing bovenregionaal"},
}

# Days a step takes: (shortest, most likely, longest); a slow case takes SLOW_FACTOR times as long.
DELAYS = {
    "stap1_plan_van_aanpak": (2, 5, 15), "stap2_overleg_lokaal_team": (3, 6, 12),
    "stap3_aanbieder_zoeken": (2, 5, 12), "stap4_overleg_deskundige_gemeente": (2, 5, 12),
    "stap5_afstemmen_aanbieder": (2, 4, 10), "overbruggingszorg_inzetten": (2, 5, 12),
    "a1_hulp_buiten_aanbod": (5, 10, 25), "a2_maatwerkcontract": (5, 12, 30),
    "stap6_bepaling_jeugdhulp": (1, 2, 6), "stap7_aanmelden_aanbieder": (1, 2, 6),
    "stap8a_verzoek_om_toewijzing": (2, 5, 12), "stap8b_reactie_gemeente": (1, 4, 12),
    "stap9_start_jeugdhulp": (5, 14, 35), "voortgang_bespreken": (30, 42, 60),
    "stop_jeugdhulp_melden": (90, 150, 270), "afsluitende_evaluatie": (3, 7, 15),
    "doorbraak_escaleren": (2, 5, 12), "consultatie_gedragswetenschapper": (3, 7, 15),
    "aanmelden_ret": (2, 5, 10), "ret_bespreking": (0, 0.5, 2), "opschalen_ben": (2, 4, 8),
    "ben_advies": (14, 25, 45),
}
SLOW_SHARE, SLOW_FACTOR = 0.15, 3.0
START_SPREAD_DAYS = 365
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class _Case:
    """What the simulation remembers of one case: its own choices, drawn once."""

    id: int
    aanbieder: str
    slow: bool
    searches: int = 0
    reviews_left: int = 0
    started_care: str | None = None


@dataclass
class Report:
    cases: int = 0
    tasks: int = 0
    timers: int = 0
    completed: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    skipped: list[str] = field(default_factory=list)


class Simulation:
    def __init__(self, runtime, seed: int, progress: Callable[[float, str], None] | None = None):
        self.rt = runtime
        self.rng = random.Random(seed)
        self.seed = seed
        self.progress = progress or (lambda fraction, text: None)
        self.queue: list[tuple[datetime, int, str, object]] = []
        self.seq = 0
        self.scheduled: set[str] = set()
        self.cases: dict[int, _Case] = {}
        self.report = Report()

    # -- the run --------------------------------------------------------------------------

    def run(self, cases: int) -> Report:
        with self.rt.transaction() as session:
            clock.require_demo(session)
            self._load_directory(session)
        begin = self.rt.clock.now()
        end = begin + timedelta(days=START_SPREAD_DAYS)
        self.report.started_at = begin
        for number in range(cases):
            self._push(begin + timedelta(days=self.rng.uniform(0, START_SPREAD_DAYS)), "start", number)
        while self.queue and self.queue[0][0] <= end:
            when, _seq, kind, payload = heapq.heappop(self.queue)
            self._advance(when)
            if kind == "start":
                self._start(payload)
            else:
                self._do_task(payload)
            self.progress((when - begin) / (end - begin), f"{self.report.cases} casussen, {self.report.tasks} taken")
        self._advance(end)
        self.report.ended_at = self.rt.clock.now()
        with self.rt.transaction() as session:
            audit.record(session, self.report.ended_at, SYSTEM, "simulation", title="Simulatie",
                         seed=self.seed, cases=self.report.cases, tasks=self.report.tasks, timers=self.report.timers)
            session.commit()
        self.progress(1.0, f"{self.report.cases} casussen, {self.report.tasks} taken")
        return self.report

    def _push(self, when: datetime, kind: str, payload) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (when, self.seq, kind, payload))

    def _advance(self, when: datetime) -> None:
        if when <= self.rt.clock.now():
            return
        fired = self.rt.timers.advance(when)
        self.report.timers += len(fired)
        for case_id in dict.fromkeys(fired):
            self._schedule_open_tasks(case_id)

    # -- starting cases and doing tasks ---------------------------------------------------------

    def _start(self, number: int) -> None:
        gi = self.rng.choices(self.gis, weights=[4] + [1] * (len(self.gis) - 1))[0]
        today = self._today()
        data = {
            "gemeente": self.rng.choice(self.gemeenten),
            "maatregel": self.rng.choices(["ots", "voorlopige_ots", "voogdij", "jeugdreclassering"],
                                          weights=[70, 10, 10, 10])[0],
            "ingangsdatum_maatregel": (today - timedelta(days=self.rng.randint(0, 21))).isoformat(),
            "casusreferentie": f"SIM-{self.seed}-{number + 1:05d}",
        }
        view = self.rt.cases.start(self._actor(gi, "jeugdbeschermer"), "gi_verwijsproces", data)
        self.cases[view["id"]] = _Case(view["id"], self.rng.choice(self.aanbieders), self.rng.random() < SLOW_SHARE)
        self.report.cases += 1
        self._schedule_open_tasks(view["id"])

    def _do_task(self, item_id: str) -> None:
        with self.rt.reading() as session:
            item = session.get(WorkItem, item_id)
            if item is None or item.status != "open":
                return  # cancelled meanwhile (an interrupting event, a branch that ended)
            case_id, element_id, lane, org_id = item.case_id, item.element_id, item.lane, item.organisation_id
        state = self.cases.get(case_id)
        if state is None or element_id not in STEP_DATA or org_id is None:
            self.report.skipped.append(element_id)
            return
        data = self._data(state, element_id)
        self.rt.cases.complete(self._actor(org_id, lane), item_id, data)
        self.report.tasks += 1
        if element_id == "afsluitende_evaluatie":
            self.report.completed += 1
        self._schedule_open_tasks(case_id)

    def _schedule_open_tasks(self, case_id: int) -> None:
        state = self.cases.get(case_id)
        if state is None:
            return
        with self.rt.reading() as session:
            items = session.execute(OPEN_ITEMS.with_only_columns(WorkItem.id, WorkItem.element_id),
                                    {"case_ids": [case_id]}).all()
        now = self.rt.clock.now()
        for item_id, element_id in items:
            if item_id in self.scheduled:
                continue
            self.scheduled.add(item_id)
            self._push(now + timedelta(days=self._delay(state, element_id)), "task", item_id)

    def _delay(self, state: _Case, element_id: str) -> float:
        low, mode, high = DELAYS.get(element_id, (3, 7, 14))
        days = self.rng.triangular(low, high, mode)
        return days * SLOW_FACTOR if state.slow and element_id != "stop_jeugdhulp_melden" else days

    # -- the data of each step: STEP_DATA, this case's choices and today's dates -------------------

    def _data(self, state: _Case, element_id: str) -> dict:
        data = self._dated(STEP_DATA[element_id])
        if "aanbieder" in data:
            data["aanbieder"] = state.aanbieder
        choose = getattr(self, f"_choose_{element_id}", None)
        if choose is not None:
            data = choose(state, data)
        return {k: v for k, v in data.items() if v is not None}

    def _dated(self, data: dict) -> dict:
        today = self._today()
        out = {}
        for key, value in data.items():
            if isinstance(value, str) and _DATE.match(value):
                value = (today + timedelta(days=180) if "Einddatum" in key else today).isoformat()
            out[key] = value
        return out

    def _choose_stap1_plan_van_aanpak(self, state: _Case, data: dict) -> dict:
        return {**data, "lokaal_team_betrokken": self.rng.random() < 0.3}

    def _choose_stap5_afstemmen_aanbieder(self, state: _Case, data: dict) -> dict:
        state.searches += 1
        on_time = self.rng.random() < (0.3 if state.slow else 0.6) or state.searches >= 4
        if on_time:
            return {**data, "tijdig_beschikbaar": True}
        return {**data, "tijdig_beschikbaar": False, "gecontracteerd_alternatief": self.rng.random() < 0.5,
                "overbruggingszorg_nodig": self.rng.random() < 0.4}

    def _choose_a1_hulp_buiten_aanbod(self, state: _Case, data: dict) -> dict:
        if self.rng.random() < 0.5:
            return data
        return {**data, "passend_buiten_aanbod": False, "aanbieder": None, "hulpvorm_buiten_aanbod": None}

    def _choose_consultatie_gedragswetenschapper(self, state: _Case, data: dict) -> dict:
        if self.rng.random() < 0.25:
            return {**data, "consultatie_opgelost": True, "aanbieder": state.aanbieder, "niet_gecontracteerd": False}
        return data

    def _choose_ret_bespreking(self, state: _Case, data: dict) -> dict:
        if self.rng.random() < 0.7:
            return {**data, "niet_gecontracteerd": self.rng.random() < 0.3}
        return {**data, "passende_zorg": False, "aanbieder": None, "niet_gecontracteerd": None}

    def _choose_ben_advies(self, state: _Case, data: dict) -> dict:
        if self.rng.random() < 0.8:
            return data
        return {**data, "passende_zorg": False, "aanbieder": None, "niet_gecontracteerd": None}

    def _choose_doorbraak_escaleren(self, state: _Case, data: dict) -> dict:
        return {**data, "naar_ret": self.rng.random() < 0.5,
                "oorzaak_vertraging": self.rng.choice(["wachtlijst", "geen_passend_aanbod", "praktische_bezwaren"])}

    def _choose_stap8b_reactie_gemeente(self, state: _Case, data: dict) -> dict:
        number = 100_000 + state.id
        draw = self.rng.random()
        if draw < 0.05:
            return {"BerichtCode": "JW319", "VerzoekAntwoord": "1", "RedenAfwijzingVerzoek": "8",
                    "ReferentieAanbieder": data["ReferentieAanbieder"]}
        if draw < 0.15:
            return {"BerichtCode": "JW319", "VerzoekAntwoord": "2", "ReferentieAanbieder": data["ReferentieAanbieder"]}
        return {**data, "ToewijzingNummer": number}

    def _choose_stap9_start_jeugdhulp(self, state: _Case, data: dict) -> dict:
        state.started_care = data["Begindatum"]
        state.reviews_left = self.rng.randint(1, 5)
        return {**data, "ToewijzingNummer": 100_000 + state.id}

    def _choose_voortgang_bespreken(self, state: _Case, data: dict) -> dict:
        state.reviews_left -= 1
        return {**data, "maatregel_beeindigd": state.reviews_left <= 0 and self.rng.random() < 0.3}

    def _choose_stop_jeugdhulp_melden(self, state: _Case, data: dict) -> dict:
        begin = state.started_care or data["Begindatum"]
        return {**data, "ToewijzingNummer": 100_000 + state.id, "Begindatum": begin, "ToewijzingIngangsdatum": begin,
                "Einddatum": self._today().isoformat(),
                "RedenBeeindiging": self.rng.choices(["31", "32", "33"], weights=[75, 15, 10])[0]}

    def _choose_afsluitende_evaluatie(self, state: _Case, data: dict) -> dict:
        return {**data, "resultaat": self.rng.choices(["doelen_behaald", "niet_haalbaar", "uitval"],
                                                      weights=[60, 25, 15])[0]}

    # -- who does what ------------------------------------------------------------------------------

    def _load_directory(self, session) -> None:
        orgs = [self.rt.orgs.by_id(session, org_id) for org_id in session.scalars(select(Organisation.id))]
        self.orgs = {o.id: o for o in orgs}
        self.gis = [o.id for o in orgs if o.kind == "gi"]
        self.gemeenten = [o.key for o in orgs if o.kind == "gemeente"]
        self.aanbieders = [o.key for o in orgs if o.kind == "aanbieder"]
        if not self.gis or not self.gemeenten or not self.aanbieders:
            raise ValueError("De simulatie heeft minstens één GI, gemeente en aanbieder nodig (verwijsflow demo).")
        self.actors: dict[tuple[int, str], Actor] = {}
        for user in session.scalars(select(User).where(User.active).order_by(User.id)):
            actor = directory.actor_for(session, user.id)
            for role in user.roles:
                self.actors.setdefault((user.organisation_id, role), actor)

    def _actor(self, org_id: int, role: str) -> Actor:
        """A user of that organisation with that role; a stand-in when the demo has none."""
        actor = self.actors.get((org_id, role))
        if actor is None:
            org = self.orgs[org_id]
            actor = Actor(None, f"simulatie-{role}", org.id, org.key, org.kind,
                          org.id if org.kind == "regio" else org.region_id, frozenset({role}))
            self.actors[(org_id, role)] = actor
        return actor

    def _today(self) -> date:
        return self.rt.clock.now().astimezone(AMSTERDAM).date()


def simulate(runtime, cases: int, seed: int, progress: Callable[[float, str], None] | None = None) -> Report:
    return Simulation(runtime, seed, progress).run(cases)
