"""Invariants of the automatic BPMN layout (engine/layout.py) and of the shipped diagrams."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from engine.layout import BPMN, BPMNDI, DC, DI, check_layout, layout_bpmn

ROOT = Path(__file__).resolve().parent.parent
PROCESS_FILES = sorted((ROOT / "processes").glob("*.bpmn"))
OWN_FILES = [ROOT / "processes" / "gi_verwijsproces.bpmn", ROOT / "processes" / "opschaalroute.bpmn",
             ROOT / "processes" / "wbw_toewijzing.bpmn"]
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI}

SYNTHETIC = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://example.org">
  <bpmn:collaboration id="collab">
    <bpmn:participant id="pool" name="Proef" processRef="proef"/>
  </bpmn:collaboration>
  <bpmn:process id="proef" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="lane_a" name="a">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>merge</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>werk</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>te_laat</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>keuze</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>einde</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_b" name="b">
        <bpmn:flowNodeRef>controle</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>escalatie</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>einde_escalatie</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>sub</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="Begin"/>
    <bpmn:exclusiveGateway id="merge"/>
    <bpmn:userTask id="werk" name="Werk doen"/>
    <bpmn:boundaryEvent id="te_laat" name="Te laat" attachedToRef="werk" cancelActivity="false">
      <bpmn:timerEventDefinition id="t1"><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="controle" name="Controleren"/>
    <bpmn:subProcess id="sub" name="Deelproces">
      <bpmn:startEvent id="sub_start"/>
      <bpmn:userTask id="sub_taak" name="Binnen"/>
      <bpmn:endEvent id="sub_einde"/>
      <bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="sub_taak"/>
      <bpmn:sequenceFlow id="s2" sourceRef="sub_taak" targetRef="sub_einde"/>
    </bpmn:subProcess>
    <bpmn:exclusiveGateway id="keuze" name="Goed?" default="f_nee"/>
    <bpmn:userTask id="escalatie" name="Escaleren"/>
    <bpmn:endEvent id="einde" name="Klaar"/>
    <bpmn:endEvent id="einde_escalatie"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge"/>
    <bpmn:sequenceFlow id="f2" sourceRef="merge" targetRef="werk"/>
    <bpmn:sequenceFlow id="f3" sourceRef="werk" targetRef="controle"/>
    <bpmn:sequenceFlow id="f4" sourceRef="controle" targetRef="sub"/>
    <bpmn:sequenceFlow id="f5" sourceRef="sub" targetRef="keuze"/>
    <bpmn:sequenceFlow id="f_ja" name="Ja" sourceRef="keuze" targetRef="einde">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">goed == True</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_nee" name="Nee, opnieuw" sourceRef="keuze" targetRef="merge"/>
    <bpmn:sequenceFlow id="f_esc" sourceRef="te_laat" targetRef="escalatie"/>
    <bpmn:sequenceFlow id="f_esc_einde" sourceRef="escalatie" targetRef="einde_escalatie"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="oud">
    <bpmndi:BPMNPlane id="oud_plane" bpmnElement="collab">
      <bpmndi:BPMNShape id="oud_start" bpmnElement="start"><dc:Bounds x="0" y="0" width="5" height="5"/></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


# --------------------------------------------------------------------------------------
# helpers reading DI back
# --------------------------------------------------------------------------------------

def _bounds(el) -> tuple[float, float, float, float]:
    b = el.find(f"{{{DC}}}Bounds")
    return (float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height")))


def _planes(xml: bytes):
    root = etree.fromstring(xml)
    sem = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    out = []
    for plane in root.iter(f"{{{BPMNDI}}}BPMNPlane"):
        shapes = {sh.get("bpmnElement"): sh for sh in plane.findall(f"{{{BPMNDI}}}BPMNShape")}
        edges = {ed.get("bpmnElement"): ed for ed in plane.findall(f"{{{BPMNDI}}}BPMNEdge")}
        out.append((plane, shapes, edges))
    return root, sem, out


def _local(el) -> str:
    return etree.QName(el).localname


def _crossings(xml: bytes) -> list[str]:
    """Sequence flows whose segments run through a shape other than their own ends."""
    _root, sem, planes = _planes(xml)
    problems = []
    for _plane, shapes, edges in planes:
        boxes = {k: _bounds(v) for k, v in shapes.items()
                 if _local(sem[k]) not in ("participant", "lane")}
        for fid, ed in edges.items():
            flow = sem[fid]
            if _local(flow) != "sequenceFlow":
                continue
            ends = {flow.get("sourceRef"), flow.get("targetRef")}
            pts = [(float(p.get("x")), float(p.get("y"))) for p in ed.findall(f"{{{DI}}}waypoint")]
            for (x1, y1), (x2, y2) in zip(pts, pts[1:], strict=False):
                assert x1 == x2 or y1 == y2, f"{fid} is not orthogonal"
                for nid, (bx, by, bw, bh) in boxes.items():
                    if nid in ends:
                        continue
                    if min(x1, x2) < bx + bw and max(x1, x2) > bx and min(y1, y2) < by + bh and max(y1, y2) > by:
                        problems.append(f"{fid} crosses {nid}")
    return problems


# --------------------------------------------------------------------------------------
# the shipped process files
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", OWN_FILES, ids=lambda p: p.name)
def test_shipped_diagram_is_exactly_the_generated_layout(path):
    xml = path.read_bytes()
    assert layout_bpmn(xml) == xml, f"run layout_bpmn on {path.name} again"


@pytest.mark.parametrize("path", OWN_FILES, ids=lambda p: p.name)
def test_shipped_diagram_has_no_layout_problems(path):
    xml = path.read_bytes()
    assert check_layout(xml) == []
    assert _crossings(xml) == []


@pytest.mark.parametrize("path", OWN_FILES, ids=lambda p: p.name)
def test_shipped_diagram_lanes_follow_lane_set_and_labels_exist(path):
    xml = path.read_bytes()
    root, sem, planes = _planes(xml)
    _plane, shapes, edges = planes[0]
    lanes = [lane.get("id") for lane in root.iter(f"{{{BPMN}}}lane")]
    tops = [_bounds(shapes[lane])[1] for lane in lanes]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    all_shapes = {k: v for _p, s, _e in planes for k, v in s.items()}
    all_edges = {k: v for _p, _s, e in planes for k, v in e.items()}
    for eid, el in sem.items():
        if not (el.get("name") or "").strip():
            continue
        tag = _local(el)
        if tag.endswith("Event") or tag.endswith("Gateway"):
            assert all_shapes[eid].find(f"{{{BPMNDI}}}BPMNLabel") is not None, eid
        if tag == "sequenceFlow":
            assert all_edges[eid].find(f"{{{BPMNDI}}}BPMNLabel") is not None, eid


def test_gi_process_reads_left_to_right():
    xml = (ROOT / "processes" / "gi_verwijsproces.bpmn").read_bytes()
    _root, _sem, planes = _planes(xml)
    shapes = planes[0][1]
    x = {k: _bounds(v)[0] for k, v in shapes.items()}
    order = ["start_maatregel", "stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap5_afstemmen_aanbieder",
             "a1_hulp_buiten_aanbod", "b_opschaalroute", "stap6_bepaling_jeugdhulp", "stap7_aanmelden_aanbieder",
             "stap8a_verzoek_om_toewijzing", "stap8b_reactie_gemeente", "stap9_start_jeugdhulp",
             "stap10_regie_op_voortgang", "afsluitende_evaluatie", "eind_verwijsproces"]
    assert [x[n] for n in order] == sorted(x[n] for n in order)
    # stap 10 is drawn collapsed with its content on its own plane
    assert shapes["stap10_regie_op_voortgang"].get("isExpanded") == "false"
    sub_planes = [p for p, _s, _e in planes if p.get("bpmnElement") == "stap10_regie_op_voortgang"]
    assert len(sub_planes) == 1
    assert "voortgang_bespreken" in {s.get("bpmnElement") for s in sub_planes[0]}


# --------------------------------------------------------------------------------------
# a small synthetic diagram: loop, boundary event, subprocess, old DI to be replaced
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic() -> bytes:
    return layout_bpmn(SYNTHETIC)


def test_synthetic_layout_is_clean_and_deterministic(synthetic):
    assert check_layout(synthetic) == []
    assert _crossings(synthetic) == []
    assert layout_bpmn(SYNTHETIC) == synthetic
    assert layout_bpmn(synthetic) == synthetic
    assert b"oud_start" not in synthetic and b'id="oud"' not in synthetic
    assert synthetic.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions')
    assert b'xmlns:di="http://www.omg.org/spec/DD/20100524/DI"' in synthetic


def test_synthetic_boundary_event_sits_on_bottom_edge_of_host(synthetic):
    _root, _sem, planes = _planes(synthetic)
    shapes = planes[0][1]
    hx, hy, hw, hh = _bounds(shapes["werk"])
    bx, by, bw, bh = _bounds(shapes["te_laat"])
    assert by + bh / 2 == hy + hh
    assert hx <= bx + bw / 2 <= hx + hw
    assert shapes["te_laat"].find(f"{{{BPMNDI}}}BPMNLabel") is not None


def test_synthetic_layering_and_lanes(synthetic):
    _root, _sem, planes = _planes(synthetic)
    shapes = planes[0][1]
    edges = planes[0][2]
    b = {k: _bounds(v) for k, v in shapes.items()}
    cx = {k: v[0] + v[2] / 2 for k, v in b.items()}
    # columns by longest path from the start; the loop back to the merge does not push it right
    assert cx["start"] < cx["merge"] < cx["werk"] < cx["controle"] < cx["sub"] < cx["keuze"] < cx["einde"]
    assert cx["werk"] < cx["escalatie"]
    # lanes are horizontal bands in lane-set order; each node lies in its own lane's band
    assert b["lane_a"][1] + b["lane_a"][3] == b["lane_b"][1]
    assert b["pool"][3] == b["lane_a"][3] + b["lane_b"][3]
    # the loop edge returns to the merge without leaving the pool
    loop = [(float(p.get("x")), float(p.get("y"))) for p in edges["f_nee"].findall(f"{{{DI}}}waypoint")]
    assert loop[0][0] > loop[-1][0]
    pool_y0, pool_y1 = b["pool"][1], b["pool"][1] + b["pool"][3]
    assert all(pool_y0 < y < pool_y1 for _x, y in loop)
    # the subprocess is collapsed, its children are drawn on their own plane
    assert shapes["sub"].get("isExpanded") == "false"
    sub_plane = [s for p, s, _e in planes if p.get("bpmnElement") == "sub"]
    assert len(sub_plane) == 1 and set(sub_plane[0]) == {"sub_start", "sub_taak", "sub_einde"}
    assert shapes["keuze"].get("isMarkerVisible") == "true"


def test_check_layout_reports_problems(synthetic):
    root = etree.fromstring(synthetic)

    def shape(eid):
        return root.find(f".//{{{BPMNDI}}}BPMNShape[@bpmnElement='{eid}']/{{{DC}}}Bounds")

    werk, controle = shape("werk"), shape("controle")
    controle.set("x", werk.get("x"))
    controle.set("y", werk.get("y"))
    edge = root.find(f".//{{{BPMNDI}}}BPMNEdge[@bpmnElement='f3']")
    edge.getparent().remove(edge)
    start = root.find(f".//{{{BPMNDI}}}BPMNShape[@bpmnElement='sub_taak']")
    start.getparent().remove(start)
    problems = check_layout(etree.tostring(root))
    assert "shapes werk and controle overlap" in problems or "shapes controle and werk overlap" in problems
    assert "shape controle lies outside lane lane_b" in problems
    assert "sequence flow f3 has no edge" in problems
    assert "flow node sub_taak has no shape" in problems


def test_layout_without_lanes_or_collaboration():
    xml = b"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
        targetNamespace="x"><bpmn:process id="p"><bpmn:startEvent id="s"/><bpmn:task id="t"/>
        <bpmn:endEvent id="e"/><bpmn:sequenceFlow id="a" sourceRef="s" targetRef="t"/>
        <bpmn:sequenceFlow id="b" sourceRef="t" targetRef="e"/></bpmn:process></bpmn:definitions>"""
    out = layout_bpmn(xml)
    assert check_layout(out) == []
    root = etree.fromstring(out)
    plane = root.find(f".//{{{BPMNDI}}}BPMNPlane")
    assert plane.get("bpmnElement") == "p"
    assert len(plane.findall(f"{{{BPMNDI}}}BPMNShape")) == 3


# --------------------------------------------------------------------------------------
# bpmn-js's model layer must read every process file without warnings
# --------------------------------------------------------------------------------------

NODE = shutil.which("node")
MODDLE = ROOT / "node_modules" / "bpmn-moddle"


@pytest.mark.skipif(NODE is None or not MODDLE.is_dir(), reason="node or node_modules/bpmn-moddle missing")
@pytest.mark.parametrize("path", PROCESS_FILES, ids=lambda p: p.name)
def test_bpmn_moddle_reads_process_without_warnings(path):
    result = subprocess.run([NODE, str(ROOT / "tests" / "js" / "check_bpmn.mjs"), str(path)],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


@pytest.mark.skipif(NODE is None or not MODDLE.is_dir(), reason="node or node_modules/bpmn-moddle missing")
def test_bpmn_moddle_check_reports_warnings(tmp_path):
    broken = tmp_path / "broken.bpmn"
    broken.write_bytes(SYNTHETIC.replace(b'targetRef="controle"', b'targetRef="bestaat_niet"'))
    result = subprocess.run([NODE, str(ROOT / "tests" / "js" / "check_bpmn.mjs"), str(broken)],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    warnings = json.loads(result.stdout)
    assert any("bestaat_niet" in w["message"] for w in warnings)
