"""Matching the names people write in requirements (``" Kafka"``, ``"kafka"``) to our keys."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

#: How many distinct lists of names keep their normalised set (a plan has four lists; ranking
#: the open questions re-plans a few dozen what-ifs of the same requirements).
_CACHED_LISTS = 32


_LAST: dict[int, tuple[tuple[str, ...], frozenset[str]]] = {}


def named(names: Iterable[str]) -> frozenset[str]:
    """The names, stripped and lower-cased, as a set to intersect with known keys.

    A plan asks about the same few lists (``must_use``, ``technologies``, …) hundreds of times,
    and a list may hold 100,000 names: a tuple's set is made once and then looked up (a lookup
    hashes the tuple in C, with each name's hash already cached), so a plan's cost stays linear
    in the names with a small constant.
    """
    if isinstance(names, tuple):
        last = _LAST.get(id(names))
        if last is not None and last[0] is names:  # the same tuple again: no hashing at all
            return last[1]
        result = _named_tuple(names)
        if len(_LAST) >= _CACHED_LISTS:
            _LAST.clear()
        _LAST[id(names)] = (names, result)  # the entry keeps the tuple (and its id) alive
        return result
    return frozenset(n.strip().lower() for n in names)


@lru_cache(maxsize=_CACHED_LISTS)
def _named_tuple(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n.strip().lower() for n in names)
