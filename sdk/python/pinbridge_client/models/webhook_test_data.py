from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

T = TypeVar("T", bound="WebhookTestData")


@_attrs_define
class WebhookTestData:
    """The data of `webhook.test`.

    Attributes:
        endpoint_id (UUID): The endpoint the test was sent to.
        message (str):
    """

    endpoint_id: UUID
    message: str

    def to_dict(self) -> dict[str, Any]:
        endpoint_id = str(self.endpoint_id)

        message = self.message

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "endpoint_id": endpoint_id,
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        endpoint_id = UUID(d.pop("endpoint_id"))

        message = d.pop("message")

        webhook_test_data = cls(
            endpoint_id=endpoint_id,
            message=message,
        )

        return webhook_test_data
