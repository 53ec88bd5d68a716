"""Hybrid logical clock versions (Kulkarni et al. 2014).

A version is a string ``PPPPPPPPPPPPP-CCCCCC-NODE``: wall-clock milliseconds, a counter
and the station id. Fixed width, so comparing two versions as strings orders them by
(time, counter, station): a total order that every station agrees on. A station whose
clock runs slow still produces versions later than every version it has seen.
"""

from __future__ import annotations

import time
from typing import Callable

_MAX_COUNTER = 999_999


def format_version(millis: int, counter: int, node: str) -> str:
    return "{millis:013d}-{counter:06d}-{node}".format(millis=millis, counter=counter, node=node)


def parse_version(version: str) -> tuple[int, int, str]:
    millis, counter, node = version.split("-", 2)
    return int(millis), int(counter), node


class HybridClock:
    def __init__(self, node: str, last: str | None = None, wall: Callable[[], float] = time.time):
        self.node = node
        self.wall = wall
        self.millis, self.counter = (parse_version(last)[:2] if last else (0, 0))

    def _advance(self, millis: int, counter: int) -> str:
        if counter > _MAX_COUNTER:  # more than a million events in one millisecond: borrow the next
            millis, counter = millis + 1, 0
        self.millis, self.counter = millis, counter
        return format_version(millis, counter, self.node)

    def now(self) -> str:
        """A version later than every one this clock issued or observed."""
        physical = int(self.wall() * 1000)
        if physical > self.millis:
            return self._advance(physical, 0)
        return self._advance(self.millis, self.counter + 1)

    def observe(self, version: str) -> None:
        """Take in a version received from another station, so later local versions follow it."""
        millis, counter, _node = parse_version(version)
        if (millis, counter) > (self.millis, self.counter):
            self.millis, self.counter = millis, counter

    @property
    def last(self) -> str:
        return format_version(self.millis, self.counter, self.node)
