"""Live workflows: an in-process cache in front of the task rows.

A cached workflow is only used when its version matches the case row's version, so a step
taken by another worker (or another machine) is never missed: the stale copy is dropped and
the workflow is rebuilt from the rows. While a request works on a workflow it has it checked
out; nobody else in this process can touch the same object.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from .persistence import Snapshot


@dataclass
class LiveWorkflow:
    workflow: BpmnWorkflow
    snapshot: Snapshot
    version: int = 0
    open_items: set[str] = field(default_factory=set)
    # Waiting timers as the timers table holds them (task id → due); None = not read yet.
    timers: dict[str, datetime] | None = None


class WorkflowCache:
    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[int, LiveWorkflow] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def checkout(self, case_id: int, version: int) -> LiveWorkflow | None:
        with self._lock:
            entry = self._entries.pop(case_id, None)
            if entry is not None and entry.version == version:
                self.hits += 1
                return entry
            self.misses += 1
            return None

    def checkin(self, case_id: int, entry: LiveWorkflow) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[case_id] = entry
            self._entries.move_to_end(case_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def evict(self, case_id: int) -> None:
        with self._lock:
            self._entries.pop(case_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
