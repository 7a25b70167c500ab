from enum import StrEnum


class ConnectionDisconnectedEventType(StrEnum):
    CONNECTION_DISCONNECTED = "connection.disconnected"

    def __str__(self) -> str:
        return str(self.value)
