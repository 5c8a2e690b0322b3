"""Walk every path of the GI verwijsproces and the opschaalroute in memory.

SpiffWorkflow only (no database, no web layer): user tasks are completed by setting form
data, and every submission is first validated against the task's JSON Schema form, so the
forms and the process conditions cannot drift apart. Scripts and timers run on the
engine's safe script engine and a virtual clock the tests move by hand.
"""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.parsing import Parser
from engine.scripting import SafeScriptEngine, as_moment

ROOT = Path(__file__).resolve().parent.parent
PROCESS_FILES = [ROOT / "processes" / "gi_verwijsproces.bpmn", ROOT / "processes" / "opschaalroute.bpmn"]
FORMS = ROOT / "forms"

JB, LT, GEM, AB = "jeugdbeschermer", "lokaalteam", "gemeente", "aanbieder"
GED, RET, BEN, PLC = "gedragswetenschapper", "ret", "ben", "plaatsingscoordinator"

# Every user task of both processes, with the lane it must be offered in.
LANES = {
    "stap1_plan_van_aanpak": JB,
    "stap2_overleg_lokaal_team": LT,
    "stap3_aanbieder_zoeken": JB,
    "stap4_overleg_deskundige_gemeente": LT,
    "stap5_afstemmen_aanbieder": JB,
    "overbruggingszorg_inzetten": JB,
    "a1_hulp_buiten_aanbod": JB,
    "stap6_bepaling_jeugdhulp": JB,
    "stap7_aanmelden_aanbieder": JB,
    "a2_maatwerkcontract": GEM,
    "stap8a_verzoek_om_toewijzing": AB,
    "stap8b_reactie_gemeente": GEM,
    "stap9_start_jeugdhulp": AB,
    "stop_jeugdhulp_melden": AB,
    "voortgang_bespreken": JB,
    "afsluitende_evaluatie": JB,
    "consultatie_gedragswetenschapper": GED,
    "aanmelden_ret": GED,
    "ret_bespreking": RET,
    "opschalen_ben": RET,
    "ben_advies": BEN,
    "doorbraak_escaleren": PLC,
}


# --------------------------------------------------------------------------------------
# Parsing and form validation
# --------------------------------------------------------------------------------------

@cache
def _parser() -> Parser:
    parser = Parser(validator=VALIDATOR)
    parser.add_bpmn_files([str(p) for p in PROCESS_FILES])
    return parser


def _specs(key: str):
    parser = _parser()
    return parser.specs_for(key)


@cache
def _schema(path: str) -> dict:
    return json.loads((FORMS / path).read_text(encoding="utf-8"))


def _validate(form_path: str, data: dict) -> None:
    """Validate submitted data against the form (x-keuzelijst fields are plain strings here)."""
    Draft202012Validator(_schema(form_path)).validate(data)


def test_process_files_load_without_warnings_and_validate():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parser = SpiffBpmnParser(validator=VALIDATOR)
        parser.add_bpmn_files([str(p) for p in PROCESS_FILES])
        for key in ("gi_verwijsproces", "opschaalroute"):
            parser.get_spec(key)
            parser.get_subprocess_specs(key)
    assert [str(w.message) for w in caught] == []
    assert set(parser.get_subprocess_specs("gi_verwijsproces")) == {"opschaalroute", "stap10_regie_op_voortgang"}


@pytest.mark.parametrize("key", ["gi_verwijsproces", "opschaalroute"])
def test_every_user_task_has_its_form_and_lane(key):
    spec, subs = _specs(key)
    user_tasks = {}
    for wf_spec in [spec, *subs.values()]:
        for ts in wf_spec.task_specs.values():
            if ts.__class__.__name__ == "UserTask":
                user_tasks[ts.bpmn_id] = ts
    assert user_tasks
    for bpmn_id, ts in user_tasks.items():
        if bpmn_id not in LANES:      # user tasks of a called process are checked with that process
            continue
        form = ts.extensions["properties"]["formJsonSchemaFilename"]
        process_key = form.split("/")[0]
        assert form == f"{process_key}/{bpmn_id}.json"
        assert (FORMS / form).is_file(), form
        assert ts.lane == LANES[bpmn_id], bpmn_id
    own = {b for b, ts in user_tasks.items()
           if ts.extensions["properties"]["formJsonSchemaFilename"].startswith(key + "/")}
    assert own == {b for b in LANES if (FORMS / key / f"{b}.json").is_file()}


