"""Run one benchmark, or all of them: ``python -m bench rotation|intake|link|dashboard|all``."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ("rotation", "intake", "link", "dashboard")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in (*BENCHMARKS, "all"):
        print(f"usage: python -m bench {{{'|'.join(BENCHMARKS)}|all}} [options]", file=sys.stderr)
        return 2
    names = BENCHMARKS if argv[0] == "all" else (argv[0],)
    for name in names:
        print(f"== {name} ==")
        code = importlib.import_module(f"bench.{name}").main(argv[1:])
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
