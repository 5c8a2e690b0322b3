"""The migration that gives stored change summaries English keys: an old version's summary
reads like a new one after the upgrade, and the downgrade gives the Dutch keys back."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from engine.db import alembic_config

DUTCH = {
    "toegevoegd": ["taak_nieuw"], "verwijderd": [], "script_gewijzigd": [],
    "hernoemd": [{"id": "stap1", "van": "Plan", "naar": "Plan maken"}],
    "baan_gewijzigd": [{"id": "stap1", "van": "gemeente", "naar": "jeugdbeschermer"}],
    "elementen": {"stap1": {"soort": "userTask", "naam": "Plan maken"}, "naam": {"soort": "task", "naam": "id naam"}},
    "tekst": "Hernoemd: 'Plan' → 'Plan maken'.",
}
DUTCH_FORM = {
    "velden_toegevoegd": ["notitie"], "velden_hernoemd": [{"veld": "x", "van": "X", "naar": "Iks"}],
    "titel": {"van": "Oud", "naar": "Nieuw"}, "tekst": "1 veld(en) toegevoegd.",
}


def test_stored_summaries_get_english_keys_and_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'summaries.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0006_designer")
    engine = sa.create_engine(url)
    artifacts = sa.table("artifacts", *(sa.column(c) for c in (
        "id", "kind", "key", "version", "content_hash", "content", "is_current", "deployed_at", "deployed_by")),
        sa.column("summary", sa.JSON()))
    with engine.begin() as connection:
        for row_id, kind, summary in ((1, "bpmn", DUTCH), (2, "form", DUTCH_FORM), (3, "dmn", {})):
            connection.execute(artifacts.insert().values(
                id=row_id, kind=kind, key=f"k{row_id}", version=1, content_hash=str(row_id), content="",
                is_current=True, deployed_at=datetime(2026, 1, 1, tzinfo=UTC), deployed_by="procesontwerper",
                summary=summary))

    command.upgrade(config, "head")
    summaries = _summaries(engine, artifacts)
    assert summaries[1] == {
        "added": ["taak_nieuw"], "removed": [], "script_changed": [],
        "renamed": [{"id": "stap1", "from": "Plan", "to": "Plan maken"}],
        "lane_changed": [{"id": "stap1", "from": "gemeente", "to": "jeugdbeschermer"}],
        # An element id is an id, whatever it is called.
        "elements": {"stap1": {"kind": "userTask", "name": "Plan maken"}, "naam": {"kind": "task", "name": "id naam"}},
        "text": "Hernoemd: 'Plan' → 'Plan maken'.",
    }
    assert summaries[2] == {"fields_added": ["notitie"], "fields_renamed": [{"field": "x", "from": "X", "to": "Iks"}],
                            "title": {"from": "Oud", "to": "Nieuw"}, "text": "1 veld(en) toegevoegd."}
    assert summaries[3] == {}

    command.downgrade(config, "0006_designer")
    assert _summaries(engine, artifacts) == {1: DUTCH, 2: DUTCH_FORM, 3: {}}
    engine.dispose()


def _summaries(engine, artifacts) -> dict:
    with engine.connect() as connection:
        return dict(connection.execute(sa.select(artifacts.c.id, artifacts.c.summary)).all())
