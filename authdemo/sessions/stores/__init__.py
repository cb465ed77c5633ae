"""Session stores behind one contract (`Store`): in memory, or in Redis."""

from authdemo.sessions.stores.base import Record, Store, StoreUnavailable
from authdemo.sessions.stores.memory import MemoryStore
from authdemo.sessions.stores.redis import RedisStore

__all__ = ["MemoryStore", "Record", "RedisStore", "Store", "StoreUnavailable"]
