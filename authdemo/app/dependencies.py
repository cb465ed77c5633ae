"""What every route needs, built once per app and handed out by FastAPI's `Depends`."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from pydantic import BaseModel, Field
from redis.asyncio import Redis

from authdemo.sessions.stores.base import Store
from authdemo.settings import Settings
from authdemo.tokens import Denylist, RefreshFamilies, TokenCodec
from authdemo.users import UserDirectory


@dataclass
class Services:
    """One app's collaborators. Two apps may share a `redis` (and so their state) or not."""

    settings: Settings
    users: UserDirectory
    redis: Redis
    session_store: Store
    tokens: TokenCodec
    denylist: Denylist
    refresh_families: RefreshFamilies


async def services(request: Request) -> Services:
    """`async`, though it awaits nothing: FastAPI runs a plain `def` dependency in a thread
    pool, and that hop cost more than the rest of a JWT check (see benchmarks/README.md)."""
    return request.app.state.services


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
