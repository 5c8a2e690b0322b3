"""Safe evaluation of everything a BPMN or DMN file asks the engine to run.

Gateway conditions, script tasks, timer expressions and DMN entries are written by process
designers and uploaded at run time, so they must never run arbitrary Python on the server.
Every source is parsed and checked against an allowlist of syntax (check_script) before it
is compiled; the verdict and the code object are cached per source string because gateway
conditions are evaluated on every engine step.

The same module makes timers follow the engine's clock (SafeScriptEngine.clock), so a
virtual clock can drive both `vandaag()` in scripts and timer events.

Limits: range() refuses more than MAX_RANGE items and `**` refuses results above
MAX_MACHT_BITS bits, because those are single C calls nothing can interrupt. Python loops
(while, nested for, comprehensions) are NOT counted: no per-line tracing, it is too slow for
the hot path. They are bounded by the request or worker timeout, and memory by the worker's
memory limit.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import CodeType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import werkdagen

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MAX_RANGE = 100_000
MAX_MACHT_BITS = 100_000


class UnsafeScriptError(Exception):
    """A script or expression uses syntax outside the safe subset."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("Onveilig script: " + "; ".join(self.problems))


# --- The allowlist -------------------------------------------------------------------------

_TOEGESTANE_KNOPEN = (
    # structure and statements
    ast.Module, ast.Expression, ast.Expr, ast.Assign, ast.AugAssign, ast.Delete,
    ast.If, ast.For, ast.While, ast.Break, ast.Continue, ast.Pass,
    # expressions
    ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.NamedExpr, ast.Call,
    ast.keyword, ast.Starred, ast.Constant, ast.Name, ast.Attribute, ast.Subscript, ast.Slice,
    ast.List, ast.Tuple, ast.Dict, ast.Set, ast.JoinedStr, ast.FormattedValue,
    ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension,
    # contexts and operators
    ast.Load, ast.Store, ast.Del, ast.And, ast.Or, ast.Not, ast.Invert, ast.UAdd, ast.USub,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.LShift, ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
)

# Refused constructs with a message a process designer understands; anything else outside
# the allowlist gets a generic message naming the construct.
_VERBODEN_KNOPEN = {
    ast.Import: "importeren is niet toegestaan",
    ast.ImportFrom: "importeren is niet toegestaan",
    ast.FunctionDef: "functies definiëren is niet toegestaan",
    ast.AsyncFunctionDef: "functies definiëren is niet toegestaan",
    ast.Lambda: "lambda-functies zijn niet toegestaan",
    ast.ClassDef: "klassen definiëren is niet toegestaan",
    ast.Global: "'global' is niet toegestaan",
    ast.Nonlocal: "'nonlocal' is niet toegestaan",
    ast.With: "'with' is niet toegestaan",
    ast.AsyncWith: "'with' is niet toegestaan",
    ast.Try: "'try' is niet toegestaan",
    ast.TryStar: "'try' is niet toegestaan",
    ast.Raise: "'raise' is niet toegestaan",
    ast.Assert: "'assert' is niet toegestaan",
    ast.Yield: "'yield' is niet toegestaan",
    ast.YieldFrom: "'yield' is niet toegestaan",
    ast.Await: "'await' is niet toegestaan",
    ast.AsyncFor: "'async for' is niet toegestaan",
    ast.Match: "'match' is niet toegestaan",
    ast.AnnAssign: "type-annotaties zijn niet toegestaan",
}

VERBODEN_NAMEN = frozenset({
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals",
    "vars", "dir", "input", "breakpoint", "help", "memoryview", "type", "object", "super",
    "classmethod", "staticmethod", "property", "__import__",
})

# Attribute access is the usual escape route (obj.__class__..., str.format field lookups,
# generator frames), so only these method and field names may follow a dot.
TOEGESTANE_ATTRIBUTEN = frozenset({
    # dict
    "get", "items", "keys", "values", "copy", "update", "pop", "setdefault",
    # list
    "append", "extend", "insert", "remove", "index", "count", "sort", "reverse",
    # str
    "lower", "upper", "strip", "lstrip", "rstrip", "split", "join", "replace", "startswith",
    "endswith", "isdigit", "title",
    # date-like
    "isoformat", "year", "month", "day", "weekday",
})