def test_start_form_rejects_bsn_as_case_reference():
    ok = {"gemeente": "breda", "maatregel": "ots", "ingangsdatum_maatregel": "2025-03-01",
          "casusreferentie": "GI-2025-0042"}
    _validate("gi_verwijsproces/start.json", ok)
    validator = Draft202012Validator(_schema("gi_verwijsproces/start.json"))
    errors = list(validator.iter_errors({**ok, "casusreferentie": "123456782"}))
    assert [e.validator for e in errors] == ["not"]
    assert "BSN" in _schema("gi_verwijsproces/start.json")["properties"]["casusreferentie"]["x-foutmeldingen"]["not"]
    assert list(validator.iter_errors({**ok, "casusreferentie": "AB"}))


def test_ijw_forms_follow_the_conditions_of_the_standard():
    jw315 = Draft202012Validator(_schema("gi_verwijsproces/stap8a_verzoek_om_toewijzing.json"))
    good = form_jw315()
    assert not list(jw315.iter_errors(good))
    # Omvang and Budget together are not allowed (CD077/CD078)
    assert list(jw315.iter_errors({**good, "Budget": 100000}))
    # Budget without einddatum (CD075)
    budget = {k: v for k, v in good.items() if k not in ("Omvang", "Product", "ToewijzingEinddatum")}
    budget["Budget"] = 250000
    assert list(jw315.iter_errors(budget))
    assert not list(jw315.iter_errors({**budget, "ToewijzingEinddatum": "2025-12-31"}))
    # frequency per week needs an end date (CD076)
    weekly = {**good, "Omvang": {"Volume": 3, "Eenheid": "04", "Frequentie": "2"}}
    del weekly["ToewijzingEinddatum"]
    assert list(jw315.iter_errors(weekly))
    # etmaal per dag is not allowed (CS343)
    assert list(jw315.iter_errors({**good, "Omvang": {"Volume": 1, "Eenheid": "14", "Frequentie": "1"}}))
    # verwijzer GI: name or AGB code, not both (CD066/CD067)
    assert list(jw315.iter_errors({**good, "Verwijzer": {"Type": "04"}}))
    assert list(jw315.iter_errors({**good, "Verwijzer": {"Type": "04", "Naam": "GI", "ZorgverlenerCode": "12345678"}}))
    jw319 = Draft202012Validator(_schema("gi_verwijsproces/stap8b_reactie_gemeente.json"))
    assert list(jw319.iter_errors({"BerichtCode": "JW319", "VerzoekAntwoord": "1", "ReferentieAanbieder": "R1"}))
    assert not list(jw319.iter_errors(form_jw319_afgewezen()))
    assert list(jw319.iter_errors({"BerichtCode": "JW301"}))


# --------------------------------------------------------------------------------------
# Form data used on the paths
# --------------------------------------------------------------------------------------

START = {"gemeente": "breda", "maatregel": "ots", "ingangsdatum_maatregel": "2025-03-01",
         "casusreferentie": "GI-2025-0042"}
# What the engine injects at start from the region's settings: the RET meets every 14 days.
RET_SCHEMA = {"eerste_vergadering": "2025-01-09", "interval_dagen": 14, "expertkaart_termijn": "10 dagen"}
CASE_STARTS = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def form_stap1(lokaal_team: bool):
    return {"hulpvraag": "Opvoedingsondersteuning en herstel schoolgang", "doelen": "Veilige opvoedsituatie\n"
            "Dagelijks naar school", "afgestemd_met_gezin": True, "lokaal_team_betrokken": lokaal_team}


FORM_STAP2 = {"datum_overleg": "2025-03-05", "zorghistorie": "Eerder ambulante gezinsbegeleiding (2023)",
              "huidige_hulp": "Schoolmaatschappelijk werk"}
FORM_STAP4 = {"datum_overleg": "2025-03-07", "advies_hulpvorm": "Intensieve ambulante gezinsbehandeling",
              "geadviseerde_aanbieder": "aanbieder_b"}


def form_stap3(aanbieder="aanbieder_a"):
    return {"aanbieder": aanbieder, "beoogde_hulpvorm": "Intensieve ambulante gezinsbehandeling"}


