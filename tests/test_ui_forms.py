"""The JSON Schema → HTML form renderer and the way back from submitted fields to data."""

from __future__ import annotations

import json
from html import unescape
from html.parser import HTMLParser

import pytest
from flask import Flask, render_template_string
from werkzeug.datastructures import MultiDict

from engine.config import ROOT
from engine.forms import resolve
from webapi.ui import formrender

from .gi_steps import STEP_DATA

FORMS = ROOT / "forms"
ORGS = {"gemeente": [("gemeente-roosendaal", "Gemeente Roosendaal"), ("gemeente-bergen-op-zoom", "Bergen op Zoom")],
        "aanbieder": [("aanbieder-horizon", "De Horizon"), ("aanbieder-zuidwest", "Zuidwest")],
        "gi": [("gi-jbb", "Jeugdbescherming Brabant")]}


def _form(path: str) -> dict:
    return resolve(json.loads((FORMS / path).read_text(encoding="utf-8")), lambda kind: ORGS[kind])


@pytest.mark.parametrize(("schema", "widget"), [
    ({"type": "string"}, "text"),
    ({"type": "string", "maxLength": 1000}, "textarea"),
    ({"type": "string", "maxLength": 40}, "text"),
    ({"type": "string", "x-widget": "textarea"}, "textarea"),
    ({"type": "string", "format": "date"}, "date"),
    ({"type": "boolean"}, "yesno"),
    ({"type": "string", "oneOf": [{"const": "a", "title": "A"}, {"const": "b", "title": "B"}]}, "radios"),
    ({"type": "string", "enum": list("abcdef")}, "select"),
    ({"type": "string", "enum": ["a", "b"], "x-widget": "select"}, "select"),
    ({"type": "array", "items": {"type": "string", "enum": ["x", "y"]}}, "checkboxes"),
    ({"type": "integer"}, "integer"),
    ({"type": "number"}, "number"),
    ({"type": "object", "properties": {"a": {"type": "string"}}}, "fieldset"),
    ({"type": ["string", "null"], "format": "date"}, "date"),
])
def test_each_kind_of_field_gets_its_widget(schema, widget):
    rendered = formrender.render({"type": "object", "properties": {"veld": schema}})
    assert rendered.fields[0].widget == widget


def test_labels_help_required_marks_and_conditions_come_from_the_schema():
    form = formrender.render(_form("gi_verwijsproces/stap5_afstemmen_aanbieder.json"))
    fields = {f.name: f for f in form.fields}
    assert fields["tijdig_beschikbaar"].label == "Tijdig beschikbaar"
    assert fields["tijdig_beschikbaar"].required is True
    assert fields["tijdig_beschikbaar"].help == "Kan de aanbieder de passende hulp tijdig leveren?"
    assert fields["verwachte_startdatum"].required is False
    assert fields["gecontracteerd_alternatief"].condition == "Verplicht als ‘Tijdig beschikbaar’ Nee is."
    assert fields["tijdig_beschikbaar"].described_by == fields["tijdig_beschikbaar"].help_id


def test_choices_keep_their_labels_and_organisations_come_by_name():
    fields = {f.name: f for f in formrender.render(_form("gi_verwijsproces/start.json")).fields}
    assert ("gemeente-roosendaal", "Gemeente Roosendaal") in fields["gemeente"].choices
    assert ("ots", "Ondertoezichtstelling (OTS)") in fields["maatregel"].choices
    assert fields["maatregel"].widget == "select"  # five choices