def _probleem(knoop: ast.AST) -> str | None:
    """The Dutch problem with one node, or None when it is allowed."""
    if isinstance(knoop, ast.Name):
        return _naam_probleem(knoop.id)
    if isinstance(knoop, ast.Attribute):
        if knoop.attr.startswith("_"):
            return f"namen die met '_' beginnen zijn niet toegestaan ({knoop.attr})"
        if knoop.attr not in TOEGESTANE_ATTRIBUTEN:
            return f"het attribuut '{knoop.attr}' is niet toegestaan"
        if not isinstance(knoop.ctx, ast.Load):
            return f"een attribuut wijzigen is niet toegestaan ({knoop.attr})"
        return None
    if isinstance(knoop, ast.keyword) and knoop.arg and knoop.arg.startswith("_"):
        return f"namen die met '_' beginnen zijn niet toegestaan ({knoop.arg})"
    if isinstance(knoop, ast.AugAssign) and isinstance(knoop.op, ast.Pow):
        # The size guard for ** rewrites `x **= y` to `x = x ** y`; only safe for plain names.
        if not isinstance(knoop.target, ast.Name):
            return "'**=' mag alleen op een naam; schrijf x[k] = x[k] ** n"
    if isinstance(knoop, _TOEGESTANE_KNOPEN):
        return None
    return _VERBODEN_KNOPEN.get(type(knoop), f"de constructie '{type(knoop).__name__}' is niet toegestaan")


def _naam_probleem(naam: str) -> str | None:
    if naam.startswith("_"):
        return f"namen die met '_' beginnen zijn niet toegestaan ({naam})"
    if naam in VERBODEN_NAMEN:
        return f"de naam '{naam}' is niet toegestaan"
    return None


def _verzamel(knoop: ast.AST, regel: int, problemen: list[str]) -> None:
    regel = getattr(knoop, "lineno", regel)
    probleem = _probleem(knoop)
    if probleem:
        problemen.append(f"regel {regel}: {probleem}")
        if type(knoop) in _VERBODEN_KNOPEN:
            return  # one message for a lambda or def, not one per argument inside it
    for kind in ast.iter_child_nodes(knoop):
        _verzamel(kind, regel, problemen)


def _problemen_in(boom: ast.AST) -> list[str]:
    problemen: list[str] = []
    try:
        _verzamel(boom, 1, problemen)
    except RecursionError:
        problemen.append("regel 1: de expressie is te diep genest")
    return problemen


def _syntaxfout(fout: SyntaxError) -> str:
    return f"regel {fout.lineno or 1}: syntaxfout ({fout.msg})"


def check_script(source: str, mode: str = "exec") -> list[str]:
    """Dutch problems with `source` ("exec" for scripts, "eval" for expressions); [] = safe."""
    try:
        boom = ast.parse(source, mode=mode)
    except SyntaxError as fout:
        return [_syntaxfout(fout)]
    return _problemen_in(boom)


# --- Compiling, with guards and a cache ------------------------------------------------------

class _Oordeel(NamedTuple):
    problemen: tuple[str, ...]
    code: CodeType | None
    syntaxfout: SyntaxError | None


class _MachtBewaking(ast.NodeTransformer):
    """Rewrites `a ** b` to `_macht(a, b)`: 9**9**9 would hold the CPU in one C call."""

    def visit_BinOp(self, knoop: ast.BinOp) -> ast.AST:
        self.generic_visit(knoop)
        if not isinstance(knoop.op, ast.Pow):
            return knoop
        return ast.copy_location(_macht_aanroep(knoop.left, knoop.right), knoop)

    def visit_AugAssign(self, knoop: ast.AugAssign) -> ast.AST:
        self.generic_visit(knoop)
        if not isinstance(knoop.op, ast.Pow):
            return knoop
        huidig = ast.Name(id=knoop.target.id, ctx=ast.Load())
        return ast.copy_location(ast.Assign(targets=[knoop.target], value=_macht_aanroep(huidig, knoop.value)), knoop)


def _macht_aanroep(grondtal: ast.expr, exponent: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id="_macht", ctx=ast.Load()), args=[grondtal, exponent], keywords=[])


@lru_cache(maxsize=4096)
def _oordeel(source: str, mode: str) -> _Oordeel:
    """Parse, check and compile once per distinct source; later calls are a dict lookup."""
    try:
        boom = ast.parse(source, mode=mode)
    except SyntaxError as fout:
        return _Oordeel((_syntaxfout(fout),), None, fout)
    problemen = _problemen_in(boom)
    if problemen:
        return _Oordeel(tuple(problemen), None, None)
    boom = ast.fix_missing_locations(_MachtBewaking().visit(boom))
    # "<string>" lets PythonScriptEngine find the failing line in a traceback.
    return _Oordeel((), compile(boom, "<string>", mode), None)


