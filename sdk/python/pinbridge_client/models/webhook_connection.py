from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..models.connection_state import ConnectionState

if TYPE_CHECKING:
    from ..models.webhook_account import WebhookAccount


T = TypeVar("T", bound="WebhookConnection")


@_attrs_define
class WebhookConnection:
    """The connection an event is about, as it is after the change.

    Attributes:
        account (WebhookAccount): A Pinterest account as webhook events name it.
        end_user_id (str): Your product's id for the end user.
        id (UUID): The connection's id, as in `/v1/connections/{id}`.
        state (ConnectionState): A connection's state.
        state_reason (str): Why it is in this state, in words.
        state_since (datetime.datetime): Since when it is in this state.
    """

    account: WebhookAccount
    end_user_id: str
    id: UUID
    state: ConnectionState
    state_reason: str
    state_since: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        account = self.account.to_dict()

        end_user_id = self.end_user_id

        id = str(self.id)

        state = self.state.value

        state_reason = self.state_reason

        state_since = self.state_since.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account": account,
                "end_user_id": end_user_id,
                "id": id,
                "state": state,
                "state_reason": state_reason,
                "state_since": state_since,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.webhook_account import WebhookAccount  # noqa: PLC0415

        d = dict(src_dict)
        account = WebhookAccount.from_dict(d.pop("account"))

        end_user_id = d.pop("end_user_id")

        id = UUID(d.pop("id"))

        state = ConnectionState(d.pop("state"))

        state_reason = d.pop("state_reason")

        state_since = datetime.datetime.fromisoformat(d.pop("state_since"))

        webhook_connection = cls(
            account=account,
            end_user_id=end_user_id,
            id=id,
            state=state,
            state_reason=state_reason,
            state_since=state_since,
        )

        return webhook_connection
