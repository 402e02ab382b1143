"""The CI sample of the hostile-input suite: no foreign exception, no hang, bounded memory.

Each crafted input (one or more per attack class, see ``benchmarks/hostile_*_cases.py``) is
read in a child process with a capped address space and a timeout; the full run is
``python benchmarks/hostile_inputs.py``.
"""

from __future__ import annotations

import pytest

from benchmarks.hostile_inputs import all_cases, memory_excess_mib, run_cases, summarize

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_sample_of_hostile_inputs() -> None:
    cases = [c for c in all_cases() if c.sample]
    assert len({c.reader for c in cases}) == 7  # every reader is attacked
    results = run_cases(cases, timeout_s=30.0)
    summary = summarize(results)
    bad = [r for r in results if r.outcome not in ("ok", "refused")]
    assert not bad, [(r.reader, r.name, r.outcome, r.detail[-400:]) for r in bad]
    heavy = [r for r in results if memory_excess_mib(r) > 0]
    assert not heavy, [(r.reader, r.name, r.peak_rss_mib, r.output_mib) for r in heavy]
    assert summary["total"]["refused"] >= len(cases) - 3  # the rest load (they are valid)
