"""`verwijsflow validate` lists every problem and exits 1; a bad file deploys nothing."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from engine.config import ROOT
from engine.errors import ProcessProblems
from engine.models import Artifact
from webapi.cli import main

from .conftest import FIXTURES, make_runtime

BAD_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="x">
  <bpmn:process id="kapot" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="tovenaar"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>taak</bpmn:flowNodeRef><bpmn:flowNodeRef>gw</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>einde</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="taak" name="Toveren"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" default="f4"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="einde"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="taak" />
    <bpmn:sequenceFlow id="f2" sourceRef="taak" targetRef="gw" />
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="einde">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">__import__('os').system('id') == 0</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="einde" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_valid_files_pass(capsys):
    assert main(["validate"]) == 0
    assert "In orde" in capsys.readouterr().out


def test_a_file_that_is_not_xml_is_reported_with_its_line(tmp_path, capsys):
    path = tmp_path / "kapot.bpmn"
    path.write_text("<bpmn:definitions>\n  <niet-gesloten>\n")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "kapot.bpmn:" in out and "Geen geldige XML" in out


def test_every_problem_of_a_bad_process_is_listed(tmp_path, capsys):
    path = tmp_path / "kapot.bpmn"
    path.write_text(BAD_PROCESS)
    assert main(["validate", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any("[taak]" in line and "tovenaar" in line for line in lines), lines
    assert any("[taak]" in line and "geen formulier" in line for line in lines), lines
    assert any("[f3]" in line and "'_'" in line for line in lines), lines


def test_a_bad_file_on_disk_deploys_nothing(tmp_path):
    processes = tmp_path / "processes"
    shutil.copytree(FIXTURES, processes, ignore=shutil.ignore_patterns("forms"))
    runtime = make_runtime(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path, processes_dir=processes,
                           forms_dir=FIXTURES / "forms")
    runtime.migrate()
    runtime.deploy_from_disk()
    with runtime.reading() as session:
        before = session.scalar(select(func.count()).select_from(Artifact))
    (processes / "kapot.bpmn").write_text(BAD_PROCESS)
    (processes / "lus.bpmn").write_text((processes / "lus.bpmn").read_text().replace("Aanbieder zoeken", "Zoeken"))
    with pytest.raises(ProcessProblems) as raised:
        runtime.deploy_from_disk()
    assert {p.element_id for p in raised.value.problems} >= {"taak", "f3"}
    with runtime.reading() as session:
        assert session.scalar(select(func.count()).select_from(Artifact)) == before
    runtime.dispose()


def test_the_real_processes_are_valid():
    from engine.library import read_sources
    from engine.validation import validate_sources

    assert validate_sources(read_sources(ROOT / "processes", ROOT / "forms")) == []


def test_layout_command_draws_a_diagram_without_overlaps(tmp_path, capsys):
    from lxml import etree

    from engine.layout import check_layout

    source = etree.fromstring((ROOT / "processes" / "opschaalroute.bpmn").read_bytes())
    for diagram in source.findall("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNDiagram"):
        source.remove(diagram)
    path = tmp_path / "opschaalroute.bpmn"
    path.write_bytes(etree.tostring(source))
    assert check_layout(path.read_bytes())  # no diagram: every element is a problem
    assert main(["layout", str(path)]) == 0
    assert check_layout(path.read_bytes()) == []
    assert "opnieuw getekend" in capsys.readouterr().out