def form_stap5(tijdig: bool, alternatief: bool | None = None, overbrugging: bool | None = None):
    data = {"tijdig_beschikbaar": tijdig}
    if alternatief is not None:
        data["gecontracteerd_alternatief"] = alternatief
    if overbrugging is not None:
        data["overbruggingszorg_nodig"] = overbrugging
    return data


FORM_OVERBRUGGING = {"overbrugging_aanbieder": "aanbieder_c", "overbrugging_hulpvorm": "Ambulante begeleiding",
                     "overbrugging_startdatum": "2025-03-20"}


def form_a1(passend: bool):
    data = {"passend_buiten_aanbod": passend, "standpunt_gemeente": "oneens" if passend else "eens"}
    if passend:
        data |= {"aanbieder": "aanbieder_x", "hulpvorm_buiten_aanbod": "Specialistische systeemtherapie"}
    return data


def form_stap6(aanbieder="aanbieder_a"):
    return {"grondslag": "ots", "aanbieder": aanbieder, "datum_bepaling": "2025-04-01"}


FORM_STAP7 = {"datum_aanmelding": "2025-04-02", "standaardaanmeldformulier": True, "bepaling_meegestuurd": True}
FORM_A2 = {"constructie": "maatwerkcontract", "datum_geregeld": "2025-04-10"}


def form_jw315():
    return {"ReferentieAanbieder": "VOT-2025-0042", "Product": {"Categorie": "45", "Code": "45A12"},
            "ToewijzingIngangsdatum": "2025-04-15", "ToewijzingEinddatum": "2025-10-15",
            "Omvang": {"Volume": 4, "Eenheid": "04", "Frequentie": "2"},
            "Verwijzer": {"Type": "04", "Naam": "Gecertificeerde instelling Noord"}}


def form_jw301():
    return {"BerichtCode": "JW301", "ToewijzingNummer": 700123, "Toewijzingsdatum": "2025-04-17",
            "Ingangsdatum": "2025-04-15", "Einddatum": "2025-10-15", "Product": {"Categorie": "45", "Code": "45A12"},
            "Omvang": {"Volume": 4, "Eenheid": "04", "Frequentie": "2"}}


def form_jw319_afgewezen():
    return {"BerichtCode": "JW319", "VerzoekAntwoord": "1", "RedenAfwijzingVerzoek": "4",
            "ReferentieAanbieder": "VOT-2025-0042"}


FORM_JW319_ONDERZOEK = {"BerichtCode": "JW319", "VerzoekAntwoord": "2", "ReferentieAanbieder": "VOT-2025-0042"}
FORM_JW305 = {"ToewijzingNummer": 700123, "Product": {"Categorie": "45", "Code": "45A12"},
              "ToewijzingIngangsdatum": "2025-04-15", "Begindatum": "2025-04-22"}
FORM_JW307 = {**FORM_JW305, "Einddatum": "2025-09-30", "RedenBeeindiging": "31"}


def form_voortgang(beeindigd: bool):
    return {"datum_bespreking": "2025-06-01", "voortgang_doelen": "Schoolgang hersteld; opvoeding in ontwikkeling",
            "maatregel_beeindigd": beeindigd}


FORM_EVALUATIE = {"datum_evaluatie": "2025-10-01", "resultaat": "doelen_behaald"}


def form_consultatie(opgelost: bool, niet_gecontracteerd=False):
    data = {"datum_consultatie": "2025-05-01", "criteria_inbreng": ["geen_passend_aanbod"],
            "consultatie_opgelost": opgelost}
    if opgelost:
        data |= {"aanbieder": "aanbieder_d", "niet_gecontracteerd": niet_gecontracteerd}
    return data


FORM_AANMELDEN_RET = {"expertkaart_compleet": True, "datum_expertkaart_aangeleverd": "2025-05-05",
                      "vraag_aan_ret": "Welke aanbieder(s) kunnen de systeembehandeling bieden?"}
FORM_OPSCHALEN_BEN = {"datum_aanmelding_ben": "2025-05-30", "vraag_aan_ben": "Bovenregionale plek gezocht"}


def form_uitkomst(prefix: str, passend: bool, niet_gecontracteerd=False):
    data = {f"advies_{prefix}": "Advies vastgelegd", "passende_zorg": passend}
    data["datum_bespreking" if prefix == "ret" else "datum_advies"] = "2025-05-20"
    if passend:
        data |= {"aanbieder": "aanbieder_e", "zorgcombinatie": "aanbieder_e met aanbieder_f",
                 "niet_gecontracteerd": niet_gecontracteerd}
    return data


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------

class VirtualClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Case:
    """A running workflow; ``do`` completes one ready user task with validated form data."""

    def __init__(self, key="gi_verwijsproces", mandaat=True, **start):
        spec, subs = _specs(key)
        self.clock = VirtualClock(CASE_STARTS)
        self.wf = BpmnWorkflow(spec, subs, script_engine=SafeScriptEngine(clock=self.clock))
        data = {**START, **start} if key == "gi_verwijsproces" else dict(start)
        data.setdefault("ret_schema", RET_SCHEMA)
        if key == "gi_verwijsproces":
            _validate("gi_verwijsproces/start.json", {k: data[k] for k in START})
            data |= {"gi": "gi_noord", "gemeente_mandateert_gi": mandaat}
        self.wf.get_tasks(state=TaskState.READY)[0].set_data(**data)
        self.wf.do_engine_steps()
        self.trail: list[tuple[str, str]] = []

    def ready_tasks(self):
        return self.wf.get_tasks(state=TaskState.READY, manual=True)

    def ready(self) -> set[str]:
        return {t.task_spec.bpmn_id for t in self.ready_tasks()}

    def task(self, element_id):
        tasks = [t for t in self.ready_tasks() if t.task_spec.bpmn_id == element_id]
        assert tasks, f"{element_id} is not ready; ready: {sorted(self.ready())}"
        return tasks[0]

    def do(self, element_id: str, data: dict):
        task = self.task(element_id)
        lane = task.task_spec.lane
        assert lane == LANES[element_id], (element_id, lane)
        _validate(task.task_spec.extensions["properties"]["formJsonSchemaFilename"], data)
        task.set_data(**data)
        task.run()
        self.wf.do_engine_steps()
        self.trail.append((element_id, lane))
        return self

    def pass_time(self, until: datetime) -> Case:
        """Move the virtual clock; timers it passed fire, as the scheduler would make them."""
        self.clock.now = until
        self.wf.refresh_timers()
        self.wf.do_engine_steps()
        return self

    def to_ret_meeting(self) -> str:
        """The case waits for its RET meeting; let the clock run to it (a meeting today is
        already due: its timer fires at once)."""
        timer = self.wf.get_tasks(spec_name="wachten_op_ret_vergadering")[-1]
        meeting = timer.data["ret_vergaderdatum"]
        self.pass_time(max(self.clock.now, as_moment(meeting) + timedelta(minutes=1)))
        assert "ret_bespreking" in self.ready()
        return meeting

    def ids(self) -> list[str]:
        return [element_id for element_id, _lane in self.trail]

    @property
    def completed(self) -> bool:
        return self.wf.is_completed()


def plan(case: Case, lokaal_team=False):
    case.do("stap1_plan_van_aanpak", form_stap1(lokaal_team))
    if lokaal_team:
        case.do("stap2_overleg_lokaal_team", FORM_STAP2)


def search(case: Case, mandaat=True, aanbieder="aanbieder_a", **stap5):
    case.do("stap3_aanbieder_zoeken", form_stap3(aanbieder))
    if not mandaat:
        case.do("stap4_overleg_deskundige_gemeente", FORM_STAP4)
    case.do("stap5_afstemmen_aanbieder", form_stap5(**stap5))


def refer(case: Case, aanbieder="aanbieder_a", a2=False):
    """Steps 6 to 9; with a2 the gemeente arranges a maatwerkcontract before the VOT."""
    case.do("stap6_bepaling_jeugdhulp", form_stap6(aanbieder))
    assert case.ready() >= ({"stap7_aanmelden_aanbieder", "a2_maatwerkcontract"} if a2
                            else {"stap7_aanmelden_aanbieder"})
    assert ("a2_maatwerkcontract" in case.ready()) == a2
    case.do("stap7_aanmelden_aanbieder", FORM_STAP7)
    if a2:
        assert "stap8a_verzoek_om_toewijzing" not in case.ready()
        case.do("a2_maatwerkcontract", FORM_A2)
    case.do("stap8a_verzoek_om_toewijzing", form_jw315())
    case.do("stap8b_reactie_gemeente", form_jw301())
    case.do("stap9_start_jeugdhulp", FORM_JW305)


