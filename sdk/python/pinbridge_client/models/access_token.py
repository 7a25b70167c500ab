from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.account import Account


T = TypeVar("T", bound="AccessToken")


@_attrs_define
class AccessToken:
    """A connection's Pinterest access token. Send it to Pinterest as
    `Authorization: Bearer`; ask pinbridge again rather than refreshing it.

        Attributes:
            access_token (str):
            account (Account): The Pinterest account behind a connection.
            connection_id (str):
            expires_at (str):
            expires_in (int): Seconds from now until it expires.
            scopes (list[str]):
            token_type (str): Always `bearer`.
    """

    access_token: str
    account: Account
    connection_id: str
    expires_at: str
    expires_in: int
    scopes: list[str]
    token_type: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        access_token = self.access_token

        account = self.account.to_dict()

        connection_id = self.connection_id

        expires_at = self.expires_at

        expires_in = self.expires_in

        scopes = self.scopes

        token_type = self.token_type

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "access_token": access_token,
                "account": account,
                "connection_id": connection_id,
                "expires_at": expires_at,
                "expires_in": expires_in,
                "scopes": scopes,
                "token_type": token_type,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.account import Account  # noqa: PLC0415

        d = dict(src_dict)
        access_token = d.pop("access_token")

        account = Account.from_dict(d.pop("account"))

        connection_id = d.pop("connection_id")

        expires_at = d.pop("expires_at")

        expires_in = d.pop("expires_in")

        scopes = cast(list[str], d.pop("scopes"))

        token_type = d.pop("token_type")

        access_token = cls(
            access_token=access_token,
            account=account,
            connection_id=connection_id,
            expires_at=expires_at,
            expires_in=expires_in,
            scopes=scopes,
            token_type=token_type,
        )

        access_token.additional_properties = d
        return access_token

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
