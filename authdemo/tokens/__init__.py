"""JSON Web Tokens: stateless verification (`codec`) and the state that revocation needs
(`revocation`)."""

from authdemo.tokens.codec import InvalidToken, IssuedToken, TokenCodec
from authdemo.tokens.revocation import Denylist, RefreshFamilies, revocation_reason

__all__ = ["Denylist", "InvalidToken", "IssuedToken", "RefreshFamilies", "TokenCodec",
           "revocation_reason"]