def deliver_and_stop(case: Case, reviews=1):
    """Care runs: progress reviews, then the aanbieder stops care (JW307) and the case closes."""
    assert {"stop_jeugdhulp_melden", "voortgang_bespreken"} <= case.ready()
    for _ in range(reviews):
        case.do("voortgang_bespreken", form_voortgang(False))
    case.do("stop_jeugdhulp_melden", FORM_JW307)
    assert "voortgang_bespreken" not in case.ready(), "the signal must interrupt stap 10"
    case.do("afsluitende_evaluatie", FORM_EVALUATIE)


EXPECTED_HAPPY = [
    ("stap1_plan_van_aanpak", JB), ("stap3_aanbieder_zoeken", JB), ("stap5_afstemmen_aanbieder", JB),
    ("stap6_bepaling_jeugdhulp", JB), ("stap7_aanmelden_aanbieder", JB), ("stap8a_verzoek_om_toewijzing", AB),
    ("stap8b_reactie_gemeente", GEM), ("stap9_start_jeugdhulp", AB), ("voortgang_bespreken", JB),
    ("stop_jeugdhulp_melden", AB), ("afsluitende_evaluatie", JB),
]


# --------------------------------------------------------------------------------------
# Paths of the GI verwijsproces
# --------------------------------------------------------------------------------------

def test_happy_path_contracted_and_on_time():
    case = Case(mandaat=True)
    assert case.ready() == {"stap1_plan_van_aanpak"}
    plan(case)
    assert case.ready() == {"stap3_aanbieder_zoeken"}
    search(case, tijdig=True)
    assert case.ready() == {"stap6_bepaling_jeugdhulp"}
    refer(case)
    data = case.task("voortgang_bespreken").data
    assert data["zorg_gestart"] is True and data["niet_gecontracteerd"] is False
    assert data["overbrugging_ingezet"] is False
    deliver_and_stop(case)
    assert case.trail == EXPECTED_HAPPY
    assert case.completed


@pytest.mark.parametrize("lokaal_team", [True, False])
def test_step_2_only_when_lokaal_team_involved(lokaal_team):
    case = Case()
    case.do("stap1_plan_van_aanpak", form_stap1(lokaal_team))
    assert case.ready() == ({"stap2_overleg_lokaal_team"} if lokaal_team else {"stap3_aanbieder_zoeken"})
    if lokaal_team:
        case.do("stap2_overleg_lokaal_team", FORM_STAP2)
        assert case.ready() == {"stap3_aanbieder_zoeken"}
    search(case, tijdig=True)
    refer(case)
    deliver_and_stop(case)
    assert case.completed
    assert ("stap2_overleg_lokaal_team", LT) in case.trail if lokaal_team else \
        "stap2_overleg_lokaal_team" not in case.ids()


@pytest.mark.parametrize("mandaat", [True, False])
def test_step_4_skipped_when_gemeente_mandates_gi(mandaat):
    case = Case(mandaat=mandaat)
    plan(case)
    case.do("stap3_aanbieder_zoeken", form_stap3())
    expected = {"stap5_afstemmen_aanbieder"} if mandaat else {"stap4_overleg_deskundige_gemeente"}
    assert case.ready() == expected
    if not mandaat:
        case.do("stap4_overleg_deskundige_gemeente", FORM_STAP4)
        assert case.ready() == {"stap5_afstemmen_aanbieder"}
        # advice only: the GI's choice of aanbieder stands
        assert case.task("stap5_afstemmen_aanbieder").data["aanbieder"] == "aanbieder_a"
    case.do("stap5_afstemmen_aanbieder", form_stap5(True))
    refer(case)
    deliver_and_stop(case)
    assert case.completed
    assert ("stap4_overleg_deskundige_gemeente" in case.ids()) is (not mandaat)


def test_loop_from_step_5_back_to_step_3_several_times():
    case = Case(mandaat=False)
    plan(case)
    for aanbieder in ("aanbieder_a", "aanbieder_b", "aanbieder_c"):
        search(case, mandaat=False, aanbieder=aanbieder, tijdig=False, alternatief=True)
        assert case.ready() == {"stap3_aanbieder_zoeken"}
    search(case, mandaat=False, aanbieder="aanbieder_d", tijdig=True)
    assert case.ready() == {"stap6_bepaling_jeugdhulp"}
    assert case.task("stap6_bepaling_jeugdhulp").data["aanbieder"] == "aanbieder_d"
    refer(case, aanbieder="aanbieder_d")
    deliver_and_stop(case)
    assert case.completed
    assert case.ids().count("stap3_aanbieder_zoeken") == 4
    assert case.ids().count("stap4_overleg_deskundige_gemeente") == 4
    assert case.ids().count("stap5_afstemmen_aanbieder") == 4
    assert "a1_hulp_buiten_aanbod" not in case.ids()


