"""Shared fixtures: settings with fixed demo secrets, apps, clients, and the Redis switch.

The `redis` and `slow` markers are handled in the top-level conftest.py.
"""

from __future__ import annotations

import os

import pytest
from argon2 import PasswordHasher

from authdemo import Secret, Settings, create_app, in_process_client
from authdemo.teaching import TeachingClock
from authdemo.users import UserDirectory

REDIS_URL = os.environ.get("AUTHDEMO_REDIS_URL")  # None: Redis-marked tests are skipped

JWT_SECRET = Secret("test-jwt-secret-0123456789abcdef-0123456789")
SESSION_SECRET = Secret("test-session-secret-0123456789abcdef-012345")
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""Cheap Argon2 parameters so hundreds of logins stay fast; production uses the defaults."""


@pytest.fixture(scope="session")
def users() -> UserDirectory:
    return UserDirectory.demo(FAST_HASHER)


@pytest.fixture
def settings() -> Settings:
    return Settings(jwt_secret=JWT_SECRET, session_secrets=(SESSION_SECRET,))


@pytest.fixture
def app(settings, users):
    return create_app(settings, users=users)


@pytest.fixture
def client(app):
    with in_process_client(app) as c:
        yield c


@pytest.fixture
def clock():
    """The process clock frozen at 2026-01-01 09:00 UTC (PyJWT and fakeredis read it too);
    `clock.advance(seconds)` jumps it. Released after the test."""
    with TeachingClock() as frozen:
        yield frozen
