"""Every path of the GI verwijsproces, walked over HTTP by the users of each lane.

Each path ends with care started (JW305 recorded) and the case completed after stop zorg.
"""

from __future__ import annotations

from .gi_steps import (
    GEMEENTE_MANDAAT,
    deliver_and_close,
    open_names,
    sees_case_without_data,
    start_gi,
    step,
    wait_for_ret_meeting,
)


def _assert_care_started_and_case_completed(client, case_id: int, final: dict) -> None:
    assert final["status"] == "completed"
    case = client.case(case_id)
    codes = [m["code"] for m in case["ijw_messages"]]
    assert "JW305" in codes and codes[-1] == "JW307"
    assert case["open_tasks"] == []
    assert case["history"][-1]["kind"] == "case_completed"


def _referral(client, case_id: int) -> None:
    step(client, case_id, "stap6_bepaling_jeugdhulp")
    step(client, case_id, "stap7_aanmelden_aanbieder")


def test_happy_path_contracted_and_on_time(client):
    case = start_gi(client, "GI-HAPPY")
    assert open_names(client, case["id"]) == ["stap1_plan_van_aanpak"]
    step(client, case["id"], "stap1_plan_van_aanpak")  # no lokaal team: step 2 skipped
    assert open_names(client, case["id"]) == ["stap3_aanbieder_zoeken"]
    step(client, case["id"], "stap3_aanbieder_zoeken")
    step(client, case["id"], "stap4_overleg_deskundige_gemeente")  # Roosendaal consults
    step(client, case["id"], "stap5_afstemmen_aanbieder")
    _referral(client, case["id"])
    final = deliver_and_close(client, case["id"])
    _assert_care_started_and_case_completed(client, case["id"], final)

    messages = {m["code"]: m for m in client.case(case["id"])["ijw_messages"]}
    assert list(messages) == ["JW315", "JW301", "JW305", "JW307"]
    assert messages["JW315"]["payload"]["Verwijzer"]["Type"] == "04"
    assert messages["JW315"]["direction"] == "aanbieder → gemeente"
    assert messages["JW301"]["payload"]["ToewijzingNummer"] == 123456
    assert messages["JW305"]["payload"]["Begindatum"] == "2026-10-21"
    assert messages["JW307"]["payload"]["RedenBeeindiging"] == "31"


def test_step_2_taken_when_a_lokaal_team_is_involved(client):
    case = start_gi(client, "GI-STAP2")
    step(client, case["id"], "stap1_plan_van_aanpak", lokaal_team_betrokken=True)
    assert open_names(client, case["id"]) == ["stap2_overleg_lokaal_team"]
    task = client.open_task(case["id"], "lokaalteam", "stap2_overleg_lokaal_team")
    assert task["lane"] == "lokaalteam"
    step(client, case["id"], "stap2_overleg_lokaal_team")
    assert open_names(client, case["id"]) == ["stap3_aanbieder_zoeken"]
    step(client, case["id"], "stap3_aanbieder_zoeken")
    step(client, case["id"], "stap4_overleg_deskundige_gemeente")
    step(client, case["id"], "stap5_afstemmen_aanbieder")
    _referral(client, case["id"])
    _assert_care_started_and_case_completed(client, case["id"], deliver_and_close(client, case["id"]))


def test_step_4_skipped_for_a_mandating_gemeente(client):
    case = start_gi(client, "GI-MANDAAT", gemeente=GEMEENTE_MANDAAT)
    assert case["data"]["gemeente_mandateert_gi"] is True
    step(client, case["id"], "stap1_plan_van_aanpak")
    step(client, case["id"], "stap3_aanbieder_zoeken")
    assert open_names(client, case["id"]) == ["stap5_afstemmen_aanbieder"]
    step(client, case["id"], "stap5_afstemmen_aanbieder")
    _referral(client, case["id"])
    history = [h["element_id"] for h in client.case(case["id"])["history"]]
    assert "stap4_overleg_deskundige_gemeente" not in history