def test_overbruggingszorg_runs_in_parallel_and_only_once():
    case = Case()
    plan(case)
    search(case, tijdig=False, alternatief=True, overbrugging=True)
    assert case.ready() == {"overbruggingszorg_inzetten", "stap3_aanbieder_zoeken"}
    # the main path goes on while the bridging care is being arranged
    search(case, aanbieder="aanbieder_b", tijdig=False, alternatief=True, overbrugging=True)
    assert case.ready() == {"overbruggingszorg_inzetten", "stap3_aanbieder_zoeken"}, "bridging care only once"
    search(case, aanbieder="aanbieder_b", tijdig=True)
    refer(case, aanbieder="aanbieder_b")
    deliver_and_stop(case)
    assert not case.completed, "the open bridging-care task keeps the case open"
    assert case.ready() == {"overbruggingszorg_inzetten"}
    case.do("overbruggingszorg_inzetten", FORM_OVERBRUGGING)
    assert case.completed
    assert case.ids().count("overbruggingszorg_inzetten") == 1


def test_overbruggingszorg_not_started_when_care_is_on_time():
    case = Case()
    plan(case)
    search(case, tijdig=True, overbrugging=True)
    assert case.ready() == {"stap6_bepaling_jeugdhulp"}


def test_a1_niet_gecontracteerd_needs_a2_before_care_starts():
    case = Case()
    plan(case)
    search(case, tijdig=False, alternatief=False)
    assert case.ready() == {"a1_hulp_buiten_aanbod"}
    case.do("a1_hulp_buiten_aanbod", form_a1(True))
    assert case.ready() == {"stap6_bepaling_jeugdhulp"}
    assert case.task("stap6_bepaling_jeugdhulp").data["niet_gecontracteerd"] is True
    case.do("stap6_bepaling_jeugdhulp", form_stap6("aanbieder_x"))
    assert case.ready() == {"stap7_aanmelden_aanbieder", "a2_maatwerkcontract"}
    case.do("stap7_aanmelden_aanbieder", FORM_STAP7)
    assert case.ready() == {"a2_maatwerkcontract"}, "no JW315 before the gemeente has arranged A2"
    case.do("a2_maatwerkcontract", FORM_A2)
    assert case.ready() == {"stap8a_verzoek_om_toewijzing"}
    case.do("stap8a_verzoek_om_toewijzing", form_jw315())
    case.do("stap8b_reactie_gemeente", form_jw301())
    case.do("stap9_start_jeugdhulp", FORM_JW305)
    deliver_and_stop(case)
    assert case.completed
    assert ("a2_maatwerkcontract", GEM) in case.trail


def test_a2_can_also_finish_before_step_7():
    case = Case()
    plan(case)
    search(case, tijdig=False, alternatief=False)
    case.do("a1_hulp_buiten_aanbod", form_a1(True))
    case.do("stap6_bepaling_jeugdhulp", form_stap6("aanbieder_x"))
    case.do("a2_maatwerkcontract", FORM_A2)
    assert case.ready() == {"stap7_aanmelden_aanbieder"}
    case.do("stap7_aanmelden_aanbieder", FORM_STAP7)
    assert case.ready() == {"stap8a_verzoek_om_toewijzing"}


def to_b(case: Case):
    """Contracted search fails, A1 finds nothing: the case goes to the opschaalroute (B)."""
    search(case, tijdig=False, alternatief=False)
    case.do("a1_hulp_buiten_aanbod", form_a1(False))
    assert case.ready() == {"consultatie_gedragswetenschapper"}


def test_b_consultation_with_gedragswetenschapper_solves_it():
    case = Case()
    plan(case)
    to_b(case)
    case.do("consultatie_gedragswetenschapper", form_consultatie(True))
    assert case.ready() == {"stap6_bepaling_jeugdhulp"}
    data = case.task("stap6_bepaling_jeugdhulp").data
    assert data["passende_zorg"] is True and data["aanbieder"] == "aanbieder_d"
    refer(case, aanbieder="aanbieder_d")
    deliver_and_stop(case)
    assert case.completed
    assert "aanmelden_ret" not in case.ids()


