"""Safe evaluation of everything a BPMN or DMN file asks the engine to run.

Gateway conditions, script tasks, timer expressions and DMN entries are written by process
designers and uploaded at run time, so they must never run arbitrary Python on the server.
Every source is parsed and checked against an allowlist of syntax (check_script) before it
is compiled; the verdict and the code object are cached per source string because gateway
conditions are evaluated on every engine step.

The same module makes timers follow the engine's clock (SafeScriptEngine.clock), so a
virtual clock can drive both `vandaag()` in scripts and timer events, and reads every timer
moment in Amsterdam time (as_moment, parse_cycle): the server's time zone never matters.

Limits. Scripts run inside a request, in the timer scheduler or in a gunicorn gthread
worker, and nothing there stops a script that runs too long, so the subset itself bounds the
work, without per-line tracing (too slow for the hot path):
- `while` is refused: a script in a diagram must end; it loops with `for` over a list;
- every `for` loop and comprehension iterates over a snapshot of at most MAX_LOOP_ITEMS
  items (a list that grows inside its own loop does not keep it going), range() gives at
  most MAX_LOOP_ITEMS numbers, and loops nest at most MAX_LOOP_DEPTH deep (for-loops and
  comprehensions together); there are no functions, so no recursion. One loop nest thus
  runs its innermost body at most MAX_LOOP_ITEMS ** MAX_LOOP_DEPTH times: seconds of CPU at
  worst, never forever;
- `**` refuses results above MAX_POWER_BITS bits, a single C call nothing can interrupt.
What stays unbounded except by the worker's memory limit: one operation that builds a huge
value (`[0] * 10**9`, a string doubled in a loop).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from types import CodeType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import meetings, workdays

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MAX_LOOP_ITEMS = 10_000
MAX_LOOP_DEPTH = 2
MAX_POWER_BITS = 100_000


class UnsafeScriptError(Exception):
    """A script or expression uses syntax outside the safe subset."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("Onveilig script: " + "; ".join(self.problems))


# --- The allowlist -------------------------------------------------------------------------

