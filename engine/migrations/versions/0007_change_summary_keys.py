"""change summaries: English keys (added, renamed, lane_changed, ..., text) in artifacts.summary

The summaries stored with every deployed version used Dutch keys (toegevoegd, hernoemd,
baan_gewijzigd, ..., tekst); engine/changes.py now writes English ones. This rewrites the
stored rows so old versions read like new ones; the Dutch `text` itself stays as it was.

Revision ID: 0007_change_summary_keys
Revises: 0006_designer
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_change_summary_keys"
down_revision = "0006_designer"
branch_labels = None
depends_on = None

# Top-level keys of a BPMN/DMN and of a form summary.
KEYS = {
    "toegevoegd": "added", "verwijderd": "removed", "hernoemd": "renamed", "baan_gewijzigd": "lane_changed",
    "formulier_gewijzigd": "form_changed", "voorwaarde_gewijzigd": "condition_changed",
    "verbinding_gewijzigd": "connection_changed", "script_gewijzigd": "script_changed", "elementen": "elements",
    "velden_toegevoegd": "fields_added", "velden_verwijderd": "fields_removed", "velden_hernoemd": "fields_renamed",
    "velden_gewijzigd": "fields_changed", "verplicht_gewijzigd": "required_changed", "titel": "title",
    "tekst": "text",
}
# Keys inside the entries of renamed/lane_changed/form_changed/fields_renamed, title and elements.
ITEM_KEYS = {"van": "from", "naar": "to", "veld": "field", "soort": "kind", "naam": "name"}
ITEM_LISTS = {"renamed", "lane_changed", "form_changed", "fields_renamed"}

artifacts = sa.table("artifacts", sa.column("id", sa.Integer()), sa.column("summary", sa.JSON()))


def translate(summary: dict, keys: dict[str, str], item_keys: dict[str, str], english: bool) -> dict:
    """The summary with its keys renamed; element ids (the keys of `elements`) stay as they are."""
    def item(value):
        return {item_keys.get(k, k): v for k, v in value.items()} if isinstance(value, dict) else value

    result = {}
    for key, value in summary.items():
        new_key = keys.get(key, key)
        role = new_key if english else key  # the English name says what the value holds
        if role in ITEM_LISTS and isinstance(value, list):
            value = [item(v) for v in value]
        elif role == "elements" and isinstance(value, dict):
            value = {element_id: item(v) for element_id, v in value.items()}
        elif role == "title":
            value = item(value)
        result[new_key] = value
    return result


def _rewrite(keys: dict[str, str], item_keys: dict[str, str], english: bool) -> None:
    bind = op.get_bind()
    for row_id, summary in bind.execute(sa.select(artifacts.c.id, artifacts.c.summary)).all():
        if isinstance(summary, dict) and summary:
            changed = translate(summary, keys, item_keys, english)
            if changed != summary:
                bind.execute(artifacts.update().where(artifacts.c.id == row_id).values(summary=changed))


def upgrade() -> None:
    _rewrite(KEYS, ITEM_KEYS, english=True)


def downgrade() -> None:
    _rewrite({v: k for k, v in KEYS.items()}, {v: k for k, v in ITEM_KEYS.items()}, english=False)