def test_errors_land_next_to_their_fields_nested_and_in_lists():
    schema = _form("opschaalroute/consultatie_gedragswetenschapper.json")
    schema = {**schema, "properties": {**schema["properties"], "Omvang": {
        "type": "object", "title": "Omvang", "properties": {"Volume": {"type": "integer", "title": "Volume"}}}}}
    form = formrender.render(schema, {}, {
        "datum_consultatie": ["Dit veld is verplicht."],
        "criteria_inbreng.1": ["Kies een van de mogelijke waarden."],
        "Omvang.Volume": ["Vul een geheel getal in."],
        "Omvang": ["Vul volume of budget in."],
        "": ["De gegevens moeten een object met velden zijn."],
    })
    fields = {f.name: f for f in form.fields}
    assert fields["datum_consultatie"].errors == ["Dit veld is verplicht."]
    assert fields["criteria_inbreng"].errors == ["Kies een van de mogelijke waarden."]
    assert fields["Omvang"].children[0].errors == ["Vul een geheel getal in."]
    assert fields["Omvang"].errors == ["Vul volume of budget in."]
    assert form.general_errors == ["De gegevens moeten een object met velden zijn."]
    assert fields["datum_consultatie"].described_by.split()[0] == fields["datum_consultatie"].error_id
    # The summary links each message to the input that takes focus.
    links = {f.focus_id for f, _ in form.all_errors() if f is not None}
    assert {"veld-datum_consultatie", "veld-criteria_inbreng-0", "veld-Omvang-Volume"} <= links


def test_submitted_text_becomes_typed_data_and_what_does_not_convert_stays_as_typed():
    schema = {"type": "object", "properties": {
        "ja": {"type": "boolean"}, "nee": {"type": "boolean"}, "leeg": {"type": "string"},
        "aantal": {"type": "integer"}, "fout": {"type": "integer"}, "bedrag": {"type": "number"},
        "keuze": {"type": "integer", "oneOf": [{"const": 1, "title": "Een"}, {"const": 2, "title": "Twee"}]},
        "lijst": {"type": "array", "items": {"type": "string", "enum": ["a", "b", "c"]}},
        "object": {"type": "object", "properties": {"x": {"type": "string"}}},
        "tekst": {"type": "string", "maxLength": 1000},
    }}
    data = formrender.parse(schema, MultiDict([
        ("ja", "ja"), ("nee", "nee"), ("leeg", "  "), ("aantal", " 12 "), ("fout", "twaalf"), ("bedrag", "3,50"),
        ("keuze", "2"), ("lijst", "a"), ("lijst", "c"), ("object.x", ""), ("tekst", "regel 1\r\nregel 2\r\n"),
    ]))
    assert data == {"ja": True, "nee": False, "aantal": 12, "fout": "twaalf", "bedrag": 3.5, "keuze": 2,
                    "lijst": ["a", "c"], "tekst": "regel 1\r\nregel 2"}


class _Browser(HTMLParser):
    """Submits a rendered form as a browser would: checked boxes, selected options, text."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("name") != "csrf_token":
            if a.get("type") in ("radio", "checkbox"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "")))
            else:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self.fields.append((self._textarea, unescape(self._text)))
            self._textarea = None


def _step_forms():
    """Every form the path tests have data for: the GI steps and, when present, the WBW's."""
    step_data = {"gi_verwijsproces": STEP_DATA, "opschaalroute": STEP_DATA}
    try:
        from . import wbw_steps
    except ImportError:
        pass
    else:
        step_data[wbw_steps.PROCESS] = wbw_steps.STEP_DATA
    for path in sorted(FORMS.rglob("*.json")):
        data = step_data.get(path.parent.name, {}).get(path.stem)
        if data is not None:
            yield pytest.param(path.relative_to(FORMS).as_posix(), data, id=f"{path.parent.name}/{path.stem}")


@pytest.mark.parametrize(("form_path", "data"), list(_step_forms()))
def test_every_form_round_trips_through_html(form_path, data):
    """Rendered with a step's data, submitted as a browser would, parsed: the same data."""
    app = Flask(__name__, template_folder=str(ROOT / "webapi" / "templates"))
    schema = _form(form_path)
    with app.test_request_context():
        html = render_template_string(
            '{% import "ui/_form.html" as forms %}{% for f in form.fields %}{{ forms.field(f) }}{% endfor %}',
            form=formrender.render(schema, data),
        )
    browser = _Browser()
    browser.feed(html)
    assert formrender.parse(schema, MultiDict(browser.fields)) == data
