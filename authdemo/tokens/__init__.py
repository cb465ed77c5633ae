"""JSON Web Tokens: stateless verification (`codec`) and the state that revocation needs
(`revocation`)."""

from authdemo.tokens.codec import InvalidToken, IssuedToken, TokenCodec
from authdemo.tokens.revocation import Denylist, RefreshFamilies

__all__ = ["Denylist", "InvalidToken", "IssuedToken", "RefreshFamilies", "TokenCodec"]
