"""App factories for `python -m authdemo serve` (uvicorn imports these by name, per worker)."""

from fastapi import FastAPI

from authdemo.app import create_app
from authdemo.redis_client import connect_redis
from authdemo.settings import Settings
from authdemo.vulnerable_seed import create_vulnerable_seed_app


def hardened() -> FastAPI:
    return create_app(Settings.from_env())


def vulnerable_seed() -> FastAPI:
    settings = Settings.from_env()
    redis = connect_redis(settings.redis_url) if settings.redis_url else None
    return create_vulnerable_seed_app(redis=redis)
