from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..models.connection_state import ConnectionState

if TYPE_CHECKING:
    from ..models.webhook_connection import WebhookConnection


T = TypeVar("T", bound="StateChangedData")


@_attrs_define
class StateChangedData:
    """The data of `connection.state_changed`.

    Attributes:
        connection (WebhookConnection): The connection an event is about, as it is after the change.
        previous_state (ConnectionState): A connection's state.
        reason (str): Why, in words (the same as `connection.state_reason`).
        state (ConnectionState): A connection's state.
    """

    connection: WebhookConnection
    previous_state: ConnectionState
    reason: str
    state: ConnectionState

    def to_dict(self) -> dict[str, Any]:
        connection = self.connection.to_dict()

        previous_state = self.previous_state.value

        reason = self.reason

        state = self.state.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "connection": connection,
                "previous_state": previous_state,
                "reason": reason,
                "state": state,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.webhook_connection import WebhookConnection  # noqa: PLC0415

        d = dict(src_dict)
        connection = WebhookConnection.from_dict(d.pop("connection"))

        previous_state = ConnectionState(d.pop("previous_state"))

        reason = d.pop("reason")

        state = ConnectionState(d.pop("state"))

        state_changed_data = cls(
            connection=connection,
            previous_state=previous_state,
            reason=reason,
            state=state,
        )

        return state_changed_data
