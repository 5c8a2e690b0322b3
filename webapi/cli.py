"""The `verwijsflow` command: serve, validate, demo, layout, clock, simulate, resume."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.access import SYSTEM
from engine.config import Settings
from engine.library import Source, kind_of, read_sources, source_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verwijsflow", description="Verwijsflow: jeugdhulp-verwijsprocessen als BPMN.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="start de webserver (API en UI)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--workers", type=int, default=2, help="aantal werkprocessen (gunicorn)")
    serve.add_argument("--demo-if-empty", action="store_true", help="laad demogegevens als de database leeg is")

    validate = commands.add_parser("validate", help="controleer BPMN-, DMN- en formulierbestanden")
    validate.add_argument("paths", nargs="*", help="bestanden of mappen (standaard: processes/ en forms/)")

    commands.add_parser("demo", help="laad demogegevens (alleen in een lege database) en zet demomodus aan")

    layout = commands.add_parser("layout", help="teken de diagramgegevens (DI) van BPMN-bestanden opnieuw")
    layout.add_argument("files", nargs="+", help="BPMN-bestanden; worden ter plekke bijgewerkt")

    clock = commands.add_parser("clock", help="de virtuele klok tonen of verzetten (alleen in demomodus)")
    clock_commands = clock.add_subparsers(dest="clock_command", required=True)
    clock_commands.add_parser("show", help="toon de tijd van de engine")
    clock_set = clock_commands.add_parser("set", help="zet de klok vooruit naar een tijdstip; timers gaan onderweg af")
    clock_set.add_argument("moment", help="JJJJ-MM-DD of JJJJ-MM-DDTuu:mm (Nederlandse tijd)")
    clock_advance = clock_commands.add_parser("advance", help="zet de klok een duur vooruit, bijv. 30d, 2w, 12h")
    clock_advance.add_argument("duration", help="bijv. 30d, 2w, 12h, 90m")

    simulate = commands.add_parser("simulate", help="vul een demodatabase met gesimuleerde GI-casussen")
    simulate.add_argument("--cases", type=int, default=200, help="aantal casussen (standaard 200)")
    simulate.add_argument("--seed", type=int, default=1, help="startwaarde van de toevalsgenerator (standaard 1)")

    resume = commands.add_parser("resume", help="laat een casus die door een fout stilstaat weer lopen")
    resume.add_argument("case_id", type=int, help="het nummer van de casus")

    args = parser.parse_args(argv)
    return {"serve": _serve, "validate": _validate, "demo": _demo, "layout": _layout, "clock": _clock,
            "simulate": _simulate, "resume": _resume}[args.command](args)


def _layout(args) -> int:
    from engine.layout import check_layout, layout_bpmn

    status = 0
    for name in args.files:
        path = Path(name)
        laid_out = layout_bpmn(path.read_bytes())
        path.write_bytes(laid_out)
        problems = check_layout(laid_out)
        for problem in problems:
            print(f"{path}: {problem}")
        status = status or (1 if problems else 0)
        print(f"{path}: diagram opnieuw getekend" + (f", {len(problems)} probleem/problemen" if problems else ""))
    return status


def _validate(args) -> int:
    from engine.validation import validate_sources

    settings = Settings.from_env()
    sources = {(s.kind, s.key): s for s in read_sources(settings.processes_dir, settings.forms_dir)}
    for path in args.paths:
        for source in _sources_at(Path(path), settings.forms_dir):
            sources[(source.kind, source.key)] = source
    problems = validate_sources(list(sources.values()))
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} probleem/problemen gevonden; er is niets uitgerold.", file=sys.stderr)
        return 1
    print(f"In orde: {len(sources)} bestanden gecontroleerd.")
    return 0


def _sources_at(path: Path, forms_dir: Path) -> list[Source]:
    """The artifacts at a path: a form below the forms folder keeps its path there as key."""
    if not path.exists():
        raise SystemExit(f"Bestaat niet: {path}")
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    forms_root = forms_dir.resolve()
    sources = []
    for file in files:
        if kind_of(file.name) is None:
            continue
        resolved = file.resolve()
        below_forms = file.suffix == ".json" and resolved.is_relative_to(forms_root)
        name = f"forms/{resolved.relative_to(forms_root).as_posix()}" if below_forms else file.name
        sources.append(source_of(name, file.read_text(encoding="utf-8")))
    return sources


def _prepare(load_demo: bool):
    from engine import demo
    from engine.runtime import Runtime

    runtime = Runtime(Settings.from_env())
    runtime.migrate()
    deployed = runtime.deploy_from_disk()
    for artifact in deployed:
        print(f"uitgerold: {artifact.kind} {artifact.key} versie {artifact.version}")
    loaded = False
    if load_demo:
        with runtime.transaction() as session:
            loaded = demo.load(session)
            session.commit()
    runtime.dispose()
    return loaded


def _demo(args) -> int:
    if _prepare(load_demo=True):
        print("Demogegevens geladen. Gebruikers (wachtwoord 'demo'):")
        from engine.demo import USERS

        for username, display_name, org, _roles in USERS:
            print(f"  {username:22} {display_name} — {org}")
    else:
        print("De database bevat al gegevens; er is niets geladen.")
    return 0


def _runtime():
    from engine.runtime import Runtime

    runtime = Runtime(Settings.from_env())
    runtime.migrate()
    return runtime


def _clock(args) -> int:
    from engine import clock
    from engine.errors import EngineError
    from engine.scripting import AMSTERDAM

    runtime = _runtime()
    try:
        if args.clock_command == "show":
            now = runtime.clock.now()
            offset = runtime.clock.offset() if hasattr(runtime.clock, "offset") else None
            print(f"Klok van de engine: {now.astimezone(AMSTERDAM):%Y-%m-%d %H:%M:%S} (Nederlandse tijd)")
            if offset:
                print(f"Virtueel: {offset.total_seconds() / 86400:+.2f} dagen ten opzichte van de echte tijd.")
            due = runtime.timers.next_due()
            print(f"Eerstvolgende timer: {due.astimezone(AMSTERDAM):%Y-%m-%d %H:%M}" if due else "Geen wachtende timers.")
            return 0
        target = clock.parse_moment(args.moment) if args.clock_command == "set" else \
            runtime.clock.now() + clock.parse_duration(args.duration)
        fired = runtime.timers.move_clock(SYSTEM, target)
        print(f"Klok staat op {runtime.clock.now().astimezone(AMSTERDAM):%Y-%m-%d %H:%M} (Nederlandse tijd); "
              f"{len(fired)} timer(s) afgegaan.")
        return 0
    except EngineError as error:
        details = getattr(error, "errors", None)
        print(f"{error.message} {' '.join(m for ms in (details or {}).values() for m in ms)}".strip(), file=sys.stderr)
        return 1
    finally:
        runtime.dispose()


def _simulate(args) -> int:
    from engine.errors import EngineError
    from engine.simulation import simulate

    if args.cases < 1:
        print("Geef met --cases een aantal van minstens 1.", file=sys.stderr)
        return 2
    runtime = _runtime()
    runtime.deploy_from_disk()
    bar = ProgressBar("Simulatie")
    try:
        report = simulate(runtime, args.cases, args.seed, bar)
    except EngineError as error:
        print(error.message, file=sys.stderr)
        return 1
    finally:
        runtime.dispose()
    print(f"{report.cases} casussen gestart, {report.tasks} taken afgerond, {report.timers} timers afgegaan, "
          f"{report.completed} casussen afgesloten; de klok staat op {report.ended_at:%Y-%m-%d} (UTC).")
    return 0


def _resume(args) -> int:
    from engine.errors import EngineError

    runtime = _runtime()
    try:
        resumed = runtime.timers.resume(SYSTEM, args.case_id)
    except EngineError as error:
        print(error.message, file=sys.stderr)
        return 1
    finally:
        runtime.dispose()
    timers = ", ".join(resumed["timers"]) or "geen"
    print(f"Casus {resumed['id']} ({resumed['reference']}) loopt weer; opnieuw gepland: {timers}.")
    return 0


class ProgressBar:
    """One line on stderr, redrawn in place on a terminal and every 10 seconds in a log."""

    def __init__(self, label: str, width: int = 30):
        import time

        self.label, self.width, self._time, self.last = label, width, time.monotonic, float("-inf")
        self.every = 0.2 if sys.stderr.isatty() else 10.0

    def __call__(self, fraction: float, text: str = "") -> None:
        now = self._time()
        done = fraction >= 1.0
        if not done and now - self.last < self.every:
            return
        self.last = now
        filled = int(self.width * min(max(fraction, 0.0), 1.0))
        start = "\r" if sys.stderr.isatty() else ""
        sys.stderr.write(f"{start}{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {fraction:4.0%} {text}")
        if done or not sys.stderr.isatty():
            sys.stderr.write("\n")
        sys.stderr.flush()


def _serve(args) -> int:
    loaded = _prepare(load_demo=args.demo_if_empty)
    if loaded:
        print("Demogegevens geladen (gebruikers zoals 'jeugdbeschermer', wachtwoord 'demo').")
    print(f"Verwijsflow draait op http://{args.host}:{args.port}")
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:  # e.g. Windows: Werkzeug's threaded server
        from webapi import create_app

        create_app(prepare=False).run(host=args.host, port=args.port, threaded=True)
        return 0

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", 4)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")

        def load(self):
            from webapi import create_app

            return create_app(prepare=False)

    Server().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
