"""Several workers on one database: each task is completed once, stale caches are never used."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from engine import demo, directory
from engine.designer import DesignerService, Upload
from engine.errors import Conflict
from engine.library import Source
from engine.models import Bundle, User

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


def _in_thread(work) -> tuple[threading.Thread, list]:
    """Run `work` in a thread; its result (or the exception it raised) lands in the list."""
    results: list = []

    def run():
        try:
            results.append(work())
        except Exception as error:  # noqa: BLE001 - the test looks at it
            results.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, results


def test_two_starts_on_a_new_bundle_share_one_row(workers):
    first, second = workers

    def start_on_second():
        with second.transaction() as session:
            bundle = second.library.bundle_for_start(session, "gi_verwijsproces", second.clock.now())
            session.commit()
            return bundle.id

    with first.transaction() as session:  # the first start has inserted the row, not yet committed
        ours = first.library.bundle_for_start(session, "gi_verwijsproces", first.clock.now()).id
        thread, results = _in_thread(start_on_second)
        thread.join(timeout=1)  # let the second reach its insert; it waits for our commit
        session.commit()
    thread.join()
    assert results == [ours]
    with first.reading() as session:
        assert session.scalar(select(func.count()).select_from(Bundle)) == 1


@pytest.mark.parametrize("key", ["gi_verwijsproces/nieuw.json", "gi_verwijsproces/stap2_overleg_lokaal_team.json"])
def test_two_deploys_of_one_file_at_once_both_get_a_version(workers, key):
    """A new file (both would number it 1) and an existing one (both would mark theirs current)."""
    first, second = workers
    designer = _actor(first, "procesontwerper")

    def form(title: str) -> str:
        return json.dumps({"type": "object", "title": title, "properties": {"x": {"type": "string", "title": "X"}}})

    with first.transaction() as session:
        first.library.deploy(session, [Source("form", key, form("Eerste"))], "procesontwerper", first.clock.now())
        thread, results = _in_thread(lambda: DesignerService(second).deploy(designer, [Upload(f"forms/{key}", form("Tweede"))]))
        thread.join(timeout=1)  # the second deploy waits for ours
        session.commit()
    thread.join()
    [result] = results
    assert not isinstance(result, Exception), result
    with first.reading() as session:
        versions = [(a.version, a.is_current, json.loads(a.content)["title"])
                    for a in first.library.versions(session, "form", key)]
    assert versions[-2:] == [(versions[-1][0] - 1, False, "Eerste"), (versions[-1][0], True, "Tweede")]
    assert [v for v in versions if v[1]] == [versions[-1]]
    assert result["deployed"][0]["version"] == versions[-1][0]
