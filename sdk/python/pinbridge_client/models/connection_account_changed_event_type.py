from enum import StrEnum


class ConnectionAccountChangedEventType(StrEnum):
    CONNECTION_ACCOUNT_CHANGED = "connection.account_changed"

    def __str__(self) -> str:
        return str(self.value)
