"""Demo users with properly hashed passwords.

The seed logs anyone in by username alone. Here a password is checked against an
Argon2id hash (argon2-cffi: hashing is not the lesson, so we use a well-kept
library). An unknown user is checked against a dummy hash, so "no such user" and
"wrong password" take the same time and give the same answer: the response cannot
be used to find out who has an account.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error


@dataclass(frozen=True)
class User:
    username: str
    role: str
    password_hash: str = field(repr=False)


DEMO_PASSWORDS = {
    "alice": ("user", "alice-wonderland-2026"),
    "bob": ("user", "bob-builder-2026"),
    "carol": ("admin", "carol-admin-2026"),
}
"""Printed by `python -m authdemo serve` and used in the notebooks. Demo only."""


class UserDirectory:
    def __init__(self, users: dict[str, User], hasher: PasswordHasher) -> None:
        self._users = users
        self._hasher = hasher
        self._dummy_hash = hasher.hash("not a real password")

    @classmethod
    def demo(cls, hasher: PasswordHasher | None = None) -> UserDirectory:
        """The demo users. With the default hasher, built once per process and shared:
        Argon2 is slow on purpose, and a notebook builds many apps."""
        if hasher is None:
            return _default_demo_directory()
        users = {name: User(name, role, hasher.hash(password))
                 for name, (role, password) in DEMO_PASSWORDS.items()}
        return cls(users, hasher)

    def authenticate(self, username: str, password: str) -> User | None:
        """The user, if the password is right. Takes the same time whether or not they exist."""
        user = self._users.get(username)
        try:
            self._hasher.verify(user.password_hash if user else self._dummy_hash, password)
        except Argon2Error:
            return None
        return user

    def get(self, username: str) -> User | None:
        return self._users.get(username)

    def __iter__(self):
        return iter(self._users.values())


@functools.lru_cache(maxsize=1)
def _default_demo_directory() -> UserDirectory:
    return UserDirectory.demo(PasswordHasher())
