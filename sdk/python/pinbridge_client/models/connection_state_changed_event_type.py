from enum import StrEnum


class ConnectionStateChangedEventType(StrEnum):
    CONNECTION_STATE_CHANGED = "connection.state_changed"

    def __str__(self) -> str:
        return str(self.value)
