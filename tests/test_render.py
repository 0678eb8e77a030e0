"""The rendering helpers: figures, their sources and tables."""

from __future__ import annotations


def test_a_source_listing_works_in_its_own_parentheses_is_cited_whole() -> None:
    """Review (third round), cross-cutting 5: "(A. K. Erlang (1917); M. Harchol-Balter, …)"
    was split at its inner "; " into two broken citations."""
    from pyt_arch_kit.planning.model import Figure
    from pyt_arch_kit.render import figures_cited

    source = "headroom below 0.8 (A. K. Erlang (1917); M. Harchol-Balter, 2013, ch. 14); N+1"
    f = Figure("x", "X", 1.0, "", "x", (), source)
    listed = figures_cited([f]).split("Sources:")[1]
    assert "1. headroom below 0.8 (A. K. Erlang (1917); M. Harchol-Balter, 2013, ch. 14)" in listed
    assert "2. N+1" in listed and "3." not in listed
