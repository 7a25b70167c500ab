from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="NewConnectSession")


@_attrs_define
class NewConnectSession:
    """What a connect session is for: one end user, and where they go afterwards.

    Attributes:
        end_user_id (str): Your product's id for the end user (1 to 200 characters). Connecting
            again for the same end user keeps their connection's id.
        display_name (None | str | Unset): A name to show on the connect page (up to 100 characters).
        return_url (None | str | Unset): Where to send the end user afterwards. Its origin must be on the
            environment's allowed return origins.
    """

    end_user_id: str
    display_name: None | str | Unset = UNSET
    return_url: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        end_user_id = self.end_user_id

        display_name: None | str | Unset
        if isinstance(self.display_name, Unset):
            display_name = UNSET
        else:
            display_name = self.display_name

        return_url: None | str | Unset
        if isinstance(self.return_url, Unset):
            return_url = UNSET
        else:
            return_url = self.return_url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "end_user_id": end_user_id,
            }
        )
        if display_name is not UNSET:
            field_dict["display_name"] = display_name
        if return_url is not UNSET:
            field_dict["return_url"] = return_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        end_user_id = d.pop("end_user_id")

        def _parse_display_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        display_name = _parse_display_name(d.pop("display_name", UNSET))

        def _parse_return_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        return_url = _parse_return_url(d.pop("return_url", UNSET))

        new_connect_session = cls(
            end_user_id=end_user_id,
            display_name=display_name,
            return_url=return_url,
        )

        return new_connect_session
