from enum import StrEnum


class ConnectionCreatedEventType(StrEnum):
    CONNECTION_CREATED = "connection.created"

    def __str__(self) -> str:
        return str(self.value)
