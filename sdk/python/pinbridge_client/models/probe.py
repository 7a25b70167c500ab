from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Probe")


@_attrs_define
class Probe:
    """The latest health probe (`GET /v5/user_account` with the connection's token).

    Attributes:
        account_changed (bool): Pinterest answered with another account than the one connected.
        checked_at (str):
        latency_ms (int):
        outcome (str): ok, unauthorized, missing_scope, transient or skipped.
        http_status (int | None | Unset):
    """

    account_changed: bool
    checked_at: str
    latency_ms: int
    outcome: str
    http_status: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_changed = self.account_changed

        checked_at = self.checked_at

        latency_ms = self.latency_ms

        outcome = self.outcome

        http_status: int | None | Unset
        if isinstance(self.http_status, Unset):
            http_status = UNSET
        else:
            http_status = self.http_status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_changed": account_changed,
                "checked_at": checked_at,
                "latency_ms": latency_ms,
                "outcome": outcome,
            }
        )
        if http_status is not UNSET:
            field_dict["http_status"] = http_status

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        account_changed = d.pop("account_changed")

        checked_at = d.pop("checked_at")

        latency_ms = d.pop("latency_ms")

        outcome = d.pop("outcome")

        def _parse_http_status(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        http_status = _parse_http_status(d.pop("http_status", UNSET))

        probe = cls(
            account_changed=account_changed,
            checked_at=checked_at,
            latency_ms=latency_ms,
            outcome=outcome,
            http_status=http_status,
        )

        probe.additional_properties = d
        return probe

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
