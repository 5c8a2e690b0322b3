"""Several workers on one database: each task is completed once, stale caches are never used."""

from __future__ import annotations

import threading

import pytest

from engine import demo, directory
from engine.errors import Conflict
from engine.models import User

from .conftest import BACKENDS, make_database, make_runtime
from .gi_steps import GEMEENTE_MANDAAT, START, STEP_DATA


@pytest.fixture(params=BACKENDS)
def workers(request, tmp_path):
    database = make_database(request.param, tmp_path)
    first = make_runtime(database.url, tmp_path / "a")
    first.migrate()
    first.deploy_from_disk()
    with first.transaction() as session:
        demo.load(session)
        session.commit()
    second = make_runtime(database.url, tmp_path / "b")  # another process: own pool, own cache
    yield first, second
    first.dispose()
    second.dispose()
    database.drop()


def _actor(runtime, username):
    with runtime.reading() as session:
        user = session.query(User).filter_by(username=username).one()
        return directory.actor_for(session, user.id)


def _start(runtime, reference):
    data = {**START, "gemeente": GEMEENTE_MANDAAT, "casusreferentie": reference}
    return runtime.cases.start(_actor(runtime, "jeugdbeschermer"), "gi_verwijsproces", data)


def test_two_workers_race_for_one_task_and_one_wins(workers):
    first, second = workers
    case = _start(first, "RACE-1")
    task_id = case["open_tasks"][0]["id"]
    results, barrier = [], threading.Barrier(2)

    def complete(runtime):
        actor = _actor(runtime, "jeugdbeschermer")
        barrier.wait()
        try:
            results.append(runtime.cases.complete(actor, task_id, STEP_DATA["stap1_plan_van_aanpak"]))
        except Conflict as error:
            results.append(error)

    threads = [threading.Thread(target=complete, args=(rt,)) for rt in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
    assert next(r for r in results if isinstance(r, Conflict)).message == "Deze taak is al afgerond."
    view = first.cases.get_case(_actor(first, "jeugdbeschermer"), case["id"])
    assert [t["name"] for t in view["open_tasks"]] == ["stap3_aanbieder_zoeken"]
    assert [h["kind"] for h in view["history"]].count("task_completed") == 1


def test_alternating_workers_never_use_a_stale_workflow(workers):
    first, second = workers
    case = _start(first, "ALT-1")
    steps = ["stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap5_afstemmen_aanbieder",
             "stap6_bepaling_jeugdhulp", "stap7_aanmelden_aanbieder"]
    view = case
    for i, name in enumerate(steps):
        runtime = (first, second)[i % 2]  # each worker's cached copy is one step behind
        actor = _actor(runtime, "jeugdbeschermer")
        task = next(t for t in view["open_tasks"] if t["name"] == name)
        view = runtime.cases.complete(actor, task["id"], STEP_DATA[name])
    assert [t["name"] for t in view["open_tasks"]] == ["stap8a_verzoek_om_toewijzing"]
    assert first.cache.misses >= 2 and second.cache.misses >= 2
