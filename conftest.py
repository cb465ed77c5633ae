"""Test switches for the whole repository (tests and notebooks).

Tests marked `redis` run against the real server named by AUTHDEMO_REDIS_URL and are
skipped, with that reason, when it is not set. Tests marked `slow` (long fuzz and
soak runs) need `--run-slow`, which `.ci/run` passes.
"""

from __future__ import annotations

import os

import pytest

REDIS_URL = os.environ.get("AUTHDEMO_REDIS_URL")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run long fuzz and soak tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_slow = pytest.mark.skip(reason="slow: long fuzz/soak run; enable with --run-slow")
    skip_redis = pytest.mark.skip(reason="needs a real Redis: set AUTHDEMO_REDIS_URL "
                                  "(.ci/run starts one)")
    for item in items:
        if "slow" in item.keywords and not config.getoption("--run-slow"):
            item.add_marker(skip_slow)
        if "redis" in item.keywords and not REDIS_URL:
            item.add_marker(skip_redis)