def test_loop_from_step_5_back_to_step_3(client):
    case = start_gi(client, "GI-LUS")
    step(client, case["id"], "stap1_plan_van_aanpak")
    for _ in range(3):
        step(client, case["id"], "stap3_aanbieder_zoeken")
        step(client, case["id"], "stap4_overleg_deskundige_gemeente")
        step(client, case["id"], "stap5_afstemmen_aanbieder", tijdig_beschikbaar=False, gecontracteerd_alternatief=True)
        assert open_names(client, case["id"]) == ["stap3_aanbieder_zoeken"]
    step(client, case["id"], "stap3_aanbieder_zoeken")
    step(client, case["id"], "stap4_overleg_deskundige_gemeente")
    step(client, case["id"], "stap5_afstemmen_aanbieder")
    _referral(client, case["id"])
    _assert_care_started_and_case_completed(client, case["id"], deliver_and_close(client, case["id"]))


def test_a1_niet_gecontracteerd_with_a2_before_care_starts(client):
    case = start_gi(client, "GI-A1")
    step(client, case["id"], "stap1_plan_van_aanpak")
    step(client, case["id"], "stap3_aanbieder_zoeken")
    step(client, case["id"], "stap4_overleg_deskundige_gemeente")
    step(client, case["id"], "stap5_afstemmen_aanbieder", tijdig_beschikbaar=False, gecontracteerd_alternatief=False)
    assert open_names(client, case["id"]) == ["a1_hulp_buiten_aanbod"]
    step(client, case["id"], "a1_hulp_buiten_aanbod")
    assert client.case(case["id"])["data"]["niet_gecontracteerd"] is True
    step(client, case["id"], "stap6_bepaling_jeugdhulp")
    assert open_names(client, case["id"]) == ["a2_maatwerkcontract", "stap7_aanmelden_aanbieder"]
    step(client, case["id"], "stap7_aanmelden_aanbieder")
    # Care cannot start before the gemeente has arranged the contract (A2).
    assert open_names(client, case["id"]) == ["a2_maatwerkcontract"]
    assert [t for t in client.get("/api/tasks", "aanbieder").json if t["case_id"] == case["id"]] == []
    step(client, case["id"], "a2_maatwerkcontract")
    assert open_names(client, case["id"]) == ["stap8a_verzoek_om_toewijzing"]
    _assert_care_started_and_case_completed(client, case["id"], deliver_and_close(client, case["id"]))


def _to_opschaalroute(client, reference: str) -> int:
    case = start_gi(client, reference)
    step(client, case["id"], "stap1_plan_van_aanpak")
    step(client, case["id"], "stap3_aanbieder_zoeken")
    step(client, case["id"], "stap4_overleg_deskundige_gemeente")
    step(client, case["id"], "stap5_afstemmen_aanbieder", tijdig_beschikbaar=False, gecontracteerd_alternatief=False)
    step(client, case["id"], "a1_hulp_buiten_aanbod", passend_buiten_aanbod=False, aanbieder=None)
    assert open_names(client, case["id"]) == ["consultatie_gedragswetenschapper"]
    return case["id"]


def test_b_ret_finds_fitting_care(client):
    case_id = _to_opschaalroute(client, "GI-RET")
    task = client.open_task(case_id, "gedragswetenschapper", "consultatie_gedragswetenschapper")
    assert task["process"] == "opschaalroute"
    step(client, case_id, "consultatie_gedragswetenschapper")
    step(client, case_id, "aanmelden_ret")
    wait_for_ret_meeting(client, case_id)
    # The RET sits in the region: it sees this case now, with its data.
    assert client.get(f"/api/cases/{case_id}", "ret").status_code == 200
    step(client, case_id, "ret_bespreking")
    assert open_names(client, case_id) == ["stap6_bepaling_jeugdhulp"]
    _referral(client, case_id)
    _assert_care_started_and_case_completed(client, case_id, deliver_and_close(client, case_id))


