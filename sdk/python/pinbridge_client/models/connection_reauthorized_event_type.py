from enum import StrEnum


class ConnectionReauthorizedEventType(StrEnum):
    CONNECTION_REAUTHORIZED = "connection.reauthorized"

    def __str__(self) -> str:
        return str(self.value)
