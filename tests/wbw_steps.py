"""Form data for each step of the WBW procedure toewijzing jeugdhulp, and small walkers.

Every step is completed over HTTP as the demo user of the step's lane on that case. The
engine's clock is fixed at TODAY, so ages, payment moments and the 18th birthday are
deterministic.
"""

from __future__ import annotations

from datetime import UTC, datetime

from . import gi_steps

PROCESS = "wbw_toewijzing"
TODAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
GEMEENTE = "gemeente-roosendaal"  # the demo jeugdprofessional works here
AANBIEDER = "aanbieder-horizon"  # demo user `aanbieder`
AANBIEDER2 = "aanbieder-zuidwest"  # demo user `aanbieder2`

# Born on these dates, the child has this age on TODAY.
BORN = {
    4: "2021-09-01",
    9: "2016-05-20",
    11: "2014-06-15",
    14: "2011-09-10",
    17: "2008-09-10",  # 18 on 2026-09-10: a Duurzaam arrangement ends on 2026-09-09
}

STEP_DATA = {
    "gesprek": {"datum_gesprek": "2026-03-02", "crisis": False, "jeugdhulp_nodig": True},
    "gezinsplan_deel1": {"datum_deel1": "2026-03-09"},
    "gezinsplan_deel2": {"hulpvraaganalyse": "Gedragsproblemen thuis; ouders handelingsverlegen",
                         "einddoelen": "Rust in huis; ouders weten hoe te reageren", "expertteam_consult": False,
                         "nadere_analyse_nodig": False, "datum_gezinsplan": "2026-03-20",
                         "instemming_gezinsplan_ouder": True, "instemming_gezinsplan_jeugdige": True},
    "expertteam_consult": {"datum_consult": "2026-03-12", "advies_expertteam": "Systeemgerichte aanpak"},
    "profielkeuze": {"profiel": 2, "voucher": False},
    "aanbieder_kiezen": {"passend_aanbod": True, "aanbieder": AANBIEDER},
    "intake_arrangement": {"datum_intake": "2026-03-25", "profiel": 2, "profiel_bevestigd": True,
                           "intensiteit": "perspectief", "toelichting_intensiteit": "Enkelvoudige problematiek",
                           "doelen": "Ouders passen de geleerde aanpak zelfstandig toe",
                           "evaluatiemoment": "2026-06-01", "datum_arrangement": "2026-03-26"},
    "instemming_arrangement": {"instemming_ouder": True, "instemming_jeugdige": True,
                               "datum_instemming": "2026-03-26"},
    "arrangement_toetsen": {"akkoord": True, "datum_toets": "2026-03-30"},
    "toewijzing_versturen": {"ToewijzingNummer": 2026001, "Toewijzingsdatum": "2026-03-31",
                             "Ingangsdatum": "2026-04-01"},
    "start_zorg_melden": {"ToewijzingNummer": 2026001, "Begindatum": "2026-04-06"},
    "zorg_loopt": {"zorg_vervolg": "einde"},
    "zorg_loopt_duurzaam": {"zorg_vervolg": "einde"},
    "tussentijdse_afstemming": {"afstemming_akkoord": True, "datum_afstemming": "2026-05-01"},
    "stop_zorg_melden": {"ToewijzingNummer": 2026001, "Einddatum": "2026-09-30", "einde_reden": "doelen_behaald"},
    "einde_vaststellen": {"datum_vaststelling": "2026-10-02", "doelrealisatie": "Doelen bereikt"},
    "einde_ondersteuning": {"datum_einde_ondersteuning": "2026-10-05", "in_overleg_met_gezin": True},
    "nadere_hulpvraaganalyse": {"analyse_startdatum": "2026-03-23", "analyse_einddatum": "2026-05-15",
                                "hulpvraag_helder": True, "uitkomst_analyse": "Kind-eigen problematiek"},
    "crisis_triage": {"triage_door": "cit", "datum_triage": "2026-03-03", "ahs": True, "tov": False},
    "ahs_uitvoeren": {"ahs_startdatum": "2026-03-03", "ahs_weken": 3, "ahs_resultaat": "Veiligheid hersteld"},
    "tov_plaatsing": {"tov_plaatsingsdatum": "2026-03-03", "tov_verlengen": False, "tov_vervolg": "Terug naar huis"},
    "tov_verlenging": {"reden_verlenging": "Thuissituatie nog niet veilig", "tov_vervolg": "Terug naar huis"},
    # the opschaalroute, called from this process
    **{name: gi_steps.STEP_DATA[name] for name in
       ("consultatie_gedragswetenschapper", "aanmelden_ret", "ret_bespreking", "opschalen_ben", "ben_advies")},
}

