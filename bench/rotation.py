"""Benchmark: plan a year of weekly rotations for 200 engineers with PTO, critical-path work and holidays."""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta

from core.roster import Engineer, Unavailability
from core.rotation import Plan, generate, holiday_dates

ENGINEERS = 200
WEEKS = 52
TODAY = date(2026, 1, 5)


def roster(seed: int = 7, count: int = ENGINEERS) -> tuple[list[Engineer], list[Unavailability]]:
    """200 engineers (some new hires, a few inactive), each with two PTO ranges; one in ten also critical-path."""
    rng = random.Random(seed)
    engineers = [Engineer(f"engineer{i}@ourco.com", f"Engineer {i}",
                          start_date=TODAY + timedelta(days=rng.randint(-900, 120)), active=rng.random() > 0.03)
                 for i in range(count)]
    away: list[Unavailability] = []
    for engineer in engineers:
        for _ in range(2):
            start = TODAY + timedelta(days=rng.randint(0, 7 * WEEKS))
            away.append(Unavailability(engineer.email, start, start + timedelta(days=rng.randint(1, 14))))
        if rng.random() < 0.1:
            start = TODAY + timedelta(days=rng.randint(0, 7 * WEEKS))
            away.append(Unavailability(engineer.email, start, start + timedelta(days=30), "critical", "launch"))
    return engineers, away


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench rotation", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="repetitions (median shown)")
    parser.add_argument("--engineers", type=int, default=ENGINEERS, help="roster size")
    parser.add_argument("--weeks", type=int, default=WEEKS, help="weeks planned")
    args = parser.parse_args(list(argv))
    engineers, away = roster(count=args.engineers)
    plan = Plan(weeks_ahead=args.weeks, holidays=holiday_dates("DE", TODAY, TODAY + timedelta(weeks=args.weeks)))
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        schedule = generate(engineers, away, today=TODAY, plan=plan)
        timings.append(time.perf_counter() - started)
    assigned = sum(w.engineer_email is not None for w in schedule.weeks)
    print(f"rotation: {len(engineers)} engineers, {len(away)} PTO/critical ranges, {len(plan.holidays)} holidays, "
          f"{len(schedule.weeks)} weeks ({assigned} assigned)")
    print(f"generate: median {statistics.median(timings) * 1000:.1f} ms, min {min(timings) * 1000:.1f} ms, "
          f"max {max(timings) * 1000:.1f} ms over {args.runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
