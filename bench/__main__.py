"""python -m bench [--quick] [--only engine|timers|monitoring]"""

import argparse

from . import engine_bench, monitoring_bench, timers_bench

parser = argparse.ArgumentParser(prog="python -m bench")
parser.add_argument("--quick", action="store_true", help="fewer cases: a smoke run")
parser.add_argument("--only", choices=["engine", "timers", "monitoring"], help="run only this benchmark")
args = parser.parse_args()
if args.only in (None, "engine"):
    engine_bench.main(quick=args.quick)
if args.only in (None, "timers"):
    timers_bench.main(quick=args.quick)
if args.only in (None, "monitoring"):
    monitoring_bench.main(quick=args.quick)
