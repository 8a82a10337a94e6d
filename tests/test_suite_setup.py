"""The test suite's own set-up holds: what `make test` relies on to run fast and not twice."""

from __future__ import annotations

import pytest


@pytest.mark.xdist_group("suite-setup")
def test_an_xdist_group_keeps_its_tests_on_one_worker(request: pytest.FixtureRequest):
    """`make test` runs with `--dist loadgroup`, which sends the tests of one `xdist_group` to one
    worker, so that a fixture they share (the plain dbt builds, a docs site) is made once while the
    other workers go on. pytest-xdist marks the group in the test's id; under a pytest that no
    longer reads that mark (9.2 with xdist 3.8), every group is silently ignored. This test
    fails then (requirements.in pins pytest accordingly)."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("the suite runs without --dist loadgroup (make test PYTEST_ARGS=-n0)")
    assert request.node.nodeid.endswith("@suite-setup"), request.node.nodeid
