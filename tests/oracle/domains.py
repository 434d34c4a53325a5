"""Where a case's inputs come from, written once and read two ways: as a hypothesis strategy (the live tests,
fresh inputs on every run) and by a seeded generator (the inputs recorded in the committed oracle).

The seeded generator favours what hypothesis favours: the ends of a range (or the first float inside an open
end), 0.0 and -0.0, the smallest subnormals, and magnitudes spread over many binades, not only the middle.
It uses only arithmetic that IEEE 754 rounds alike everywhere (no libm), so it draws the same numbers on
every machine and Python.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hypothesis import strategies as st

TINY = math.ulp(0.0)  # the smallest subnormal, 5e-324
LOG_FLOOR = 2.0**-60  # the smallest magnitude a log-uniform draw reaches; TINY is among the notable values


class Domain(Protocol):
    def strategy(self) -> st.SearchStrategy[Any]:
        """Return the hypothesis strategy of this domain."""
        ...

    def notable(self) -> list[Any]:
        """Return the values a search for bugs tries first."""
        ...

    def sample(self, rng: random.Random) -> Any:
        """Return a value drawn from rng: an ordinary one, or now and then a notable one."""
        ...


# A draw: the value a domain gives, from hypothesis's data or a seeded generator.
Draw = Callable[[Domain], Any]


def pick(rng: random.Random, values: Sequence[Any]) -> Any:
    """One of values, chosen with rng.random() alone: its sequence is the same in every Python version."""
    return values[int(rng.random() * len(values))]


@dataclass(frozen=True)
class Reals:
    """The floats from lo to hi, either end open if asked."""

    lo: float
    hi: float
    open_lo: bool = False
    open_hi: bool = False

    def strategy(self) -> st.SearchStrategy[float]:
        return st.floats(self.lo, self.hi, exclude_min=self.open_lo, exclude_max=self.open_hi)

    def contains(self, x: float) -> bool:
        above = self.lo < x if self.open_lo else self.lo <= x
        below = x < self.hi if self.open_hi else x <= self.hi
        return above and below

    def notable(self) -> list[float]:
        ends = [
            math.nextafter(self.lo, math.inf) if self.open_lo else float(self.lo),
            math.nextafter(self.hi, -math.inf) if self.open_hi else float(self.hi),
        ]
        inside = {x.hex(): x for x in [*ends, 0.0, -0.0, TINY, -TINY] if self.contains(x)}  # -0.0 is not 0.0
        return list(inside.values())

    def sample(self, rng: random.Random) -> float:
        while True:
            r = rng.random()
            if r < 0.25:
                x = pick(rng, self.notable())
            elif r < 0.6:
                x = self.lo + (self.hi - self.lo) * rng.random()
            else:
                x = self.log_uniform(rng)
            if self.contains(x):
                return x

    def log_uniform(self, rng: random.Random) -> float:
        """A float whose binade is drawn uniformly between the range's smallest and largest magnitudes."""
        signs = [s for s, allowed in ((1.0, self.hi > 0), (-1.0, self.lo < 0)) if allowed]
        sign = pick(rng, signs)
        near, far = (self.lo, self.hi) if sign > 0 else (-self.hi, -self.lo)
        smallest, largest = max(near, LOG_FLOOR), far
        lo_exp, hi_exp = math.frexp(smallest)[1], math.frexp(largest)[1]
        exponent = lo_exp + int(rng.random() * (hi_exp - lo_exp + 1))
        return sign * math.ldexp(0.5 + 0.5 * rng.random(), exponent)


@dataclass(frozen=True)
class Points:
    """One of a few given values."""

    values: tuple[Any, ...]

    def strategy(self) -> st.SearchStrategy[Any]:
        return st.sampled_from(self.values)

    def notable(self) -> list[Any]:
        return list(self.values)

    def sample(self, rng: random.Random) -> Any:
        return pick(rng, self.values)


@dataclass(frozen=True)
class Integers:
    """The integers from lo to hi."""

    lo: int
    hi: int

    def strategy(self) -> st.SearchStrategy[int]:
        return st.integers(self.lo, self.hi)

    def notable(self) -> list[int]:
        return sorted({self.lo, self.hi, min(max(0, self.lo), self.hi)})

    def sample(self, rng: random.Random) -> int:
        return self.lo + int(rng.random() * (self.hi - self.lo + 1))


@dataclass(frozen=True)
class Union:
    """A value from any of several domains."""

    parts: tuple[Domain, ...]

    def strategy(self) -> st.SearchStrategy[Any]:
        return st.one_of(*(part.strategy() for part in self.parts))

    def notable(self) -> list[Any]:
        return [x for part in self.parts for x in part.notable()]

    def sample(self, rng: random.Random) -> Any:
        part: Domain = pick(rng, self.parts)
        return part.sample(rng)


def either(*parts: Domain) -> Union:
    return Union(parts)


def hypothesis_draw(data: st.DataObject) -> Draw:
    """Draws from hypothesis (which then shrinks a failing example)."""
    return lambda domain: data.draw(domain.strategy())


def seeded_draw(rng: random.Random) -> Draw:
    return lambda domain: domain.sample(rng)


def seeded_arguments(domains: Sequence[Domain], extra: int, rng: random.Random) -> list[list[Any]]:
    """Argument lists: first every notable value of every argument (the k-th list takes each argument's
    k-th notable value, its own list repeated as needed), then extra lists drawn by sample()."""
    notables = [domain.notable() for domain in domains]
    count = max((len(values) for values in notables), default=0)
    rows = [[values[(k + j) % len(values)] for j, values in enumerate(notables)] for k in range(count)]
    rows += [[domain.sample(rng) for domain in domains] for _ in range(extra)]
    return list({repr(row): row for row in rows}.values())  # once each; repr tells -0.0 from 0.0
