"""What can go wrong, in words a case worker understands. The web layer maps each to a status."""

from __future__ import annotations


class EngineError(Exception):
    """Base class; `message` is Dutch and safe to show to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(EngineError):
    pass


class Forbidden(EngineError):
    pass


class Conflict(EngineError):
    pass


class InvalidData(EngineError):
    def __init__(self, errors: dict[str, list[str]], message: str = "De ingevulde gegevens zijn niet geldig."):
        super().__init__(message)
        self.errors = errors


class ProcessProblems(EngineError):
    """A BPMN, DMN or form that cannot be deployed; nothing was deployed."""

    def __init__(self, problems: list, message: str = "Het procesontwerp bevat fouten; er is niets uitgerold."):
        super().__init__(message)
        self.problems = problems


class StepFailed(EngineError):
    """The engine could not run the steps after a task; the case is as it was before.

    `message` tells the user what happened and what to do; `detail` is the technical cause
    (the engine's own text), for the log and the operator, never shown to case workers."""

    def __init__(self, message: str, element_id: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.element_id = element_id
        self.detail = detail
