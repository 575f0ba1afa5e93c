"""Time and memory of a whole child process, measured from outside it.

``run(argv, env)`` starts the command, waits for it with ``os.wait4`` and returns its wall seconds and the peak
resident set size the kernel accounted to it: start-up, imports and everything the command allocated included.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mib: float
    output: str


def run(argv: Sequence[str], env: Mapping[str, str] | None = None) -> Measured:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ROTADESK_")}
    started = time.perf_counter()
    child = subprocess.Popen(list(argv), cwd=ROOT, env={**base, **(env or {})}, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    output = child.stdout.read() if child.stdout else b""
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {child.returncode}: {output.decode(errors='replace')[-2000:]}")
    return Measured(seconds, usage.ru_maxrss / 1024, output.decode(errors="replace"))
