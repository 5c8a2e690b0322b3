"""python -m bench [--quick]"""

import argparse

from .engine_bench import main

parser = argparse.ArgumentParser(prog="python -m bench")
parser.add_argument("--quick", action="store_true", help="fewer cases: a smoke run")
args = parser.parse_args()
main(quick=args.quick)
