from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.webhook_account import WebhookAccount
    from ..models.webhook_connection import WebhookConnection


T = TypeVar("T", bound="AccountChangedData")


@_attrs_define
class AccountChangedData:
    """The data of `connection.account_changed`.

    Attributes:
        account (WebhookAccount): A Pinterest account as webhook events name it.
        connection (WebhookConnection): The connection an event is about, as it is after the change.
        previous_account (WebhookAccount): A Pinterest account as webhook events name it.
    """

    account: WebhookAccount
    connection: WebhookConnection
    previous_account: WebhookAccount

    def to_dict(self) -> dict[str, Any]:
        account = self.account.to_dict()

        connection = self.connection.to_dict()

        previous_account = self.previous_account.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account": account,
                "connection": connection,
                "previous_account": previous_account,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.webhook_account import WebhookAccount  # noqa: PLC0415
        from ..models.webhook_connection import WebhookConnection  # noqa: PLC0415

        d = dict(src_dict)
        account = WebhookAccount.from_dict(d.pop("account"))

        connection = WebhookConnection.from_dict(d.pop("connection"))

        previous_account = WebhookAccount.from_dict(d.pop("previous_account"))

        account_changed_data = cls(
            account=account,
            connection=connection,
            previous_account=previous_account,
        )

        return account_changed_data