def _gecompileerd(source: str, mode: str) -> CodeType:
    oordeel = _oordeel(source, mode)
    if oordeel.syntaxfout is not None:
        fout = oordeel.syntaxfout
        raise SyntaxError(fout.msg, (fout.filename, fout.lineno, fout.offset, fout.text))
    if oordeel.problemen:
        raise UnsafeScriptError(list(oordeel.problemen))
    return oordeel.code


# --- What scripts can call ---------------------------------------------------------------------

def _begrensde_range(*args: int) -> range:
    bereik = range(*args)
    try:
        te_groot = len(bereik) > MAX_RANGE
    except OverflowError:
        te_groot = True
    if te_groot:
        raise ValueError(f"range() mag hoogstens {MAX_RANGE} getallen opleveren")
    return bereik


def _macht(grondtal: Any, exponent: Any) -> Any:
    if (
        isinstance(grondtal, int) and isinstance(exponent, int)
        and abs(grondtal) > 1 and exponent > 0
        and grondtal.bit_length() * exponent > MAX_MACHT_BITS
    ):
        raise ValueError("machtsverheffen levert een te groot getal op")
    return grondtal ** exponent


SAFE_BUILTINS: dict[str, Any] = {
    "len": len, "min": min, "max": max, "sum": sum, "abs": abs, "round": round,
    "sorted": sorted, "any": any, "all": all, "enumerate": enumerate, "zip": zip,
    "int": int, "float": float, "str": str, "bool": bool,
    "list": list, "dict": dict, "set": set, "tuple": tuple,
    "range": _begrensde_range,
    "True": True, "False": False, "None": None,
    # Inserted by _MachtBewaking; unreachable from scripts because of the '_' rule.
    "_macht": _macht,
}


def als_datum(waarde: date | str) -> date:
    """A date from a date, a datetime (its Amsterdam date) or an ISO string."""
    if isinstance(waarde, datetime):
        return waarde.astimezone(AMSTERDAM).date() if waarde.tzinfo else waarde.date()
    if isinstance(waarde, date):
        return waarde
    if isinstance(waarde, str):
        try:
            return date.fromisoformat(waarde.strip())
        except ValueError:
            try:
                return als_datum(datetime.fromisoformat(waarde.strip()))
            except ValueError:
                pass
    raise ValueError(f"'{waarde}' is geen datum (verwacht JJJJ-MM-DD)")


def _als_aantal(n: Any) -> int:
    if isinstance(n, float) and n.is_integer():
        return int(n)
    if isinstance(n, str) and re.fullmatch(r"\s*-?\d+\s*", n):
        return int(n)
    if isinstance(n, int) and not isinstance(n, bool):
        return n
    raise ValueError(f"'{n}' is geen geheel getal")


def script_helpers(now: Callable[[], datetime]) -> dict[str, Callable[..., Any]]:
    """The date helpers of docs/modelling.md; `now` is the engine's clock."""

    def vandaag() -> str:
        return now().astimezone(AMSTERDAM).date().isoformat()

    def plus_dagen(d: date | str, n: int) -> str:
        return (als_datum(d) + timedelta(days=_als_aantal(n))).isoformat()

    def plus_weken(d: date | str, n: int) -> str:
        return (als_datum(d) + timedelta(weeks=_als_aantal(n))).isoformat()

    def plus_maanden(d: date | str, n: int) -> str:
        return werkdagen.plus_maanden(als_datum(d), _als_aantal(n)).isoformat()

    def plus_werkdagen(d: date | str, n: int) -> str:
        return werkdagen.plus_werkdagen(als_datum(d), _als_aantal(n)).isoformat()

    def leeftijd(geboortedatum: date | str, peildatum: date | str | None = None) -> int:
        geboren = als_datum(geboortedatum)
        peil = als_datum(peildatum if peildatum is not None else vandaag())
        return peil.year - geboren.year - ((peil.month, peil.day) < (geboren.month, geboren.day))

    def deadline(d: date | str, norm: str) -> str:
        return werkdagen.deadline(als_datum(d), norm).isoformat()

    return {f.__name__: f for f in (vandaag, plus_dagen, plus_weken, plus_maanden, plus_werkdagen, leeftijd, deadline)}


# --- The environment and the engine ------------------------------------------------------------

_GEEN = object()  # "no such key": task data may legitimately hold None


