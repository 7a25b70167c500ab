from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.webhook_connection import WebhookConnection


T = TypeVar("T", bound="RefreshFailedData")


@_attrs_define
class RefreshFailedData:
    """The data of `connection.refresh_failed`.

    Attributes:
        connection (WebhookConnection): The connection an event is about, as it is after the change.
        failures (int): Transient failures in a row before pinbridge gave up (0 when Pinterest
            refused the refresh token outright).
        reason (str): Why the refresh failed, in words.
    """

    connection: WebhookConnection
    failures: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        connection = self.connection.to_dict()

        failures = self.failures

        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "connection": connection,
                "failures": failures,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.webhook_connection import WebhookConnection  # noqa: PLC0415

        d = dict(src_dict)
        connection = WebhookConnection.from_dict(d.pop("connection"))

        failures = d.pop("failures")

        reason = d.pop("reason")

        refresh_failed_data = cls(
            connection=connection,
            failures=failures,
            reason=reason,
        )

        return refresh_failed_data