def test_b_ret_solves_it():
    case = Case()
    plan(case)
    to_b(case)
    case.do("consultatie_gedragswetenschapper", form_consultatie(False))
    assert case.ready() == {"aanmelden_ret"}
    case.do("aanmelden_ret", FORM_AANMELDEN_RET).to_ret_meeting()
    assert case.ready() == {"ret_bespreking"}
    case.do("ret_bespreking", form_uitkomst("ret", True, niet_gecontracteerd=False))
    assert case.ready() == {"stap6_bepaling_jeugdhulp"}
    assert case.task("stap6_bepaling_jeugdhulp").data["aanbieder"] == "aanbieder_e"
    refer(case, aanbieder="aanbieder_e", a2=False)
    deliver_and_stop(case)
    assert case.completed
    assert case.trail[4:7] == [("consultatie_gedragswetenschapper", GED), ("aanmelden_ret", GED),
                               ("ret_bespreking", RET)]


def test_b_ret_fails_ben_solves_it_outside_contracted_offer():
    case = Case()
    plan(case)
    to_b(case)
    case.do("consultatie_gedragswetenschapper", form_consultatie(False))
    case.do("aanmelden_ret", FORM_AANMELDEN_RET).to_ret_meeting()
    case.do("ret_bespreking", form_uitkomst("ret", False))
    assert case.ready() == {"opschalen_ben"}
    case.do("opschalen_ben", FORM_OPSCHALEN_BEN)
    assert case.ready() == {"ben_advies"}
    case.do("ben_advies", form_uitkomst("ben", True, niet_gecontracteerd=True))
    assert case.ready() == {"stap6_bepaling_jeugdhulp"}
    refer(case, aanbieder="aanbieder_e", a2=True)
    deliver_and_stop(case)
    assert case.completed
    assert [i for i in case.ids() if LANES[i] in (GED, RET, BEN)] == [
        "consultatie_gedragswetenschapper", "aanmelden_ret", "ret_bespreking", "opschalen_ben", "ben_advies"]


def test_b_ben_fails_back_to_step_3_then_second_escalation():
    case = Case()
    plan(case)
    to_b(case)
    case.do("consultatie_gedragswetenschapper", form_consultatie(False))
    case.do("aanmelden_ret", FORM_AANMELDEN_RET).to_ret_meeting()
    case.do("ret_bespreking", form_uitkomst("ret", False))
    case.do("opschalen_ben", FORM_OPSCHALEN_BEN)
    case.do("ben_advies", form_uitkomst("ben", False))
    assert case.ready() == {"stap3_aanbieder_zoeken"}
    assert case.task("stap3_aanbieder_zoeken").data["passende_zorg"] is False
    # second round: again nothing contracted; the opschaalroute runs from the start again
    to_b(case)
    case.do("consultatie_gedragswetenschapper", form_consultatie(False))
    case.do("aanmelden_ret", FORM_AANMELDEN_RET).to_ret_meeting()
    case.do("ret_bespreking", form_uitkomst("ret", True))
    assert case.ready() == {"stap6_bepaling_jeugdhulp"}
    refer(case, aanbieder="aanbieder_e")
    deliver_and_stop(case)
    assert case.completed
    assert case.ids().count("consultatie_gedragswetenschapper") == 2
    assert case.ids().count("ben_advies") == 1


def test_jw319_afgewezen_aanbieder_corrects_and_resends():
    case = Case()
    plan(case)
    search(case, tijdig=True)
    case.do("stap6_bepaling_jeugdhulp", form_stap6())
    case.do("stap7_aanmelden_aanbieder", FORM_STAP7)
    case.do("stap8a_verzoek_om_toewijzing", form_jw315())
    case.do("stap8b_reactie_gemeente", form_jw319_afgewezen())
    assert case.ready() == {"stap8a_verzoek_om_toewijzing"}
    case.do("stap8a_verzoek_om_toewijzing", {**form_jw315(), "Product": {"Categorie": "45", "Code": "45A14"}})
    assert case.ready() == {"stap8b_reactie_gemeente"}
    case.do("stap8b_reactie_gemeente", form_jw301())
    assert case.ready() == {"stap9_start_jeugdhulp"}
    case.do("stap9_start_jeugdhulp", FORM_JW305)
    deliver_and_stop(case)
    assert case.completed
    assert case.ids().count("stap8a_verzoek_om_toewijzing") == 2