def _is_json(waarde: Any) -> bool:
    if waarde is None or isinstance(waarde, str | int | float | bool):
        return True
    if isinstance(waarde, list | tuple):
        return all(_is_json(w) for w in waarde)
    if isinstance(waarde, dict):
        return all(isinstance(k, str) and _is_json(w) for k, w in waarde.items())
    return False


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """Like SpiffWorkflow's TaskDataEnvironment, but every source passes check_script first.

    Task data shadows a helper of the same name (a case field called `deadline` stays usable
    as data). Scripts run in a copy of the task data; afterwards new or rebound JSON values are
    written back, names removed with `del` are removed, and helpers, builtins, functions and
    other non-JSON values (ranges, zips, sets) are left out. When a script fails halfway,
    none of its top-level assignments reach the task data.
    """

    def _namespace(self, context: dict, external_context: dict | None) -> dict:
        namespace = {**self.globals, **(external_context or {}), **context}
        namespace["__builtins__"] = SAFE_BUILTINS  # last: task data comes from forms
        return namespace

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        code = _gecompileerd(expression, "eval")
        return eval(code, self._namespace(context, external_context))  # noqa: S307 - checked above

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        code = _gecompileerd(script, "exec")
        namespace = self._namespace(context, external_context)
        exec(code, namespace)  # noqa: S102 - checked above
        self._terugschrijven(namespace, context, external_context or {})
        return True

    def _terugschrijven(self, namespace: dict, context: dict, external_context: dict) -> None:
        for naam in [n for n in context if n not in namespace]:
            del context[naam]  # `del naam` in the script
        for naam, waarde in namespace.items():
            if naam.startswith("_") or context.get(naam, _GEEN) is waarde:
                continue  # builtins, or unchanged (in-place changes are already visible)
            if waarde is self.globals.get(naam, _GEEN) or waarde is external_context.get(naam, _GEEN):
                continue
            if _is_json(waarde):
                context[naam] = waarde

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise NotImplementedError("Service tasks worden niet ondersteund")


def _utc_nu() -> datetime:
    return datetime.now(UTC)


class SafeScriptEngine(PythonScriptEngine):
    """PythonScriptEngine restricted to the safe subset, with an injectable clock.

    `clock` returns the current moment; a naive result counts as UTC. Reassigning
    `engine.clock` later also moves `vandaag()` and the timers of workflows using this engine.
    """

    def __init__(self, clock: Callable[[], datetime] | None = None):
        self.clock = clock or _utc_nu
        super().__init__(environment=SafeEnvironment(script_helpers(self.now)))

    def now(self) -> datetime:
        moment = self.clock()
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def evaluate(self, task: Any, expression: str, external_context: dict | None = None) -> Any:
        try:
            return super().evaluate(task, expression, external_context)
        except WorkflowTaskException as fout:
            # The base class wraps the error with only "Error evaluating expression ...";
            # the designer needs the Dutch problems. error_type is "UnsafeScriptError".
            if isinstance(fout.__context__, UnsafeScriptError):
                fout.add_note(str(fout.__context__))
            raise

    def validate(self, expression: str) -> None:
        """Raise SyntaxError like the base class (the DMN engine relies on it), or
        UnsafeScriptError when the expression parses but is not safe."""
        _gecompileerd(expression, "exec")


# --- Timers on the engine's clock ----------------------------------------------------------

_DATUM = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _klok(task: Any) -> datetime:
    engine = task.workflow.top_workflow.script_engine
    return engine.now() if hasattr(engine, "now") else _utc_nu()


def _moment(waarde: Any) -> datetime:
    """A timeDate value as an aware UTC datetime. A bare date ("2026-05-01") means midnight in
    Amsterdam, as do times without an offset: the server's own time zone must not matter."""
    if isinstance(waarde, datetime):
        moment = waarde
    elif isinstance(waarde, date):
        moment = datetime.combine(waarde, time(), AMSTERDAM)
    else:
        tekst = str(waarde).strip()
        if _DATUM.match(tekst):
            moment = datetime.combine(date.fromisoformat(tekst), time(), AMSTERDAM)
        else:
            try:
                moment = datetime.fromisoformat(tekst)
            except ValueError:
                moment = TimerEventDefinition.parse_time_or_duration(tekst)  # ISO week dates
                if not isinstance(moment, datetime):
                    raise ValueError(f"'{tekst}' is geen tijdstip") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AMSTERDAM)
    return moment.astimezone(UTC)


