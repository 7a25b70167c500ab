from enum import StrEnum


class ConnectionRefreshFailedEventType(StrEnum):
    CONNECTION_REFRESH_FAILED = "connection.refresh_failed"

    def __str__(self) -> str:
        return str(self.value)