def test_jw319_in_onderzoek_gemeente_answers_again():
    case = Case()
    plan(case)
    search(case, tijdig=True)
    case.do("stap6_bepaling_jeugdhulp", form_stap6())
    case.do("stap7_aanmelden_aanbieder", FORM_STAP7)
    case.do("stap8a_verzoek_om_toewijzing", form_jw315())
    case.do("stap8b_reactie_gemeente", FORM_JW319_ONDERZOEK)
    assert case.ready() == {"stap8b_reactie_gemeente"}
    case.do("stap8b_reactie_gemeente", FORM_JW319_ONDERZOEK)
    assert case.ready() == {"stap8b_reactie_gemeente"}
    case.do("stap8b_reactie_gemeente", form_jw301())
    assert case.ready() == {"stap9_start_jeugdhulp"}
    case.do("stap9_start_jeugdhulp", FORM_JW305)
    deliver_and_stop(case)
    assert case.completed
    assert case.ids().count("stap8a_verzoek_om_toewijzing") == 1
    assert case.ids().count("stap8b_reactie_gemeente") == 3


def test_stop_zorg_interrupts_progress_reviews_and_case_completes():
    case = Case()
    plan(case)
    search(case, tijdig=True)
    refer(case)
    for _ in range(3):
        case.do("voortgang_bespreken", form_voortgang(False))
        assert case.ready() == {"voortgang_bespreken", "stop_jeugdhulp_melden"}
    case.do("stop_jeugdhulp_melden", FORM_JW307)
    assert case.ready() == {"afsluitende_evaluatie"}
    case.do("afsluitende_evaluatie", {**FORM_EVALUATIE, "resultaat": "uitval"})
    assert case.completed
    assert case.ids().count("voortgang_bespreken") == 3


def test_maatregel_ends_before_stop_zorg():
    case = Case()
    plan(case)
    search(case, tijdig=True)
    refer(case)
    case.do("voortgang_bespreken", form_voortgang(False))
    case.do("voortgang_bespreken", form_voortgang(True))
    assert case.ready() == {"stop_jeugdhulp_melden"}, "closing review waits for JW307"
    assert not case.completed
    case.do("stop_jeugdhulp_melden", FORM_JW307)
    assert case.ready() == {"afsluitende_evaluatie"}
    case.do("afsluitende_evaluatie", FORM_EVALUATIE)
    assert case.completed


# --------------------------------------------------------------------------------------
# The opschaalroute on its own
# --------------------------------------------------------------------------------------

def _end_data(case: Case) -> dict:
    return case.wf.last_task.data


@pytest.mark.parametrize("stale", [True, False])
def test_opschaalroute_sets_passende_zorg_at_every_outcome(stale):
    # consultation solves it
    case = Case("opschaalroute", passende_zorg=not stale)
    case.do("consultatie_gedragswetenschapper", form_consultatie(True))
    assert case.completed and _end_data(case)["passende_zorg"] is True
    # RET solves it
    case = Case("opschaalroute", passende_zorg=stale)
    case.do("consultatie_gedragswetenschapper", form_consultatie(False))
    assert case.ready() == {"aanmelden_ret"}, "a stale passende_zorg must not skip the RET"
    case.do("aanmelden_ret", FORM_AANMELDEN_RET).to_ret_meeting()
    case.do("ret_bespreking", form_uitkomst("ret", True))
    assert case.completed and _end_data(case)["passende_zorg"] is True
    # RET and BEN both fail: passende_zorg ends False even if it was True when called
    case = Case("opschaalroute", passende_zorg=stale)
    case.do("consultatie_gedragswetenschapper", form_consultatie(False))
    case.do("aanmelden_ret", FORM_AANMELDEN_RET).to_ret_meeting()
    case.do("ret_bespreking", form_uitkomst("ret", False))
    assert case.ready() == {"opschalen_ben"}
    case.do("opschalen_ben", FORM_OPSCHALEN_BEN)
    case.do("ben_advies", form_uitkomst("ben", False))
    assert case.completed and _end_data(case)["passende_zorg"] is False
