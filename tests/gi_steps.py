"""Form data for each step of the GI verwijsproces and the opschaalroute, and small walkers.

Shared by the path tests and the benchmarks. Each function completes one step over HTTP as
the demo user of the step's lane.
"""

from __future__ import annotations

GEMEENTE_OVERLEG = "gemeente-roosendaal"  # consults on every referral: step 4 is taken
GEMEENTE_MANDAAT = "gemeente-bergen-op-zoom"  # mandates the GI: step 4 is skipped
AANBIEDER = "aanbieder-horizon"  # the demo user `aanbieder` works here
PRODUCT = {"Categorie": "45", "Code": "45A01"}

START = {"maatregel": "ots", "ingangsdatum_maatregel": "2026-10-01"}

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
    "stap8b_reactie_gemeente": {"BerichtCode": "JW301", "ReferentieAanbieder": "VOT-1", "ToewijzingNummer": 123456, "Toewijzingsdatum": "2026-10-14",
                                "Ingangsdatum": "2026-10-20", "Einddatum": "2027-04-20", "Product": PRODUCT,
                                "Omvang": {"Volume": 4, "Eenheid": "04", "Frequentie": "2"}},
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

LANE_USERS = {
    "jeugdbeschermer": "jeugdbeschermer",
    "lokaalteam": "lokaalteam",
    "gemeente": "gemeente",
    "aanbieder": "aanbieder",
    "gedragswetenschapper": "gedragswetenschapper",
    "ret": "ret",
    "ben": "ben",
}


def start_gi(client, reference: str, gemeente: str = GEMEENTE_OVERLEG, user: str = "jeugdbeschermer") -> dict:
    return client.start("gi_verwijsproces", {**START, "gemeente": gemeente, "casusreferentie": reference}, user)


def open_names(client, case_id: int) -> list[str]:
    return sorted(t["name"] for t in client.case(case_id)["open_tasks"])


def user_for(case: dict, lane: str) -> str:
    """The demo user who holds the ball for this lane on this case."""
    if lane in ("gemeente", "lokaalteam") and case["parties"]["gemeente"] == "Gemeente Bergen op Zoom":
        return "gemeente2"
    return LANE_USERS[lane]


def step(client, case_id: int, name: str, **overrides) -> dict:
    """Complete the open task `name` as the demo user of its lane, with the standard data;
    an override of None leaves that field out."""
    case = client.case(case_id)
    task = next((t for t in case["open_tasks"] if t["name"] == name), None)
    assert task is not None, f"{name} is niet open; open: {open_names(client, case_id)}"
    data = {k: v for k, v in {**STEP_DATA[name], **overrides}.items() if v is not None}
    return client.complete(case_id, user_for(case, task["lane"]), name, **data)


def deliver_and_close(client, case_id: int) -> dict:
    """Steps 8–10 for a case whose referral (steps 6–7) is done: care starts, runs, stops."""
    step(client, case_id, "stap8a_verzoek_om_toewijzing")
    step(client, case_id, "stap8b_reactie_gemeente")
    step(client, case_id, "stap9_start_jeugdhulp")
    assert open_names(client, case_id) == ["stop_jeugdhulp_melden", "voortgang_bespreken"]
    step(client, case_id, "voortgang_bespreken")
    step(client, case_id, "stop_jeugdhulp_melden")
    assert open_names(client, case_id) == ["afsluitende_evaluatie"]
    return step(client, case_id, "afsluitende_evaluatie")