def test_b_ret_fails_and_ben_finds_care(client):
    case_id = _to_opschaalroute(client, "GI-BEN")
    step(client, case_id, "consultatie_gedragswetenschapper")
    step(client, case_id, "aanmelden_ret")
    wait_for_ret_meeting(client, case_id)
    step(client, case_id, "ret_bespreking", passende_zorg=False, aanbieder=None, niet_gecontracteerd=None)
    step(client, case_id, "opschalen_ben")
    step(client, case_id, "ben_advies")  # BEN: bovenregionaal, niet-gecontracteerd
    assert client.case(case_id)["data"]["niet_gecontracteerd"] is True
    step(client, case_id, "stap6_bepaling_jeugdhulp")
    assert open_names(client, case_id) == ["a2_maatwerkcontract", "stap7_aanmelden_aanbieder"]
    step(client, case_id, "stap7_aanmelden_aanbieder")
    step(client, case_id, "a2_maatwerkcontract")
    _assert_care_started_and_case_completed(client, case_id, deliver_and_close(client, case_id))


def test_ben_finds_nothing_and_the_search_starts_again(client):
    case_id = _to_opschaalroute(client, "GI-BEN-NIETS")
    step(client, case_id, "consultatie_gedragswetenschapper")
    step(client, case_id, "aanmelden_ret")
    wait_for_ret_meeting(client, case_id)
    step(client, case_id, "ret_bespreking", passende_zorg=False, aanbieder=None, niet_gecontracteerd=None)
    step(client, case_id, "opschalen_ben")
    step(client, case_id, "ben_advies", passende_zorg=False, aanbieder=None, niet_gecontracteerd=None)
    assert open_names(client, case_id) == ["stap3_aanbieder_zoeken"]


def test_overbruggingszorg_while_searching(client):
    case = start_gi(client, "GI-OVERBRUGGING")
    step(client, case["id"], "stap1_plan_van_aanpak")
    step(client, case["id"], "stap3_aanbieder_zoeken")
    step(client, case["id"], "stap4_overleg_deskundige_gemeente")
    step(client, case["id"], "stap5_afstemmen_aanbieder", tijdig_beschikbaar=False, gecontracteerd_alternatief=True,
         overbruggingszorg_nodig=True)
    assert open_names(client, case["id"]) == ["overbruggingszorg_inzetten", "stap3_aanbieder_zoeken"]
    step(client, case["id"], "overbruggingszorg_inzetten")
    step(client, case["id"], "stap3_aanbieder_zoeken")
    step(client, case["id"], "stap4_overleg_deskundige_gemeente")
    # Bridging care is already in place: a second wait does not open it again.
    step(client, case["id"], "stap5_afstemmen_aanbieder", tijdig_beschikbaar=False, gecontracteerd_alternatief=True,
         overbruggingszorg_nodig=True)
    assert open_names(client, case["id"]) == ["stap3_aanbieder_zoeken"]
    assert client.case(case["id"])["data"]["overbrugging_aanbieder"] == "aanbieder-zuidwest"


