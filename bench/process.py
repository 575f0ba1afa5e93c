"""Time and memory of a whole child process, measured from outside it.

``run(argv, env)`` starts the command under GNU time (``/usr/bin/time``, Debian's ``time`` package) and returns
its wall seconds and the peak resident set size the kernel accounted to it: start-up, imports and everything the
command allocated included. GNU time is a small process of its own: a child forked straight from this (large)
Python process would be charged the parent's pages it shares until it execs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GNU_TIME = "/usr/bin/time"


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mib: float
    output: str


def run(argv: Sequence[str], env: Mapping[str, str] | None = None) -> Measured:
    if not shutil.which(GNU_TIME):
        raise RuntimeError("the benchmarks measure memory with GNU time: apt-get install time")
    base = {k: v for k, v in os.environ.items() if not k.startswith("ROTADESK_")}
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        done = subprocess.run([GNU_TIME, "-f", "%M", "-o", report.name, *argv], cwd=ROOT, env={**base, **(env or {})},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        seconds = time.perf_counter() - started
        output = done.stdout.decode(errors="replace")
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {output[-2000:]}")
        peak_kib = int(report.read().split()[-1])
    return Measured(seconds, peak_kib / 1024, output)
