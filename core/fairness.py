"""Fairness of a run of rotation weeks, pure: the plain rotation and the checks a plan must pass.

The plain rotation gives each week to whoever has waited longest among those who can take it. Among the
engineers able to take every week of a stretch it then hands out their weeks in one fixed cyclic order, so over
any stretch their counts differ by at most one. The generator departs from it only where a departure keeps that
true, checked here over every 13-week window and every stretch from the plan's first week.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import accumulate

WINDOW = 13  # weeks: counts stay within one over every window this long, and over every stretch from the start

Pick = str | None


def waiting_order(pool: Sequence[str], last: Mapping[str, int]) -> list[str]:
    """``pool`` longest-waiting first: never on support before, then by their last week; ties by email."""
    return sorted(pool, key=lambda email: (last.get(email, -1), email))


def follow_rotation(picks: list[Pick], since: int, eligible: Sequence[frozenset[str]], fixed: Mapping[int, Pick],
                    last: dict[str, int]) -> list[Pick]:
    """``picks`` (weeks before ``since`` decided) continued by the plain rotation; ``fixed`` weeks keep theirs.

    ``last`` (each engineer's latest week before ``since``) is updated as the weeks are given out."""
    for index in range(since, len(eligible)):
        if index in fixed:
            pick = fixed[index]
        else:
            previous = picks[index - 1] if index else None
            pool = [e for e in eligible[index] if e != previous] or list(eligible[index])
            pick = waiting_order(pool, last)[0] if pool else None
        picks.append(pick)
        if pick is not None:
            last[pick] = index
    return picks


class Balance:
    """Counts of weeks per engineer over windows of one run, for the engineers able to take every week of each."""

    def __init__(self, eligible: Sequence[frozenset[str]]) -> None:
        people = sorted(set().union(*eligible)) if eligible else []
        # blocked[email][i]: how many of the weeks before week i the engineer could not take
        self._blocked = {email: list(accumulate((email not in week for week in eligible), initial=0))
                         for email in people}
        self._steady_in_window = [self._steady_count(max(0, end - WINDOW + 1), end) for end in range(len(eligible))]
        self._steady_from_start = [self._steady_count(0, end) for end in range(len(eligible))]

    def _steady(self, email: str, first: int, last: int) -> bool:
        blocked = self._blocked.get(email)
        return blocked is not None and blocked[last + 1] == blocked[first]

    def _steady_count(self, first: int, last: int) -> int:
        return sum(1 for blocked in self._blocked.values() if blocked[last + 1] == blocked[first])

    def _excess(self, counts: Counter[str], first: int, last: int, steady: int) -> int:
        """By how many weeks the steady engineers' counts spread wider than one."""
        mine = [n for email, n in counts.items() if n and self._steady(email, first, last)]
        if not mine:
            return 0
        low = min(mine) if len(mine) == steady else 0  # a steady engineer without a week counts as 0
        return max(0, max(mine) - low - 1)

    def uneven(self, picks: Sequence[Pick], since: int) -> tuple[int, int]:
        """How uneven the stretches from week 0, then the 13-week windows, ending at week ``since`` or later are:
        the weeks by which their counts spread wider than one, summed. The stretches come first: a history that
        left someone behind is caught up on before the windows are evened out."""
        from_start = Counter(p for p in picks[:since] if p is not None)
        window = Counter(p for p in picks[max(0, since - WINDOW):since] if p is not None)  # the window before
        from_start_uneven = window_uneven = 0
        for last in range(since, len(picks)):
            first = max(0, last - WINDOW + 1)
            if picks[last] is not None:
                from_start[picks[last]] += 1
                window[picks[last]] += 1
            if first and picks[first - 1] is not None:
                window[picks[first - 1]] -= 1
            window_uneven += self._excess(window, first, last, self._steady_in_window[last])
            if first:
                from_start_uneven += self._excess(from_start, 0, last, self._steady_from_start[last])
        return from_start_uneven, window_uneven