class _KlokTimer:
    """has_fired for date and duration timers, against the engine's clock.

    internal_data keys are SpiffWorkflow's (`event_value`, `event_fired`); event_value holds
    the due moment as an ISO string with offset, which SpiffWorkflow's own classes also read.
    """

    def _eerste_moment(self, my_task: Any, waarde: Any) -> datetime:
        raise NotImplementedError

    def due(self, my_task: Any) -> datetime:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            waarde = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = self._eerste_moment(my_task, waarde).isoformat()
            my_task._set_internal_data(event_value=event_value)
        return _moment(event_value)

    def has_fired(self, my_task: Any) -> bool:
        if self.due(my_task) < _klok(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockTimeDateEventDefinition(_KlokTimer, TimeDateEventDefinition):
    def _eerste_moment(self, my_task: Any, waarde: Any) -> datetime:
        return _moment(waarde)


class ClockDurationTimerEventDefinition(_KlokTimer, DurationTimerEventDefinition):
    def _eerste_moment(self, my_task: Any, waarde: Any) -> datetime:
        # A designer may compute a date instead of a duration, e.g. plus_maanden(x, 3).
        if not (isinstance(waarde, str) and waarde.strip().upper().startswith("P")):
            return _moment(waarde)
        nu = _klok(my_task)
        duur = TimerEventDefinition.parse_iso_duration(waarde.strip())
        return nu + TimerEventDefinition.get_timedelta_from_start(duur, nu)


class ClockCycleTimerEventDefinition(CycleTimerEventDefinition):
    """SpiffWorkflow's cycle logic with the engine's clock instead of datetime.now."""

    def _eerste_cyclus(self, my_task: Any) -> dict:
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
        delen = expression.upper().replace("--", "/").strip("R").split("/")
        if len(delen) == 2 and delen[1].startswith("P"):
            # Only a duration: the first cycle ends one duration from now (the clock's now).
            nu = _klok(my_task)
            duration = TimerEventDefinition.get_timedelta_from_start(
                TimerEventDefinition.parse_iso_duration(delen[1]), nu
            )
            start = nu + duration
        return {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}

    def cycle_complete(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = self._eerste_cyclus(my_task)
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event < _klok(my_task):
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready

    def due(self, my_task: Any) -> datetime | None:
        if my_task._get_internal_data("event_fired", False):
            return None
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = self._eerste_cyclus(my_task)
            my_task._set_internal_data(event_value=event_value)
        if event_value["cycles"] == 0:
            return None
        return datetime.fromisoformat(event_value["next"]).astimezone(UTC)


_KLOKVERSIES = {
    TimeDateEventDefinition: ClockTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockDurationTimerEventDefinition,
    CycleTimerEventDefinition: ClockCycleTimerEventDefinition,
}


def clock_timer_definition(definition: Any) -> Any:
    """The clock-aware version of a parsed SpiffWorkflow timer definition (same name,
    expression, description); any other definition is returned unchanged."""
    klasse = _KLOKVERSIES.get(type(definition))
    if klasse is None:
        return definition
    kopie = klasse.__new__(klasse)
    kopie.__dict__.update(definition.__dict__)
    return kopie


def timer_due(task: Any) -> datetime | None:
    """When a WAITING timer task fires (aware UTC), or None for anything else.

    Evaluates and caches event_value exactly as has_fired would, so it only looks at WAITING
    tasks: evaluating earlier would start a duration timer too soon. Timers inside a
    multiple-event definition are not covered.
    """
    if task.state != TaskState.WAITING:
        return None
    definition = getattr(task.task_spec, "event_definition", None)
    if not isinstance(definition, TimerEventDefinition):
        return None
    return clock_timer_definition(definition).due(task)


def with_clock_timers(parser_class: type) -> type:
    """A subclass of a BpmnParser class whose event parsers build clock-aware timers.

    Usage: `Parser = with_clock_timers(SpiffBpmnParser)`. The library class is not changed.
    """
    klassen = {**parser_class.PARSER_CLASSES, **parser_class.OVERRIDE_PARSER_CLASSES}
    overrides = {
        tag: (_klok_parser(knoopparser) if hasattr(knoopparser, "parse_timer_event") else knoopparser, spec)
        for tag, (knoopparser, spec) in klassen.items()
    }
    return type(f"Klok{parser_class.__name__}", (parser_class,), {"OVERRIDE_PARSER_CLASSES": overrides})


def _klok_parser(knoopparser: type) -> type:
    def parse_timer_event(self: Any, event: Any) -> Any:
        return clock_timer_definition(knoopparser.parse_timer_event(self, event))

    return type(f"Klok{knoopparser.__name__}", (knoopparser,), {"parse_timer_event": parse_timer_event})


# SpiffWorkflow's serializer looks converters up by exact class: register ours with the
# converters of their parents. Use: BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SERIALIZER_CONFIG)).
SERIALIZER_CONFIG = {**SPIFF_CONFIG, **{klok: SPIFF_CONFIG[ouder] for ouder, klok in _KLOKVERSIES.items()}}
