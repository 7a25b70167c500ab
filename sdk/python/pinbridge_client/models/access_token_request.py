from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="AccessTokenRequest")


@_attrs_define
class AccessTokenRequest:
    """How long the token must stay valid.

    Attributes:
        min_valid_secs (int | None | Unset): The token must stay valid at least this many seconds (0 to 86400,
            default 300); it is refreshed first when it would not.
    """

    min_valid_secs: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        min_valid_secs: int | None | Unset
        if isinstance(self.min_valid_secs, Unset):
            min_valid_secs = UNSET
        else:
            min_valid_secs = self.min_valid_secs

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if min_valid_secs is not UNSET:
            field_dict["min_valid_secs"] = min_valid_secs

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_min_valid_secs(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        min_valid_secs = _parse_min_valid_secs(d.pop("min_valid_secs", UNSET))

        access_token_request = cls(
            min_valid_secs=min_valid_secs,
        )

        return access_token_request