def test_jw319_afgewezen_and_in_onderzoek(client):
    case = start_gi(client, "GI-JW319", gemeente=GEMEENTE_MANDAAT)
    step(client, case["id"], "stap1_plan_van_aanpak")
    step(client, case["id"], "stap3_aanbieder_zoeken")
    step(client, case["id"], "stap5_afstemmen_aanbieder")
    _referral(client, case["id"])
    step(client, case["id"], "stap8a_verzoek_om_toewijzing")
    step(client, case["id"], "stap8b_reactie_gemeente", BerichtCode="JW319", VerzoekAntwoord="1",
         RedenAfwijzingVerzoek="8", ToewijzingNummer=None, Toewijzingsdatum=None, Ingangsdatum=None, Product=None,
         Omvang=None)
    assert open_names(client, case["id"]) == ["stap8a_verzoek_om_toewijzing"]
    step(client, case["id"], "stap8a_verzoek_om_toewijzing")
    step(client, case["id"], "stap8b_reactie_gemeente", BerichtCode="JW319", VerzoekAntwoord="2",
         ToewijzingNummer=None, Toewijzingsdatum=None, Ingangsdatum=None, Product=None, Omvang=None)
    assert open_names(client, case["id"]) == ["stap8b_reactie_gemeente"]
    step(client, case["id"], "stap8b_reactie_gemeente")
    assert open_names(client, case["id"]) == ["stap9_start_jeugdhulp"]
    codes = [m["code"] for m in client.case(case["id"])["ijw_messages"]]
    assert codes == ["JW315", "JW319", "JW315", "JW319", "JW301"]


def test_measure_ends_before_care_stops(client):
    case = start_gi(client, "GI-MAATREGEL-EINDE", gemeente=GEMEENTE_MANDAAT)
    step(client, case["id"], "stap1_plan_van_aanpak")
    step(client, case["id"], "stap3_aanbieder_zoeken")
    step(client, case["id"], "stap5_afstemmen_aanbieder")
    _referral(client, case["id"])
    step(client, case["id"], "stap8a_verzoek_om_toewijzing")
    step(client, case["id"], "stap8b_reactie_gemeente")
    step(client, case["id"], "stap9_start_jeugdhulp")
    step(client, case["id"], "voortgang_bespreken")
    step(client, case["id"], "voortgang_bespreken", maatregel_beeindigd=True)
    assert open_names(client, case["id"]) == ["stop_jeugdhulp_melden"]
    step(client, case["id"], "stop_jeugdhulp_melden")
    final = step(client, case["id"], "afsluitende_evaluatie")
    assert final["status"] == "completed"


def test_ijw_messages_arrive_through_the_api(client):
    case = start_gi(client, "GI-IJW-API", gemeente=GEMEENTE_MANDAAT)
    step(client, case["id"], "stap1_plan_van_aanpak")
    step(client, case["id"], "stap3_aanbieder_zoeken")
    step(client, case["id"], "stap5_afstemmen_aanbieder")
    # JW305 before JW315: the case is not waiting for it.
    early = client.post(f"/api/cases/{case['id']}/ijw", "aanbieder",
                        json={"code": "JW305", "bericht": {}})
    assert early.status_code in (404, 409)
    _referral(client, case["id"])
    from .gi_steps import STEP_DATA

    response = client.post(f"/api/cases/{case['id']}/ijw", "aanbieder",
                           json={"code": "JW315", "bericht": STEP_DATA["stap8a_verzoek_om_toewijzing"]})
    assert response.status_code == 200, response.json
    assert [t["name"] for t in response.json["open_tasks"]] == ["stap8b_reactie_gemeente"]
    bericht = {k: v for k, v in STEP_DATA["stap8b_reactie_gemeente"].items() if k != "BerichtCode"}
    response = client.post(f"/api/cases/{case['id']}/ijw", "gemeente2", json={"code": "JW301", "bericht": bericht})
    assert response.status_code == 200, response.json
    invalid = client.post(f"/api/cases/{case['id']}/ijw", "aanbieder", json={"code": "JW305", "bericht": {"Begindatum": "gisteren"}})
    assert invalid.status_code == 422
    assert "Begindatum" in invalid.json["errors"] and "ToewijzingNummer" in invalid.json["errors"]
    response = client.post(f"/api/cases/{case['id']}/ijw", "aanbieder",
                           json={"code": "JW305", "bericht": STEP_DATA["stap9_start_jeugdhulp"]})
    assert response.status_code == 200
    assert [m["code"] for m in client.case(case["id"])["ijw_messages"]] == ["JW315", "JW301", "JW305"]