_ALLOWED_NODES = (
    # structure and statements
    ast.Module, ast.Expression, ast.Expr, ast.Assign, ast.AugAssign, ast.Delete,
    ast.If, ast.For, ast.Break, ast.Continue, ast.Pass,
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
_FORBIDDEN_NODES = {
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
    ast.While: "'while' is niet toegestaan: een script in een diagram moet eindigen; gebruik 'for' over een lijst",
}

FORBIDDEN_NAMES = frozenset({
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals",
    "vars", "dir", "input", "breakpoint", "help", "memoryview", "type", "object", "super",
    "classmethod", "staticmethod", "property", "__import__",
})

# Attribute access is the usual escape route (obj.__class__..., str.format field lookups,
# generator frames), so only these method and field names may follow a dot.
ALLOWED_ATTRIBUTES = frozenset({
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


def _node_problem(node: ast.AST) -> str | None:
    """The Dutch problem with one node, or None when it is allowed."""
    if isinstance(node, ast.Name):
        return _name_problem(node.id)
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            return f"namen die met '_' beginnen zijn niet toegestaan ({node.attr})"
        if node.attr not in ALLOWED_ATTRIBUTES:
            return f"het attribuut '{node.attr}' is niet toegestaan"
        if not isinstance(node.ctx, ast.Load):
            return f"een attribuut wijzigen is niet toegestaan ({node.attr})"
        return None
    if isinstance(node, ast.keyword) and node.arg and node.arg.startswith("_"):
        return f"namen die met '_' beginnen zijn niet toegestaan ({node.arg})"
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Pow):
        # The size guard for ** rewrites `x **= y` to `x = x ** y`; only safe for plain names.
        if not isinstance(node.target, ast.Name):
            return "'**=' mag alleen op een naam; schrijf x[k] = x[k] ** n"
    if isinstance(node, _ALLOWED_NODES):
        return None
    return _FORBIDDEN_NODES.get(type(node), f"de constructie '{type(node).__name__}' is niet toegestaan")


def _name_problem(name: str) -> str | None:
    if name.startswith("_"):
        return f"namen die met '_' beginnen zijn niet toegestaan ({name})"
    if name in FORBIDDEN_NAMES:
        return f"de naam '{name}' is niet toegestaan"
    return None


def _collect(node: ast.AST, line: int, problems: list[str]) -> None:
    line = getattr(node, "lineno", line)
    problem = _node_problem(node)
    if problem:
        problems.append(f"regel {line}: {problem}")
        if type(node) in _FORBIDDEN_NODES:
            return  # one message for a lambda or def, not one per argument inside it
    for kind in ast.iter_child_nodes(node):
        _collect(kind, line, problems)


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _loop_depth(node: ast.AST, depth: int, problems: list[str]) -> None:
    """Refuse loops nested deeper than MAX_LOOP_DEPTH: each `for`, and each `for` clause of a
    comprehension, is one level for what runs inside it."""
    if isinstance(node, ast.For):
        _loop_depth(node.iter, depth, problems)
        if depth + 1 > MAX_LOOP_DEPTH:
            problems.append(_too_deep(node))
            return
        for child in [node.target, *node.body]:
            _loop_depth(child, depth + 1, problems)
        for child in node.orelse:  # runs once, after the loop
            _loop_depth(child, depth, problems)
        return
    if isinstance(node, _COMPREHENSIONS):
        level = depth
        for generator in node.generators:
            _loop_depth(generator.iter, level, problems)
            level += 1
            if level > MAX_LOOP_DEPTH:
                problems.append(_too_deep(node))
                return
            for condition in generator.ifs:
                _loop_depth(condition, level, problems)
        parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for part in parts:
            _loop_depth(part, level, problems)
        return
    for child in ast.iter_child_nodes(node):
        _loop_depth(child, depth, problems)


def _too_deep(node: ast.AST) -> str:
    return (f"regel {getattr(node, 'lineno', 1)}: lussen mogen hoogstens {MAX_LOOP_DEPTH} diep in elkaar zitten "
            "(for-lussen en comprehensions samen)")


def _problems_in(tree: ast.AST) -> list[str]:
    problems: list[str] = []
    try:
        _collect(tree, 1, problems)
        _loop_depth(tree, 0, problems)
    except RecursionError:
        problems.append("regel 1: de expressie is te diep genest")
    return problems


def _syntax_error(error: SyntaxError) -> str:
    return f"regel {error.lineno or 1}: syntaxfout ({error.msg})"


def check_script(source: str, mode: str = "exec") -> list[str]:
    """Dutch problems with `source` ("exec" for scripts, "eval" for expressions); [] = safe."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as error:
        return [_syntax_error(error)]
    return _problems_in(tree)


# --- Compiling, with guards and a cache ------------------------------------------------------

class _Verdict(NamedTuple):
    problems: tuple[str, ...]
    code: CodeType | None
    syntax_error: SyntaxError | None


class _Guards(ast.NodeTransformer):
    """Rewrites `a ** b` to `_power(a, b)` (9**9**9 would hold the CPU in one C call) and what
    a loop iterates over to `_loop(...)` (a bounded snapshot). Both names are builtins that
    scripts cannot reach themselves because of the '_' rule."""

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.iter = _call("_loop", node.iter)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.iter = _call("_loop", node.iter)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.op, ast.Pow):
            return node
        return ast.copy_location(_call("_power", node.left, node.right), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.op, ast.Pow):
            return node
        current = ast.Name(id=node.target.id, ctx=ast.Load())
        return ast.copy_location(ast.Assign(targets=[node.target], value=_call("_power", current, node.value)), node)


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


@lru_cache(maxsize=4096)
def _verdict(source: str, mode: str) -> _Verdict:
    """Parse, check and compile once per distinct source; later calls are a dict lookup."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as error:
        return _Verdict((_syntax_error(error),), None, error)
    problems = _problems_in(tree)
    if problems:
        return _Verdict(tuple(problems), None, None)
    tree = ast.fix_missing_locations(_Guards().visit(tree))
    # "<string>" lets PythonScriptEngine find the failing line in a traceback.
    return _Verdict((), compile(tree, "<string>", mode), None)


def _compiled(source: str, mode: str) -> CodeType:
    verdict = _verdict(source, mode)
    if verdict.syntax_error is not None:
        error = verdict.syntax_error
        raise SyntaxError(error.msg, (error.filename, error.lineno, error.offset, error.text))
    if verdict.problems:
        raise UnsafeScriptError(list(verdict.problems))
    return verdict.code


# --- What scripts can call ---------------------------------------------------------------------

def _bounded_range(*args: int) -> range:
    bounds = range(*args)
    try:
        too_large = len(bounds) > MAX_LOOP_ITEMS
    except OverflowError:
        too_large = True
    if too_large:
        raise ValueError(f"range() mag hoogstens {MAX_LOOP_ITEMS} getallen opleveren")
    return bounds


def _loop(iterable: Any) -> tuple:
    """What a loop iterates over, as a snapshot of at most MAX_LOOP_ITEMS items."""
    items = tuple(islice(iterable, MAX_LOOP_ITEMS + 1))
    if len(items) > MAX_LOOP_ITEMS:
        raise ValueError(f"een lus mag hoogstens {MAX_LOOP_ITEMS} keer rondgaan")
    return items


def _power(base: Any, exponent: Any) -> Any:
    if (
        isinstance(base, int) and isinstance(exponent, int)
        and abs(base) > 1 and exponent > 0
        and base.bit_length() * exponent > MAX_POWER_BITS
    ):
        raise ValueError("machtsverheffen levert een te groot getal op")
    return base ** exponent


SAFE_BUILTINS: dict[str, Any] = {
    "len": len, "min": min, "max": max, "sum": sum, "abs": abs, "round": round,
    "sorted": sorted, "any": any, "all": all, "enumerate": enumerate, "zip": zip,
    "int": int, "float": float, "str": str, "bool": bool,
    "list": list, "dict": dict, "set": set, "tuple": tuple,
    "range": _bounded_range,
    "True": True, "False": False, "None": None,
    # Inserted by _Guards; unreachable from scripts because of the '_' rule.
    "_power": _power,
    "_loop": _loop,
}


def as_date(value: date | str) -> date:
    """A date from a date, a datetime (its Amsterdam date) or an ISO string."""
    if isinstance(value, datetime):
        return value.astimezone(AMSTERDAM).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            try:
                return as_date(datetime.fromisoformat(value.strip()))
            except ValueError:
                pass
    raise ValueError(f"'{value}' is geen datum (verwacht JJJJ-MM-DD)")


def _as_count(n: Any) -> int:
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
        return (as_date(d) + timedelta(days=_as_count(n))).isoformat()

    def plus_weken(d: date | str, n: int) -> str:
        return (as_date(d) + timedelta(weeks=_as_count(n))).isoformat()

    def plus_maanden(d: date | str, n: int) -> str:
        return workdays.add_months(as_date(d), _as_count(n)).isoformat()

    def plus_werkdagen(d: date | str, n: int) -> str:
        return workdays.add_working_days(as_date(d), _as_count(n)).isoformat()

    def leeftijd(geboortedatum: date | str, peildatum: date | str | None = None) -> int:
        born = as_date(geboortedatum)
        reference = as_date(peildatum if peildatum is not None else vandaag())
        return reference.year - born.year - ((reference.month, reference.day) < (born.month, born.day))

    def deadline(d: date | str, norm: str) -> str:
        return workdays.deadline(as_date(d), norm).isoformat()

    def ret_vergadering(aangeleverd: date | str, schema: dict | None) -> str:
        """The RET meeting a case goes to (engine/meetings.py); today without a schedule."""
        today = as_date(vandaag())
        if not schema:
            return today.isoformat()
        return meetings.first_meeting(as_date(aangeleverd), schema, today).isoformat()

    return {f.__name__: f for f in (vandaag, plus_dagen, plus_weken, plus_maanden, plus_werkdagen, leeftijd, deadline,
                                    ret_vergadering)}


# --- The environment and the engine ------------------------------------------------------------

_MISSING = object()  # "no such key": task data may legitimately hold None


def _is_json(value: Any) -> bool:
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, list | tuple):
        return all(_is_json(w) for w in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(w) for k, w in value.items())
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
        code = _compiled(expression, "eval")
        return eval(code, self._namespace(context, external_context))  # noqa: S307 - checked above

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        code = _compiled(script, "exec")
        namespace = self._namespace(context, external_context)
        exec(code, namespace)  # noqa: S102 - checked above
        self._write_back(namespace, context, external_context or {})
        return True

    def _write_back(self, namespace: dict, context: dict, external_context: dict) -> None:
        for name in [n for n in context if n not in namespace]:
            del context[name]  # `del naam` in the script
        for name, value in namespace.items():
            if name.startswith("_") or context.get(name, _MISSING) is value:
                continue  # builtins, or unchanged (in-place changes are already visible)
            if value is self.globals.get(name, _MISSING) or value is external_context.get(name, _MISSING):
                continue
            if _is_json(value):
                context[name] = value

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise NotImplementedError("Service tasks worden niet ondersteund")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SafeScriptEngine(PythonScriptEngine):
    """PythonScriptEngine restricted to the safe subset, with an injectable clock.

    `clock` returns the current moment; a naive result counts as UTC. Reassigning
    `engine.clock` later also moves `vandaag()` and the timers of workflows using this engine.
    """

    def __init__(self, clock: Callable[[], datetime] | None = None):
        self.clock = clock or _utc_now
        super().__init__(environment=SafeEnvironment(script_helpers(self.now)))

    def now(self) -> datetime:
        moment = self.clock()
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def evaluate(self, task: Any, expression: str, external_context: dict | None = None) -> Any:
        try:
            return super().evaluate(task, expression, external_context)
        except WorkflowTaskException as error:
            # The base class wraps the error with only "Error evaluating expression ...";
            # the designer needs the Dutch problems. error_type is "UnsafeScriptError".
            if isinstance(error.__context__, UnsafeScriptError):
                error.add_note(str(error.__context__))
            raise

    def validate(self, expression: str) -> None:
        """Raise SyntaxError like the base class (the DMN engine relies on it), or
        UnsafeScriptError when the expression parses but is not safe."""
        _compiled(expression, "exec")


# --- Timers on the engine's clock ----------------------------------------------------------

_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEK_DATE = re.compile(r"^(\d{4})-?W(\d{2})-?(\d)(T.+)?$")


def _clock_of(task: Any) -> datetime:
    engine = task.workflow.top_workflow.script_engine
    return engine.now() if hasattr(engine, "now") else _utc_now()


def as_moment(value: Any) -> datetime:
    """A date, date-time or ISO 8601 string (also a week date, "2026-W23-1T09:00") as an aware
    UTC moment. A bare date means midnight in Amsterdam, and so does a time without an offset
    count as Amsterdam time: the server's own time zone must not matter. ValueError (Dutch)
    for anything else."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(), AMSTERDAM)
    else:
        text = str(value).strip()
        week = _WEEK_DATE.match(text.upper())
        try:
            if _DATE_PATTERN.match(text):
                moment = datetime.combine(date.fromisoformat(text), time(), AMSTERDAM)
            elif week:
                year, number, weekday, clock_time = week.groups()
                day = date.fromisocalendar(int(year), int(number), int(weekday))
                moment = datetime.fromisoformat(day.isoformat() + (clock_time or ""))
            else:
                moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"'{text}' is geen tijdstip") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AMSTERDAM)
    return moment.astimezone(UTC)


def parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """An ISO 8601 repeating interval as (cycles, first moment, interval); cycles -1 = for
    ever. Forms: R<n>/<start>/<duration>, R<n>/<duration>/<end> and R<n>/<duration> (the first
    moment one duration after `now`). Moments read as in as_moment (Amsterdam time).
    ValueError for anything else."""
    parts = expression.strip().upper().replace("--", "/").strip("R").split("/")
    try:
        cycles = int(parts[0]) if parts[0] else -1
        first = _moment_or_duration(parts[1])
        second = _moment_or_duration(parts[2]) if len(parts) == 3 else None
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises a bare Exception for a bad duration
        first = second = None
    if len(parts) in (2, 3):
        if isinstance(first, datetime) and isinstance(second, dict):
            return cycles, first, TimerEventDefinition.get_timedelta_from_start(second, first)
        if isinstance(first, dict) and isinstance(second, datetime):
            duration = TimerEventDefinition.get_timedelta_from_end(first, second)
            return cycles, second - duration, duration
        if isinstance(first, dict) and second is None:
            duration = TimerEventDefinition.get_timedelta_from_start(first, now)
            return cycles, now + duration, duration
    raise ValueError(f"'{expression}' is geen herhaling (bijv. R3/P1W)")


def _moment_or_duration(text: str) -> datetime | dict:
    return TimerEventDefinition.parse_iso_duration(text) if text.startswith("P") else as_moment(text)


class _ClockTimer:
    """has_fired for date and duration timers, against the engine's clock.

    internal_data keys are SpiffWorkflow's (`event_value`, `event_fired`); event_value holds
    the due moment as an ISO string with offset, which SpiffWorkflow's own classes also read.
    """

    def _first_moment(self, my_task: Any, value: Any) -> datetime:
        raise NotImplementedError

    def due(self, my_task: Any) -> datetime:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = self._first_moment(my_task, value).isoformat()
            my_task._set_internal_data(event_value=event_value)
        return as_moment(event_value)

    def has_fired(self, my_task: Any) -> bool:
        if self.due(my_task) < _clock_of(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockTimeDateEventDefinition(_ClockTimer, TimeDateEventDefinition):
    def _first_moment(self, my_task: Any, value: Any) -> datetime:
        return as_moment(value)


class ClockDurationTimerEventDefinition(_ClockTimer, DurationTimerEventDefinition):
    def _first_moment(self, my_task: Any, value: Any) -> datetime:
        # A designer may compute a date instead of a duration, e.g. plus_maanden(x, 3).
        if not (isinstance(value, str) and value.strip().upper().startswith("P")):
            return as_moment(value)
        now_value = _clock_of(my_task)
        duration_value = TimerEventDefinition.parse_iso_duration(value.strip())
        return now_value + TimerEventDefinition.get_timedelta_from_start(duration_value, now_value)


class ClockCycleTimerEventDefinition(CycleTimerEventDefinition):
    """SpiffWorkflow's cycle logic with the engine's clock instead of datetime.now."""

    def _first_cycle(self, my_task: Any) -> dict:
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        cycles, start, duration = parse_cycle(expression, _clock_of(my_task))
        return {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}

    def cycle_complete(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = self._first_cycle(my_task)
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event < _clock_of(my_task):
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
            event_value = self._first_cycle(my_task)
            my_task._set_internal_data(event_value=event_value)
        if event_value["cycles"] == 0:
            return None
        return datetime.fromisoformat(event_value["next"]).astimezone(UTC)


_CLOCK_VERSIONS = {
    TimeDateEventDefinition: ClockTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockDurationTimerEventDefinition,
    CycleTimerEventDefinition: ClockCycleTimerEventDefinition,
}


def clock_timer_definition(definition: Any) -> Any:
    """The clock-aware version of a parsed SpiffWorkflow timer definition (same name,
    expression, description); any other definition is returned unchanged."""
    klass = _CLOCK_VERSIONS.get(type(definition))
    if klass is None:
        return definition
    copied = klass.__new__(klass)
    copied.__dict__.update(definition.__dict__)
    return copied


def timers_of(task_spec: Any) -> list[tuple[Any, Any]]:
    """(timer definition, element spec) pairs a task spec waits for: its own timer, or the
    timers of an event-based gateway's branches (SpiffWorkflow moves those definitions onto
    the gateway, in the order of its outputs, and leaves the branch events without one)."""
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return [(definition, task_spec)]
    if isinstance(definition, MultipleEventDefinition):
        inner = definition.event_definitions
        owners = task_spec.outputs if len(task_spec.outputs) == len(inner) else [task_spec] * len(inner)
        return [(d, owner) for d, owner in zip(inner, owners, strict=True) if isinstance(d, TimerEventDefinition)]
    return []


def _pending_timer(task: Any) -> tuple[Any, Any] | None:
    seen = [event.event_definition for event in task.internal_data.get("seen_events", [])]
    return next(((d, owner) for d, owner in timers_of(task.task_spec) if d not in seen), None)


def timer_due(task: Any) -> datetime | None:
    """When a WAITING timer task fires (aware UTC), or None for anything else.

    Evaluates and caches event_value exactly as has_fired would, so it only looks at WAITING
    tasks: evaluating earlier would start a duration timer too soon. For an event-based
    gateway it is the due moment of the timer among its events (one timer per gateway:
    SpiffWorkflow keeps one event_value per task).
    """
    if task.state != TaskState.WAITING:
        return None
    pending = _pending_timer(task)
    return clock_timer_definition(pending[0]).due(task) if pending else None


def timer_element(task: Any) -> str | None:
    """The BPMN id of the timer event a task waits for (for a gateway: the timer branch)."""
    pending = _pending_timer(task) or next(iter(timers_of(task.task_spec)), None)
    return pending[1].bpmn_id if pending else None


# SpiffWorkflow's serializer looks converters up by exact class: register ours with the
# converters of their parents. Use: BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SERIALIZER_CONFIG)).
SERIALIZER_CONFIG = {**SPIFF_CONFIG, **{clock_fn: SPIFF_CONFIG[older] for older, clock_fn in _CLOCK_VERSIONS.items()}}