LANE_USERS = {
    "jeugdprofessional": "jeugdprofessional",
    "gemeente": "gemeente",
    "gedragswetenschapper": "expertteam",  # no GI on a WBW case: the region's Expertteam
    "crisisdienst": "crisisdienst",
    "ret": "ret",
    "ben": "ben",
}
AANBIEDER_USERS = {"Jeugdhulp De Horizon": "aanbieder", "Gezinsbegeleiding Zuidwest": "aanbieder2"}


def start(client, reference: str, age: int = 9, verwijzer: str = "gemeentelijke_toegang", **extra) -> dict:
    """A case started by the jeugdprofessional (toegang) or, for another verwijzer, by the aanbieder."""
    user = "jeugdprofessional" if verwijzer == "gemeentelijke_toegang" else extra.pop("user", "aanbieder")
    data = {"gemeente": GEMEENTE, "casusreferentie": reference, "geboortedatum": BORN[age], "verwijzer": verwijzer,
            **extra}
    return client.start(PROCESS, data, user)


def open_names(client, case_id: int) -> list[str]:
    return sorted(t["name"] for t in client.case(case_id, "jeugdprofessional")["open_tasks"])


def user_for(case: dict, lane: str) -> str:
    if lane == "aanbieder":
        return AANBIEDER_USERS[case["parties"]["aanbieder"]]
    return LANE_USERS[lane]


def _data(name: str, overrides: dict) -> dict:
    return {k: v for k, v in {**STEP_DATA[name], **overrides}.items() if v is not None}


def step(client, case_id: int, name: str, **overrides) -> dict:
    """Complete the open task `name` as the demo user of its lane, with the standard data;
    an override of None leaves that field out."""
    case = client.case(case_id, "jeugdprofessional")
    task = next((t for t in case["open_tasks"] if t["name"] == name), None)
    assert task is not None, f"{name} is niet open; open: {open_names(client, case_id)}"
    return client.complete(case_id, user_for(case, task["lane"]), name, **_data(name, overrides))


def attempt(client, case_id: int, name: str, **overrides):
    """Try to complete `name`; returns the raw response (for 422 checks)."""
    case = client.case(case_id, "jeugdprofessional")
    task = next(t for t in case["open_tasks"] if t["name"] == name)
    user = user_for(case, task["lane"])
    return client.post(f"/api/tasks/{task['id']}/complete", user, json={"data": _data(name, overrides)})


def data(client, case_id: int) -> dict:
    return client.case(case_id, "jeugdprofessional")["data"]


def to_profielkeuze(client, case_id: int, **deel2) -> None:
    """Gesprek and gezinsplan (deel 1 and 2) of a toegang case."""
    step(client, case_id, "gesprek")
    step(client, case_id, "gezinsplan_deel1")
    step(client, case_id, "gezinsplan_deel2", **deel2)


def to_toets(client, case_id: int, intake: dict | None = None, instemming: dict | None = None,
             profiel: int = 2, aanbieder: str = AANBIEDER) -> None:
    """From profielkeuze to the open toets: profiel, aanbieder, arrangement, consent."""
    step(client, case_id, "profielkeuze", profiel=profiel)
    step(client, case_id, "aanbieder_kiezen", aanbieder=aanbieder)
    arrangement(client, case_id, intake, instemming, profiel)


def arrangement(client, case_id: int, intake: dict | None = None, instemming: dict | None = None,
                profiel: int = 2) -> None:
    step(client, case_id, "intake_arrangement", **{"profiel": profiel, **(intake or {})})
    step(client, case_id, "instemming_arrangement", **(instemming or {}))


def approve_and_start(client, case_id: int, begindatum: str = "2026-04-06") -> dict:
    step(client, case_id, "arrangement_toetsen")
    step(client, case_id, "toewijzing_versturen")
    return step(client, case_id, "start_zorg_melden", Begindatum=begindatum)


def care_running(client, reference: str, age: int = 9, intake: dict | None = None, profiel: int = 2,
                 instemming: dict | None = None) -> int:
    """A toegang case whose arrangement was approved and whose care has started."""
    case = start(client, reference, age)
    to_profielkeuze(client, case["id"])
    to_toets(client, case["id"], intake, instemming, profiel)
    approve_and_start(client, case["id"])
    return case["id"]


def end_care(client, case_id: int, reden: str = "doelen_behaald", einddatum: str = "2026-09-30",
             task: str = "zorg_loopt", **vaststellen) -> dict:
    """Report the end (JW307) and have the jeugdprofessional confirm it."""
    step(client, case_id, task, zorg_vervolg="einde")
    step(client, case_id, "stop_zorg_melden", einde_reden=reden, Einddatum=einddatum)
    return step(client, case_id, "einde_vaststellen", **vaststellen)