def test_the_second_gi_never_sees_the_first_gis_cases(client):
    case = start_gi(client, "GI-PRIVACY")
    step(client, case["id"], "stap1_plan_van_aanpak")
    assert client.get(f"/api/cases/{case['id']}", "jeugdbeschermer2").status_code == 404
    assert all(c["id"] != case["id"] for c in client.get("/api/cases", "jeugdbeschermer2").json)
    assert all(t["case_id"] != case["id"] for t in client.get("/api/tasks", "jeugdbeschermer2").json)
    own = start_gi(client, "GI2-EIGEN", user="jeugdbeschermer2")
    assert client.get(f"/api/cases/{own['id']}", "jeugdbeschermer").status_code == 404
    assert [t["name"] for t in client.get("/api/tasks", "jeugdbeschermer2").json if t["case_id"] == own["id"]] == \
        ["stap1_plan_van_aanpak"]


def test_coordinator_sees_where_a_case_stands_but_not_the_plan(client):
    case = start_gi(client, "GI-COORD")
    step(client, case["id"], "stap1_plan_van_aanpak")
    view = client.get(f"/api/cases/{case['id']}", "regiocoordinator").json
    assert view["data"] is None
    assert [t["name"] for t in view["open_tasks"]] == ["stap3_aanbieder_zoeken"]
    assert all(h["details"] == {} for h in view["history"])
    assert client.post(f"/api/tasks/{view['open_tasks'][0]['id']}/complete", "regiocoordinator",
                       json={"data": {}}).status_code == 403


def test_the_ret_sees_the_data_only_while_its_meeting_is_open(client):
    case_id = _to_opschaalroute(client, "GI-RET-PRIVACY")
    step(client, case_id, "consultatie_gedragswetenschapper")
    assert client.get(f"/api/cases/{case_id}", "ret").status_code == 404  # not its case yet
    step(client, case_id, "aanmelden_ret")
    wait_for_ret_meeting(client, case_id)
    assert client.case(case_id, "ret")["data"]["vraag_aan_ret"]  # the meeting needs the case
    meeting = client.open_task(case_id, "ret", "ret_bespreking")
    done = step(client, case_id, "ret_bespreking")
    assert done["data"] is None  # what the RET gets back already follows the rule
    view = sees_case_without_data(client, case_id, "ret")
    assert [t["name"] for t in view["open_tasks"]] == ["stap6_bepaling_jeugdhulp"]
    assert meeting["data"] and client.get(f"/api/tasks/{meeting['id']}", "ret").json["data"] == {}


def test_process_endpoint_gives_bpmn_and_start_form(client):
    response = client.get("/api/processes/gi_verwijsproces", "jeugdbeschermer")
    assert response.status_code == 200
    process = response.json
    assert process["bpmn"].startswith("<?xml")
    form = process["start_form"]
    assert set(form["required"]) == {"gemeente", "maatregel", "ingangsdatum_maatregel", "casusreferentie"}
    assert {o["const"] for o in form["properties"]["gemeente"]["oneOf"]} == \
        {"gemeente-roosendaal", "gemeente-bergen-op-zoom"}
    assert process["startable"] is True
    assert client.get("/api/processes/gi_verwijsproces", "gemeente").json["startable"] is False
    listed = {p["key"] for p in client.get("/api/processes", "jeugdbeschermer").json}
    assert {"gi_verwijsproces", "opschaalroute"} <= listed


def test_start_form_refuses_a_bsn_as_reference(client):
    response = client.post("/api/cases", "jeugdbeschermer", json={"process": "gi_verwijsproces", "data": {
        "gemeente": "gemeente-roosendaal", "maatregel": "ots", "ingangsdatum_maatregel": "2026-10-01",
        "casusreferentie": "123456782"}})
    assert response.status_code == 422
    assert "BSN" in response.json["errors"]["casusreferentie"][0]
