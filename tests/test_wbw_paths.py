"""Every path of the WBW procedure toewijzing jeugdhulp, walked over HTTP by the users of each lane.

The engine's clock stands still at wbw_steps.TODAY, so ages and payment moments are fixed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.models import Timer

from .conftest import BACKENDS, Client, build_app
from .gi_steps import sees_case_without_data
from .wbw_steps import (
    AANBIEDER2,
    BORN,
    TODAY,
    approve_and_start,
    arrangement,
    attempt,
    care_running,
    data,
    end_care,
    open_names,
    start,
    step,
    to_profielkeuze,
    to_toets,
)


class FixedClock:
    moment = TODAY

    def now(self):
        return self.moment


def _ret_meeting(client, case_id: int) -> None:
    """The clock stands still here: step it to the RET meeting the case waits for, let the
    timer fire, and put it back."""
    runtime = client.app.extensions["verwijsflow"]
    with runtime.reading() as session:
        meeting = session.scalar(select(Timer.due_at).where(
            Timer.case_id == case_id, Timer.element_id == "wachten_op_ret_vergadering", Timer.status == "waiting"))
    runtime.clock.moment = meeting + timedelta(minutes=1)
    try:
        assert runtime.timers.fire_due() == [case_id]
    finally:
        runtime.clock.moment = TODAY


@pytest.fixture(scope="module", params=BACKENDS)
def client(request, tmp_path_factory):
    app, runtime, database = build_app(request.param, tmp_path_factory.mktemp(f"wbw-{request.param}"))
    runtime.clock = FixedClock()
    runtime.script_engine.clock = runtime.clock.now
    yield Client(app)
    runtime.dispose()
    database.drop()


def _payments(client, case_id):
    return [(b["moment"], b["bedrag"], b["soort"]) for b in data(client, case_id)["betalingen"]]


def _errors(response) -> dict:
    assert response.status_code == 422, response.json
    return response.json["errors"]


# -- hulpvraag en gezinsplan ----------------------------------------------------------------

def test_voorliggend_veld_ends_the_procedure(client):
    case = start(client, "WBW-VOORLIGGEND")
    assert open_names(client, case["id"]) == ["gesprek"]
    assert case["parties"]["gemeente"] == "Gemeente Roosendaal"
    final = step(client, case["id"], "gesprek", jeugdhulp_nodig=False,
                 verwijzing_voorliggend_veld="Opvoedcursus van het CJG")
    assert final["status"] == "completed"
    assert final["data"]["betalingen"] == [] and final["data"]["arrangementen"] == []


def test_full_route_with_expertteam_and_akkoord(client):
    case = start(client, "WBW-VOLLEDIG")
    case_id = case["id"]
    step(client, case_id, "gesprek")
    step(client, case_id, "gezinsplan_deel1")
    step(client, case_id, "gezinsplan_deel2", expertteam_consult=True, datum_gezinsplan=None)
    # The Expertteam is the region's: its gedragswetenschapper gets the consultation.
    assert open_names(client, case_id) == ["expertteam_consult"]
    assert client.get("/api/tasks", "gedragswetenschapper").json == []  # the GI's one does not
    step(client, case_id, "expertteam_consult")
    step(client, case_id, "gezinsplan_deel2")
    assert data(client, case_id)["instemming_regel"].startswith("Jonger dan 12 jaar")
    to_toets(client, case_id)
    assert open_names(client, case_id) == ["arrangement_toetsen"]
    approve_and_start(client, case_id)
    assert _payments(client, case_id) == [("2026-04-06", 924, "start")]  # 50% of 1.848 (profiel 2 Perspectief)

    step(client, case_id, "zorg_loopt", zorg_vervolg="doelen_bijstellen")
    step(client, case_id, "tussentijdse_afstemming", doelen="Ouders en school werken samen")
    assert data(client, case_id)["doelen"] == "Ouders en school werken samen"
    end_care(client, case_id)
    assert _payments(client, case_id) == [("2026-04-06", 924, "start"), ("2026-09-30", 924, "einde")]
    current = data(client, case_id)
    assert current["garantie_tot"] == "2027-09-30"
    assert current["arrangementen"][0]["status"] == "beeindigd"
    final = step(client, case_id, "einde_ondersteuning")
    # The guarantee period still runs (a timer); the case closes when it has passed.
    assert final["status"] == "running" and final["open_tasks"] == []
    messages = [m["code"] for m in client.case(case_id, "jeugdprofessional")["ijw_messages"]]
    assert messages == ["JW301", "JW305", "JW307"]


# -- toets --------------------------------------------------------------------------------

def test_toets_sends_the_arrangement_back_once(client):
    case = start(client, "WBW-TERUG")
    to_profielkeuze(client, case["id"])
    to_toets(client, case["id"])
    # Refusing with a reason is for other verwijzers only.
    errors = _errors(attempt(client, case["id"], "arrangement_toetsen", akkoord=False, toets_uitkomst="weigeren",
                             weigerreden="ernstige_dyslexie"))
    assert "alleen bij een verwijzing door een andere verwijzer" in errors["toets_uitkomst"][0]
    step(client, case["id"], "arrangement_toetsen", akkoord=False, toets_uitkomst="aanpassen",
         toelichting_toets="Doelen niet toetsbaar")
    assert open_names(client, case["id"]) == ["intake_arrangement"]
    arrangement(client, case["id"], intake={"doelen": "Toetsbaar doel: drie keer per week samen eten"})
    approve_and_start(client, case["id"])
    history = [h["element_id"] for h in client.case(case["id"], "jeugdprofessional")["history"]]
    assert history.count("arrangement_toetsen") == 2 and history.count("intake_arrangement") == 2
    assert _payments(client, case["id"]) == [("2026-04-06", 924, "start")]


def test_toets_sends_the_family_to_another_aanbieder(client):
    case = start(client, "WBW-ANDERE")
    to_profielkeuze(client, case["id"])
    to_toets(client, case["id"])
    step(client, case["id"], "arrangement_toetsen", akkoord=False, toets_uitkomst="andere_aanbieder")
    assert open_names(client, case["id"]) == ["aanbieder_kiezen"]
    step(client, case["id"], "aanbieder_kiezen", aanbieder=AANBIEDER2)
    assert client.open_task(case["id"], "aanbieder2", "intake_arrangement")
    assert [t for t in client.get("/api/tasks", "aanbieder").json if t["case_id"] == case["id"]] == []
    arrangement(client, case["id"])
    approve_and_start(client, case["id"])
    assert data(client, case["id"])["arrangementen"][0]["aanbieder"] == AANBIEDER2


def test_start_before_approval_is_paid_from_the_actual_start_only_after_approval(client):
    case = start(client, "WBW-EERDER")
    to_profielkeuze(client, case["id"])
    to_toets(client, case["id"], intake={"eerder_starten": True, "eerder_gestart_op": "2026-03-27"})
    assert data(client, case["id"])["betalingen"] == []  # no arrangement approved, nothing owed yet
    approve_and_start(client, case["id"], begindatum="2026-03-27")
    assert _payments(client, case["id"]) == [("2026-03-27", 924, "start")]
    assert _errors(attempt(client, case["id"], "zorg_loopt", zorg_vervolg="verlengen"))["zorg_vervolg"]


# -- other verwijzers ---------------------------------------------------------------------

def test_huisarts_referral_starts_at_the_aanbieder_and_is_refused_with_a_reason(client):
    case = start(client, "WBW-HUISARTS", verwijzer="huisarts")
    assert case["parties"]["aanbieder"] == "Jeugdhulp De Horizon"
    assert open_names(client, case["id"]) == ["intake_arrangement"]
    # The aanbieder does the hulpvraaganalyse at intake.
    errors = _errors(attempt(client, case["id"], "intake_arrangement", profiel=5))
    assert "hulpvraaganalyse" in errors["hulpvraaganalyse_aanbieder"][0]
    arrangement(client, case["id"], intake={"hulpvraaganalyse_aanbieder": "Faalangst op school", "profiel": 5},
                profiel=5)
    # The toets is the gemeentelijke toegang's: the jeugdprofessional of the child's gemeente.
    assert client.open_task(case["id"], "jeugdprofessional", "arrangement_toetsen")
    errors = _errors(attempt(client, case["id"], "arrangement_toetsen", akkoord=False, toets_uitkomst="weigeren"))
    assert errors["weigerreden"] == ["Dit veld is verplicht."]
    step(client, case["id"], "arrangement_toetsen", akkoord=False, toets_uitkomst="weigeren",
         weigerreden="hulp_door_jeugdprofessional", toelichting_toets="Lichte vraag; jeugdprofessional begeleidt")
    assert data(client, case["id"])["weigerreden"] == "hulp_door_jeugdprofessional"
    # Back to finding a fitting solution: the jeugdprofessional takes up the case.
    assert open_names(client, case["id"]) == ["gesprek"]
    assert data(client, case["id"])["betalingen"] == []
    final = step(client, case["id"], "gesprek", jeugdhulp_nodig=False)
    assert final["status"] == "completed"


def test_gi_referral_needs_the_gezinsvoogds_consent(client):
    case = start(client, "WBW-GI", age=14, verwijzer="gi", ouders_gezag=False)
    arrangement(client, case["id"], intake={"hulpvraaganalyse_aanbieder": "Hechtingsproblematiek"},
                instemming={"instemming_ouder": None})
    current = data(client, case["id"])
    assert (current["instemming_ouder_vereist"], current["instemming_jeugdige_vereist"],
            current["instemming_gezinsvoogd_vereist"]) == (False, True, True)
    errors = _errors(attempt(client, case["id"], "arrangement_toetsen"))
    assert errors == {"akkoord": ["Akkoord is niet mogelijk: bij een bepaling jeugdhulp van een GI moet de "
                                  "gezinsvoogd instemmen met het arrangement."]}
    step(client, case["id"], "arrangement_toetsen", akkoord=False, toets_uitkomst="aanpassen")
    arrangement(client, case["id"], intake={"hulpvraaganalyse_aanbieder": "Hechtingsproblematiek"},
                instemming={"instemming_ouder": None, "instemming_gezinsvoogd": True})
    approve_and_start(client, case["id"])


def test_a_gi_referral_needs_to_say_whether_the_parents_hold_authority(client):
    response = client.post("/api/cases", "aanbieder", json={"process": "wbw_toewijzing", "data": {
        "gemeente": "gemeente-roosendaal", "casusreferentie": "WBW-GI-2", "geboortedatum": BORN[9],
        "verwijzer": "gi"}})
    assert _errors(response) == {"ouders_gezag": ["Dit veld is verplicht."]}
    # Only the jeugdprofessional and the aanbieder start this process.
    response = client.post("/api/cases", "jeugdbeschermer", json={"process": "wbw_toewijzing", "data": {
        "gemeente": "gemeente-roosendaal", "casusreferentie": "WBW-JB", "geboortedatum": BORN[9],
        "verwijzer": "huisarts"}})
    assert response.status_code == 403


# -- consent by age -----------------------------------------------------------------------

@pytest.mark.parametrize("age, missing, given, message", [
    (11, "instemming_ouder", {"instemming_jeugdige": None}, "de instemming van een ouder"),
    (14, "instemming_jeugdige", {"instemming_ouder": True}, "de instemming van de jeugdige"),
    (14, "instemming_ouder", {"instemming_jeugdige": True}, "de instemming van een ouder"),
    (17, "instemming_jeugdige", {"instemming_ouder": True}, "de instemming van de jeugdige"),
])
def test_missing_consent_blocks_the_toets(client, age, missing, given, message):
    case = start(client, f"WBW-INSTEMMING-{age}-{missing}", age=age)
    to_profielkeuze(client, case["id"])
    to_toets(client, case["id"], instemming={**{"instemming_ouder": None, "instemming_jeugdige": None}, **given})
    response = attempt(client, case["id"], "arrangement_toetsen")
    errors = _errors(response)
    assert list(errors) == ["akkoord"] and any(message in m for m in errors["akkoord"])
    assert open_names(client, case["id"]) == ["arrangement_toetsen"]  # nothing changed


@pytest.mark.parametrize("age, consent, rule", [
    (11, {"instemming_ouder": True, "instemming_jeugdige": None}, "Jonger dan 12 jaar"),
    (14, {"instemming_ouder": True, "instemming_jeugdige": True}, "12 tot 16 jaar"),
    (17, {"instemming_ouder": None, "instemming_jeugdige": True}, "16 jaar of ouder"),
])
def test_the_consent_the_age_requires_lets_the_toets_through(client, age, consent, rule):
    case = start(client, f"WBW-INSTEMMING-OK-{age}", age=age)
    to_profielkeuze(client, case["id"])
    to_toets(client, case["id"], instemming=consent)
    assert data(client, case["id"])["instemming_regel"].startswith(rule)
    approve_and_start(client, case["id"])


def test_gezinsplan_needs_consent_too(client):
    case = start(client, "WBW-GEZINSPLAN", age=14)
    step(client, case["id"], "gesprek")
    step(client, case["id"], "gezinsplan_deel1")
    errors = _errors(attempt(client, case["id"], "gezinsplan_deel2", instemming_gezinsplan_jeugdige=None))
    assert list(errors) == ["instemming_gezinsplan_jeugdige"]
    # Consulting the Expertteam first does not need consent yet.
    step(client, case["id"], "gezinsplan_deel2", instemming_gezinsplan_jeugdige=None, expertteam_consult=True,
         datum_gezinsplan=None)
    assert open_names(client, case["id"]) == ["expertteam_consult"]


# -- arrangement rules --------------------------------------------------------------------

def test_duurzaam_with_too_many_tranches_is_refused(client):
    case = start(client, "WBW-TRANCHES")
    to_profielkeuze(client, case["id"])
    step(client, case["id"], "profielkeuze", profiel=3)
    step(client, case["id"], "aanbieder_kiezen")
    duurzaam = {"profiel": 3, "intensiteit": "duurzaam", "toelichting_intensiteit": "Consolideren na Intensief"}
    errors = _errors(attempt(client, case["id"], "intake_arrangement", **duurzaam, tranches=4))
    assert errors == {"tranches": ["Voor profiel 2 tot en met 5 is het uitgangspunt maximaal 3 tranches. Meer kan "
                                   "alleen in overleg met de jeugdprofessional (tot hoogstens 12)."]}
    errors = _errors(attempt(client, case["id"], "intake_arrangement", **duurzaam, tranches=13,
                             tranches_na_overleg=True))
    assert errors == {"tranches": ["Een Duurzaam arrangement heeft nooit meer dan 12 tranches."]}
    assert _errors(attempt(client, case["id"], "intake_arrangement", **duurzaam))["tranches"] == [
        "Dit veld is verplicht."]
    errors = _errors(attempt(client, case["id"], "intake_arrangement", **{**duurzaam, "profiel": 6}, tranches=7))
    assert errors["tranches"][0].startswith("Voor profiel 6 is het uitgangspunt maximaal 6 tranches")
    errors = _errors(attempt(client, case["id"], "intake_arrangement", profiel=10, intensiteit="acuut"))
    assert errors == {"intensiteit": ["Profiel 10 kent alleen Duurzaam licht of Duurzaam zwaar."]}
    errors = _errors(attempt(client, case["id"], "intake_arrangement", intensiteit="duurzaam_licht", tranches=2))
    assert errors["intensiteit"][0].startswith("Duurzaam licht en Duurzaam zwaar horen alleen bij profiel 10")
    # More than the starting point, agreed with the jeugdprofessional: allowed.
    step(client, case["id"], "intake_arrangement", **duurzaam, tranches=4, tranches_na_overleg=True,
         profiel_bevestigd=True)
    assert data(client, case["id"])["tranches"] == 4


# -- payments and the einde reasons ---------------------------------------------------------

def test_einde_niet_haalbaar_pays_the_second_half(client):
    case_id = care_running(client, "WBW-NIET-HAALBAAR", profiel=6,
                           intake={"intensiteit": "intensief", "profiel": 6})
    end_care(client, case_id, reden="niet_haalbaar", einddatum="2026-11-15")
    assert _payments(client, case_id) == [("2026-04-06", 9443, "start"), ("2026-11-15", 9443, "einde")]
    assert data(client, case_id)["arrangementen"][0]["einde_reden"] == "niet_haalbaar"


@pytest.mark.parametrize("kort, door_aanbieder, second_half", [
    (True, False, None), (False, True, None), (False, False, 2201),
])
def test_einde_uitval_withholds_the_second_half_when_early_or_the_aanbieders_fault(client, kort, door_aanbieder,
                                                                                    second_half):
    case_id = care_running(client, f"WBW-UITVAL-{kort}-{door_aanbieder}",
                           intake={"intensiteit": "intensief"})
    errors = _errors(_uitval_without_judgement(client, case_id))
    assert set(errors) == {"uitval_kort_na_start", "uitval_door_aanbieder"}
    step(client, case_id, "einde_vaststellen", uitval_kort_na_start=kort, uitval_door_aanbieder=door_aanbieder)
    expected = [("2026-04-06", 2201, "start")] + ([("2026-05-20", second_half, "einde")] if second_half else [])
    assert _payments(client, case_id) == expected
    assert data(client, case_id)["betalingen"][-1]["reden"]


def _uitval_without_judgement(client, case_id):
    step(client, case_id, "zorg_loopt", zorg_vervolg="einde")
    step(client, case_id, "stop_zorg_melden", einde_reden="uitval", Einddatum="2026-05-20")
    return attempt(client, case_id, "einde_vaststellen")


def test_duurzaam_is_paid_per_tranche_and_uitval_stops_the_tranches(client):
    duurzaam = {"profiel": 6, "intensiteit": "duurzaam", "tranches": 6}
    case_id = care_running(client, "WBW-DUURZAAM-UITVAL", profiel=6, intake=duurzaam)
    moments = ["2026-04-06", "2026-06-06", "2026-08-06", "2026-10-06", "2026-12-06", "2027-02-06"]
    assert _payments(client, case_id) == [(m, 1288, "tranche") for m in moments]
    assert open_names(client, case_id) == ["zorg_loopt_duurzaam"]
    end_care(client, case_id, reden="uitval", einddatum="2026-07-15", task="zorg_loopt_duurzaam",
             uitval_kort_na_start=False, uitval_door_aanbieder=False)
    assert _payments(client, case_id) == [(m, 1288, "tranche") for m in moments[:2]]


def test_duurzaam_ends_the_day_before_the_18th_birthday(client):
    duurzaam = {"profiel": 7, "intensiteit": "duurzaam", "tranches": 12}
    case_id = care_running(client, "WBW-ACHTTIEN", age=17, profiel=7, intake=duurzaam,
                           instemming={"instemming_ouder": None})
    current = data(client, case_id)
    assert current["dag_voor_achttien"] == "2026-09-09"
    # No tranche is planned on or after the 18th birthday.
    assert [m for m, _b, _s in _payments(client, case_id)] == [
        "2026-04-06", "2026-05-06", "2026-06-06", "2026-07-06", "2026-08-06", "2026-09-06"]
    errors = _errors(_achttien_without_overdracht(client, case_id))
    assert list(errors) == ["warme_overdracht"]
    step(client, case_id, "einde_vaststellen", warme_overdracht="Warme overdracht naar de Wlz per 2026-09-10")
    assert len(data(client, case_id)["betalingen"]) == 6
    assert data(client, case_id)["arrangementen"][0]["einde_reden"] == "achttien_jaar"


def _achttien_without_overdracht(client, case_id):
    step(client, case_id, "zorg_loopt_duurzaam", zorg_vervolg="einde")
    step(client, case_id, "stop_zorg_melden", einde_reden="achttien_jaar", Einddatum="2026-09-09")
    return attempt(client, case_id, "einde_vaststellen")


def test_the_18th_birthday_reason_is_for_duurzaam_only(client):
    case_id = care_running(client, "WBW-ACHTTIEN-NIET")
    step(client, case_id, "zorg_loopt", zorg_vervolg="einde")
    errors = _errors(attempt(client, case_id, "stop_zorg_melden", einde_reden="achttien_jaar"))
    assert errors == {"einde_reden": ["De reden 'dag vóór de 18e verjaardag' geldt alleen voor een Duurzaam "
                                      "arrangement."]}


def test_voucher_is_paid_in_full_at_start_without_an_arrangement(client):
    case = start(client, "WBW-VOUCHER")
    to_profielkeuze(client, case["id"])
    step(client, case["id"], "profielkeuze", profiel=2, voucher=True)
    step(client, case["id"], "aanbieder_kiezen")
    assert open_names(client, case["id"]) == ["toewijzing_versturen"]
    step(client, case["id"], "toewijzing_versturen")
    step(client, case["id"], "start_zorg_melden")
    assert _payments(client, case["id"]) == [("2026-04-06", 376, "start")]
    end_care(client, case["id"])
    assert _payments(client, case["id"]) == [("2026-04-06", 376, "start")]
    assert data(client, case["id"])["arrangementen"][0]["soort"] == "voucher"


# -- nadere hulpvraaganalyse, other arrangement, opschaalroute -----------------------------

def test_nadere_hulpvraaganalyse_before_the_profiel_is_chosen(client):
    case = start(client, "WBW-ANALYSE")
    to_profielkeuze(client, case["id"], nadere_analyse_nodig=True, analyse_aanbieder=AANBIEDER2)
    assert client.open_task(case["id"], "aanbieder2", "nadere_hulpvraaganalyse")
    step(client, case["id"], "nadere_hulpvraaganalyse")
    # A profiel 5 Perspectief arrangement for the analysis: 50% at its start, 50% at its end.
    assert _payments(client, case["id"]) == [("2026-03-23", 924, "start"), ("2026-05-15", 924, "einde")]
    assert open_names(client, case["id"]) == ["profielkeuze"]
    to_toets(client, case["id"], profiel=4)
    approve_and_start(client, case["id"])
    arrangementen = data(client, case["id"])["arrangementen"]
    assert [(a["soort"], a["profiel"], a["status"]) for a in arrangementen] == [
        ("nadere_analyse", 5, "beeindigd"), ("arrangement", 4, "lopend")]
    assert _payments(client, case["id"])[-1] == ("2026-04-06", 2576, "start")  # 50% of 5.152


def test_nadere_hulpvraaganalyse_stacked_on_a_running_arrangement(client):
    case_id = care_running(client, "WBW-ANALYSE-GESTAPELD", intake={"intensiteit": "intensief"})
    step(client, case_id, "zorg_loopt", zorg_vervolg="nadere_analyse", toelichting_vervolg="Onderliggende problematiek")
    step(client, case_id, "tussentijdse_afstemming")
    step(client, case_id, "nadere_hulpvraaganalyse", analyse_startdatum="2026-05-04", analyse_einddatum="2026-06-30")
    assert open_names(client, case_id) == ["zorg_loopt"]
    current = data(client, case_id)
    assert [(a["soort"], a["status"], a.get("gestapeld")) for a in current["arrangementen"]] == [
        ("arrangement", "lopend", None), ("nadere_analyse", "beeindigd", True)]
    assert (current["profiel"], current["intensiteit"]) == (2, "intensief")  # the running arrangement is untouched
    end_care(client, case_id)
    assert _payments(client, case_id) == [("2026-04-06", 2201, "start"), ("2026-05-04", 924, "start"),
                                          ("2026-06-30", 924, "einde"), ("2026-09-30", 2201, "einde")]


def test_other_profiel_or_intensiteit_withdraws_the_arrangement_and_starts_a_new_one(client):
    duurzaam = {"profiel": 7, "intensiteit": "duurzaam", "tranches": 12}
    case_id = care_running(client, "WBW-ANDER-ARRANGEMENT", profiel=7, intake=duurzaam)
    step(client, case_id, "zorg_loopt_duurzaam", zorg_vervolg="ander_arrangement")
    step(client, case_id, "tussentijdse_afstemming", datum_afstemming="2026-06-15")
    assert open_names(client, case_id) == ["intake_arrangement"]
    arrangement(client, case_id, intake={"profiel": 8, "intensiteit": "intensief"}, profiel=8)
    step(client, case_id, "arrangement_toetsen")
    step(client, case_id, "toewijzing_versturen", ToewijzingNummer=2026002)
    step(client, case_id, "start_zorg_melden", ToewijzingNummer=2026002, Begindatum="2026-06-20")
    current = data(client, case_id)
    assert [(a["nummer"], a["status"]) for a in current["arrangementen"]] == [(1, "ingetrokken"), (2, "lopend")]
    # Tranches of the withdrawn arrangement after its withdrawal are no longer owed.
    assert _payments(client, case_id) == [("2026-04-06", 1288, "tranche"), ("2026-05-06", 1288, "tranche"),
                                          ("2026-06-06", 1288, "tranche"), ("2026-06-20", 4865, "start")]
    assert open_names(client, case_id) == ["zorg_loopt"]


def test_a_refused_afstemming_keeps_the_care_running(client):
    case_id = care_running(client, "WBW-AFSTEMMING-NEE")
    step(client, case_id, "zorg_loopt", zorg_vervolg="ander_arrangement")
    step(client, case_id, "tussentijdse_afstemming", afstemming_akkoord=False)
    assert open_names(client, case_id) == ["zorg_loopt"]
    assert data(client, case_id)["arrangementen"][0]["status"] == "lopend"


def test_no_fitting_care_goes_through_the_opschaalroute(client):
    case = start(client, "WBW-OPSCHALEN")
    to_profielkeuze(client, case["id"])
    step(client, case["id"], "profielkeuze", profiel=8)
    step(client, case["id"], "aanbieder_kiezen", passend_aanbod=False, aanbieder=None)
    assert open_names(client, case["id"]) == ["consultatie_gedragswetenschapper"]
    assert client.open_task(case["id"], "expertteam", "consultatie_gedragswetenschapper")
    step(client, case["id"], "consultatie_gedragswetenschapper")
    step(client, case["id"], "aanmelden_ret")
    _ret_meeting(client, case["id"])
    step(client, case["id"], "ret_bespreking", aanbieder=AANBIEDER2)
    assert client.open_task(case["id"], "aanbieder2", "intake_arrangement")


def test_no_fitting_care_even_via_ben_returns_to_choosing_an_aanbieder(client):
    case = start(client, "WBW-OPSCHALEN-BEN")
    to_profielkeuze(client, case["id"])
    step(client, case["id"], "profielkeuze")
    step(client, case["id"], "aanbieder_kiezen", passend_aanbod=False, aanbieder=None)
    step(client, case["id"], "consultatie_gedragswetenschapper")
    step(client, case["id"], "aanmelden_ret")
    _ret_meeting(client, case["id"])
    step(client, case["id"], "ret_bespreking", passende_zorg=False, aanbieder=None)
    step(client, case["id"], "opschalen_ben")
    step(client, case["id"], "ben_advies", passende_zorg=False, aanbieder=None)
    assert open_names(client, case["id"]) == ["aanbieder_kiezen"]


# -- crisis -------------------------------------------------------------------------------

def test_crisis_with_ahs_and_a_tov_extended_once(client):
    case = start(client, "WBW-CRISIS")
    step(client, case["id"], "gesprek", crisis=True)
    assert client.open_task(case["id"], "crisisdienst", "crisis_triage")
    step(client, case["id"], "crisis_triage", ahs=True, tov=True, triage_door="sez")
    assert open_names(client, case["id"]) == ["ahs_uitvoeren", "tov_plaatsing"]
    errors = _errors(attempt(client, case["id"], "ahs_uitvoeren", ahs_weken=5))
    assert errors == {"ahs_weken": ["Ambulante Hulp bij Spoed duurt maximaal 4 weken."]}
    step(client, case["id"], "tov_plaatsing", tov_verlengen=True, tov_vervolg=None)
    step(client, case["id"], "tov_verlenging")
    assert open_names(client, case["id"]) == ["ahs_uitvoeren"]  # extended once: no second extension
    step(client, case["id"], "ahs_uitvoeren")
    # No arrangement was needed, nothing is owed; the jeugdprofessional decides what follows.
    assert open_names(client, case["id"]) == ["gesprek"]
    assert data(client, case["id"])["betalingen"] == []
    step(client, case["id"], "gesprek", jeugdhulp_nodig=False)


def test_crisis_tov_only(client):
    case = start(client, "WBW-TOV")
    step(client, case["id"], "gesprek", crisis=True)
    step(client, case["id"], "crisis_triage", ahs=False, tov=True)
    assert open_names(client, case["id"]) == ["tov_plaatsing"]
    step(client, case["id"], "tov_plaatsing")
    assert open_names(client, case["id"]) == ["gesprek"]


def test_no_time_out_under_six(client):
    case = start(client, "WBW-TOV-JONG", age=4)
    step(client, case["id"], "gesprek", crisis=True)
    errors = _errors(attempt(client, case["id"], "crisis_triage", tov=True))
    assert errors == {"tov": ["Een time-out (TOV) is er voor jeugdigen vanaf 6 jaar; kies voor deze jeugdige AHS."]}
    step(client, case["id"], "crisis_triage")  # AHS only
    assert open_names(client, case["id"]) == ["ahs_uitvoeren"]


def test_crisis_stacked_on_a_running_arrangement(client):
    case_id = care_running(client, "WBW-CRISIS-GESTAPELD")
    before = data(client, case_id)["betalingen"]
    step(client, case_id, "zorg_loopt", zorg_vervolg="crisis")
    step(client, case_id, "crisis_triage", ahs=True, tov=False)
    step(client, case_id, "ahs_uitvoeren")
    # Back to the running arrangement; goals may now be adjusted.
    assert open_names(client, case_id) == ["zorg_loopt"]
    current = data(client, case_id)
    assert current["betalingen"] == before and current["arrangementen"][0]["status"] == "lopend"
    step(client, case_id, "zorg_loopt", zorg_vervolg="doelen_bijstellen")
    step(client, case_id, "tussentijdse_afstemming", doelen="Veiligheidsplan na de crisis")
    assert open_names(client, case_id) == ["zorg_loopt"]


# -- who sees what ------------------------------------------------------------------------

def test_lanes_go_to_the_right_organisations(client):
    case = start(client, "WBW-ROLLEN")
    case_id = case["id"]
    # The jeugdprofessional of another gemeente does not see the case.
    assert client.get(f"/api/cases/{case_id}", "gemeente2").status_code == 404
    to_profielkeuze(client, case_id)
    to_toets(client, case_id)
    step(client, case_id, "arrangement_toetsen")
    task = client.open_task(case_id, "gemeente", "toewijzing_versturen")
    assert task["lane"] == "gemeente"
    assert client.post(f"/api/tasks/{task['id']}/complete", "aanbieder", json={"data": {}}).status_code == 403
    assert client.get(f"/api/cases/{case_id}", "aanbieder2").status_code == 404


def test_an_aanbieder_that_was_replaced_sees_the_case_but_no_longer_its_data(client):
    case = start(client, "WBW-VERVANGEN")
    to_profielkeuze(client, case["id"])
    to_toets(client, case["id"])  # the first aanbieder did the intake
    assert client.case(case["id"], "aanbieder")["data"] is not None
    step(client, case["id"], "arrangement_toetsen", akkoord=False, toets_uitkomst="andere_aanbieder")
    step(client, case["id"], "aanbieder_kiezen", aanbieder=AANBIEDER2)
    view = sees_case_without_data(client, case["id"], "aanbieder")
    assert [t["name"] for t in view["open_tasks"]] == ["intake_arrangement"]
    assert client.case(case["id"], "aanbieder2")["data"]["aanbieder"] == AANBIEDER2


def test_the_process_can_be_started_by_the_jeugdprofessional_and_the_aanbieder(client):
    for user, startable in [("jeugdprofessional", True), ("aanbieder", True), ("jeugdbeschermer", False)]:
        listing = {p["key"]: p for p in client.get("/api/processes", user).json}
        assert listing["wbw_toewijzing"]["startable"] is startable, user
    view = client.get("/api/processes/wbw_toewijzing", "aanbieder").json
    assert view["start_form"]["properties"]["verwijzer"]["oneOf"][0]["const"] == "gemeentelijke_toegang"
    assert {o["const"] for o in view["start_form"]["properties"]["gemeente"]["oneOf"]} >= {"gemeente-roosendaal"}
