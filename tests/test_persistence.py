"""Incremental persistence: the rows always rebuild exactly the live workflow, and the rows
written per step do not grow with the length of the case."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from engine.models import Case

from .conftest import BACKENDS, FIXTURES, Client, build_app


@pytest.fixture(scope="module", params=BACKENDS)
def lus(request, tmp_path_factory):
    app, runtime, database = build_app(request.param, tmp_path_factory.mktemp("lus"), processes_dir=FIXTURES,
                                       forms_dir=FIXTURES / "forms")
    yield Client(app), runtime
    runtime.dispose()
    database.drop()


def _canonical(runtime, workflow) -> dict:
    dct = runtime.store.serializer.to_dict(workflow)
    dct.pop("spec")
    dct.pop("subprocess_specs")
    return dct


def _reloaded(runtime, case_id):
    with runtime.reading() as session:
        case = session.get(Case, case_id)
        bundle = runtime.library.parsed(session, case.bundle_id)
        workflow, _ = runtime.store.load(session, case_id, case.engine_state, bundle.spec, bundle.subprocess_specs,
                                         runtime.script_engine)
        return workflow, case.version


def _live(runtime, case_id, version):
    entry = runtime.cache.checkout(case_id, version)
    assert entry is not None, "the step should have left the workflow in the cache"
    runtime.cache.checkin(case_id, entry)
    return entry.workflow


def test_rows_rebuild_the_live_workflow_after_every_step(lus):
    client, runtime = lus
    case = client.start("lus", {"gemeente": "gemeente-roosendaal", "casusreferentie": "P-1"})
    steps = [("jeugdbeschermer", "zoeken", {"aanbieder": "aanbieder-horizon"}),
             ("gemeente", "overleg", {"advies": "ok"}),
             ("jeugdbeschermer", "afstemmen", {"tijdig_beschikbaar": False})] * 4
    steps[-1] = ("jeugdbeschermer", "afstemmen", {"tijdig_beschikbaar": True})
    for user, name, data in steps:
        client.complete(case["id"], user, name, **data)
        reloaded, version = _reloaded(runtime, case["id"])
        live = _live(runtime, case["id"], version)
        assert _canonical(runtime, reloaded) == _canonical(runtime, live)
    assert client.case(case["id"])["status"] == "completed"


def test_a_step_writes_as_many_rows_in_a_long_case_as_in_a_new_one(lus):
    client, runtime = lus
    case = client.start("lus", {"gemeente": "gemeente-roosendaal", "casusreferentie": "P-2"})
    written: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "engine_tasks" in statement and not statement.lstrip().upper().startswith("SELECT"):
            written[-1] += len(parameters) if executemany else 1

    event.listen(runtime.db, "before_cursor_execute", count)
    try:
        for _ in range(30):
            for user, name, data in [("jeugdbeschermer", "zoeken", {"aanbieder": "aanbieder-horizon"}),
                                     ("gemeente", "overleg", {}),
                                     ("jeugdbeschermer", "afstemmen", {"tijdig_beschikbaar": False})]:
                written.append(0)
                client.complete(case["id"], user, name, **data)
    finally:
        event.remove(runtime.db, "before_cursor_execute", count)
    first_round, last_round = sum(written[:3]), sum(written[-3:])
    assert last_round <= first_round, (first_round, last_round)


def test_a_case_loaded_by_another_worker_continues_correctly(lus):
    """A cache miss (another worker, a restart) rebuilds the workflow from its rows."""
    client, runtime = lus
    case = client.start("lus", {"gemeente": "gemeente-roosendaal", "casusreferentie": "P-3"})
    client.complete(case["id"], "jeugdbeschermer", "zoeken", aanbieder="aanbieder-zuidwest")
    runtime.cache.clear()
    client.complete(case["id"], "gemeente", "overleg", advies="elders")
    runtime.cache.clear()
    result = client.complete(case["id"], "jeugdbeschermer", "afstemmen", tijdig_beschikbaar=True)
    assert result["status"] == "completed"
    assert result["data"]["aanbieder"] == "aanbieder-zuidwest"
    assert result["data"]["advies"] == "elders"


def test_rows_rebuild_the_live_workflow_on_a_long_gi_path(client, runtime):
    """Timers waiting, a call activity, an embedded subprocess, parallel branches, loops."""
    from .gi_steps import start_gi, step, wait_for_ret_meeting

    case_id = start_gi(client, "P-GI")["id"]

    def check():
        reloaded, version = _reloaded(runtime, case_id)
        assert _canonical(runtime, reloaded) == _canonical(runtime, _live(runtime, case_id, version))

    not_on_time = {"tijdig_beschikbaar": False, "gecontracteerd_alternatief": False}
    walk = [("stap1_plan_van_aanpak", {}), ("stap3_aanbieder_zoeken", {}), ("stap4_overleg_deskundige_gemeente", {}),
            ("stap5_afstemmen_aanbieder", {**not_on_time, "overbruggingszorg_nodig": True}),
            ("overbruggingszorg_inzetten", {}),
            ("a1_hulp_buiten_aanbod", {"passend_buiten_aanbod": False, "aanbieder": None}),
            ("consultatie_gedragswetenschapper", {}), ("aanmelden_ret", {}), ("meeting", {}),
            ("ret_bespreking", {"passende_zorg": False, "aanbieder": None, "niet_gecontracteerd": None}),
            ("opschalen_ben", {}), ("ben_advies", {}), ("stap6_bepaling_jeugdhulp", {}),
            ("stap7_aanmelden_aanbieder", {}), ("a2_maatwerkcontract", {}), ("stap8a_verzoek_om_toewijzing", {}),
            ("stap8b_reactie_gemeente", {}), ("stap9_start_jeugdhulp", {}), ("voortgang_bespreken", {}),
            ("voortgang_bespreken", {}), ("stop_jeugdhulp_melden", {}), ("afsluitende_evaluatie", {})]
    check()
    for name, overrides in walk:
        if name == "meeting":
            wait_for_ret_meeting(client, case_id)
        else:
            step(client, case_id, name, **overrides)
        check()
    assert client.case(case_id)["status"] == "completed"
