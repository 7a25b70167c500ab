from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="WebhookAccount")


@_attrs_define
class WebhookAccount:
    """A Pinterest account as webhook events name it.

    Attributes:
        id (str): Pinterest's id of the account.
        username (str):
    """

    id: str
    username: str

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        username = self.username

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "username": username,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        username = d.pop("username")

        webhook_account = cls(
            id=id,
            username=username,
        )

        return webhook_account
