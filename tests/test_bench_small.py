"""`make bench-small`'s arithmetic: the ratios it reports are the medians of what it timed."""

from __future__ import annotations

from scripts.bench.small_run import TARGET, SmallRunResult, Timed


def result(minimal: list[float], run: list[float], floor: list[float], plain: list[float]) -> SmallRunResult:
    pairs = [(Timed(m, m), Timed(r, 2 * r)) for m, r in zip(minimal, run, strict=True)]
    return SmallRunResult(pairs, [Timed(f, f) for f in floor], [Timed(p, p) for p in plain])


def test_the_ratio_is_the_median_of_the_pairs_and_the_project_builds_are_against_the_minimal_median():
    timed = result(minimal=[2.0, 2.0, 4.0], run=[5.0, 4.0, 4.0], floor=[2.0, 2.2, 2.1], plain=[5.0, 6.0, 5.5])
    assert timed.ratio == 2.0  # pairs 2.5, 2.0, 1.0
    assert timed.cpu_ratio == 4.0  # the make run side used twice its wall time in CPU
    assert timed.against_minimal(timed.project_floor) == 2.1 / 2.0
    assert timed.against_minimal(timed.project_build) == 5.5 / 2.0
    summary = timed.summary()
    assert f"NOT within {TARGET}x" in summary
    assert "selecting no node 2.10 s (1.05x the minimal build)" in summary
    assert "without the pipeline, 5.50 s (2.75x)" in summary


def test_a_run_within_the_target_is_said_to_be():
    timed = result(minimal=[2.0], run=[2.0 * TARGET], floor=[2.0], plain=[3.0])
    assert f"within {TARGET}x" in timed.summary() and "NOT" not in timed.summary()
