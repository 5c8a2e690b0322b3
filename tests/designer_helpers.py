"""Editing the real processes the way a designer would, for the deploy and migration tests."""

from __future__ import annotations

import json

from engine.config import ROOT
from engine.layout import layout_bpmn

GI = "gi_verwijsproces"


def gi_bpmn() -> str:
    return (ROOT / "processes" / f"{GI}.bpmn").read_text(encoding="utf-8")


def relayout(text: str) -> str:
    """Regenerate the diagram interchange, as the modeler would have drawn the new elements."""
    return layout_bpmn(text.encode("utf-8")).decode("utf-8")


def deploy(client, user: str, filename: str, content: str):
    return client.post("/api/processes", user, json={"filename": filename, "content": content})


def current_version(client, key: str = GI) -> int:
    return next(v["version"] for v in client.get(f"/api/processes/{key}/versions", "procesontwerper").json
                if v["current"])


def renamed(text: str, old: str, new: str) -> str:
    assert f'name="{old}"' in text, old
    return text.replace(f'name="{old}"', f'name="{new}"', 1)


def user_task(element_id: str, name: str, form: str, incoming: str, outgoing: str) -> str:
    return f"""<bpmn:userTask id="{element_id}" name="{name}">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="{form}"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>{incoming}</bpmn:incoming>
      <bpmn:outgoing>{outgoing}</bpmn:outgoing>
    </bpmn:userTask>
"""


CHECK_FORM = "gi_verwijsproces/stap1b_veiligheidscheck.json"
CHECK_FORM_SCHEMA = {
    "type": "object",
    "title": "Veiligheidscheck",
    "description": "Korte check op de veiligheid thuis, als het plan daarom vraagt.",
    "required": ["veilig"],
    "properties": {"veilig": {"type": "boolean", "title": "Is het thuis veilig genoeg?"}},
}


def with_optional_check_after_step1(text: str) -> str:
    """A new optional step after step 1: stap1 → gw_check ─(veiligheidscheck_nodig)→ check → gw_na_check,
    default straight to gw_na_check → gw_lokaal_team. The start form gains no field: the new
    decision field comes from step 1's form."""
    text = text.replace(
        '<bpmn:sequenceFlow id="flow_stap1_gw" sourceRef="stap1_plan_van_aanpak" targetRef="gw_lokaal_team"/>',
        '<bpmn:sequenceFlow id="flow_stap1_gw" sourceRef="stap1_plan_van_aanpak" targetRef="gw_check"/>\n'
        '    <bpmn:sequenceFlow id="flow_check_ja" name="Ja" sourceRef="gw_check" targetRef="stap1b_veiligheidscheck">\n'
        '      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">afgestemd_met_gezin == False'
        '</bpmn:conditionExpression>\n    </bpmn:sequenceFlow>\n'
        '    <bpmn:sequenceFlow id="flow_check_nee" name="Nee" sourceRef="gw_check" targetRef="gw_na_check"/>\n'
        '    <bpmn:sequenceFlow id="flow_check_klaar" sourceRef="stap1b_veiligheidscheck" targetRef="gw_na_check"/>\n'
        '    <bpmn:sequenceFlow id="flow_na_check" sourceRef="gw_na_check" targetRef="gw_lokaal_team"/>')
    text = text.replace(
        '<bpmn:incoming>flow_stap1_gw</bpmn:incoming>\n      <bpmn:outgoing>flow_lokaal_team_ja</bpmn:outgoing>',
        '<bpmn:incoming>flow_na_check</bpmn:incoming>\n      <bpmn:outgoing>flow_lokaal_team_ja</bpmn:outgoing>')
    new_elements = (
        '<bpmn:exclusiveGateway id="gw_check" name="Veiligheidscheck nodig?" default="flow_check_nee">\n'
        '      <bpmn:incoming>flow_stap1_gw</bpmn:incoming>\n      <bpmn:outgoing>flow_check_ja</bpmn:outgoing>\n'
        '      <bpmn:outgoing>flow_check_nee</bpmn:outgoing>\n    </bpmn:exclusiveGateway>\n    '
        + user_task("stap1b_veiligheidscheck", "Veiligheidscheck", CHECK_FORM, "flow_check_ja", "flow_check_klaar")
        + '    <bpmn:exclusiveGateway id="gw_na_check">\n      <bpmn:incoming>flow_check_ja_klaar</bpmn:incoming>\n'
        '    </bpmn:exclusiveGateway>\n    ')
    new_elements = new_elements.replace(
        '<bpmn:incoming>flow_check_ja_klaar</bpmn:incoming>',
        '<bpmn:incoming>flow_check_nee</bpmn:incoming>\n      <bpmn:incoming>flow_check_klaar</bpmn:incoming>\n'
        '      <bpmn:outgoing>flow_na_check</bpmn:outgoing>')
    anchor = '<bpmn:exclusiveGateway id="gw_lokaal_team"'
    assert anchor in text
    text = text.replace(anchor, new_elements + anchor, 1)
    lane_anchor = "<bpmn:flowNodeRef>gw_lokaal_team</bpmn:flowNodeRef>"
    text = text.replace(lane_anchor, "<bpmn:flowNodeRef>gw_check</bpmn:flowNodeRef>\n        "
                        "<bpmn:flowNodeRef>stap1b_veiligheidscheck</bpmn:flowNodeRef>\n        "
                        "<bpmn:flowNodeRef>gw_na_check</bpmn:flowNodeRef>\n        " + lane_anchor, 1)
    return relayout(text)


def check_form() -> str:
    return json.dumps(CHECK_FORM_SCHEMA, ensure_ascii=False, indent=2)


def without_step3(text: str) -> str:
    """Step 3 (aanbieder zoeken) removed: the search round goes straight on to the mandate gateway."""
    start = text.index('<bpmn:userTask id="stap3_aanbieder_zoeken"')
    end = text.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    text = text[:start] + text[end:]
    text = text.replace('<bpmn:flowNodeRef>stap3_aanbieder_zoeken</bpmn:flowNodeRef>', "")
    text = text.replace('<bpmn:sequenceFlow id="flow_stap3_gw" sourceRef="stap3_aanbieder_zoeken" '
                        'targetRef="gw_mandaat"/>', "")
    text = text.replace('<bpmn:sequenceFlow id="flow_naar_stap3" sourceRef="zoekronde_voorbereiden" '
                        'targetRef="stap3_aanbieder_zoeken"/>',
                        '<bpmn:sequenceFlow id="flow_naar_stap3" sourceRef="zoekronde_voorbereiden" '
                        'targetRef="gw_mandaat"/>')
    text = text.replace("<bpmn:incoming>flow_stap3_gw</bpmn:incoming>", "<bpmn:incoming>flow_naar_stap3</bpmn:incoming>")
    assert "stap3_aanbieder_zoeken" not in text.split("<bpmndi:")[0]
    return relayout(text)
