from enum import StrEnum


class ConnectionState(StrEnum):
    ACTIVE = "active"
    DEGRADED = "degraded"
    INSUFFICIENT_SCOPE = "insufficient_scope"
    NEEDS_REAUTH = "needs_reauth"
    REVOKED = "revoked"

    def __str__(self) -> str:
        return str(self.value)
