from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.connection_state import ConnectionState
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.account import Account
    from ..models.probe import Probe


T = TypeVar("T", bound="Connection")


@_attrs_define
class Connection:
    """An end user's Pinterest connection. Never carries a token.

    Attributes:
        account (Account): The Pinterest account behind a connection.
        authorized_at (str):
        created_at (str):
        end_user_id (str):
        id (str):
        reason (str): Why it is in this state, in words.
        scopes_granted (list[str]):
        scopes_missing (list[str]): Required scopes the grant lacks.
        scopes_required (list[str]): The scopes the environment requires now.
        since (str): Since when it is in this state.
        state (ConnectionState): A connection's state.
        access_token_expires_at (None | str | Unset):
        display_name (None | str | Unset):
        last_probe (None | Probe | Unset):
        last_probe_at (None | str | Unset):
        last_refresh_at (None | str | Unset):
        refresh_token_expires_at (None | str | Unset):
    """

    account: Account
    authorized_at: str
    created_at: str
    end_user_id: str
    id: str
    reason: str
    scopes_granted: list[str]
    scopes_missing: list[str]
    scopes_required: list[str]
    since: str
    state: ConnectionState
    access_token_expires_at: None | str | Unset = UNSET
    display_name: None | str | Unset = UNSET
    last_probe: None | Probe | Unset = UNSET
    last_probe_at: None | str | Unset = UNSET
    last_refresh_at: None | str | Unset = UNSET
    refresh_token_expires_at: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.probe import Probe  # noqa: PLC0415

        account = self.account.to_dict()

        authorized_at = self.authorized_at

        created_at = self.created_at

        end_user_id = self.end_user_id

        id = self.id

        reason = self.reason

        scopes_granted = self.scopes_granted

        scopes_missing = self.scopes_missing

        scopes_required = self.scopes_required

        since = self.since

        state = self.state.value

        access_token_expires_at: None | str | Unset
        if isinstance(self.access_token_expires_at, Unset):
            access_token_expires_at = UNSET
        else:
            access_token_expires_at = self.access_token_expires_at

        display_name: None | str | Unset
        if isinstance(self.display_name, Unset):
            display_name = UNSET
        else:
            display_name = self.display_name

        last_probe: dict[str, Any] | None | Unset
        if isinstance(self.last_probe, Unset):
            last_probe = UNSET
        elif isinstance(self.last_probe, Probe):
            last_probe = self.last_probe.to_dict()
        else:
            last_probe = self.last_probe

        last_probe_at: None | str | Unset
        if isinstance(self.last_probe_at, Unset):
            last_probe_at = UNSET
        else:
            last_probe_at = self.last_probe_at

        last_refresh_at: None | str | Unset
        if isinstance(self.last_refresh_at, Unset):
            last_refresh_at = UNSET
        else:
            last_refresh_at = self.last_refresh_at

        refresh_token_expires_at: None | str | Unset
        if isinstance(self.refresh_token_expires_at, Unset):
            refresh_token_expires_at = UNSET
        else:
            refresh_token_expires_at = self.refresh_token_expires_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account": account,
                "authorized_at": authorized_at,
                "created_at": created_at,
                "end_user_id": end_user_id,
                "id": id,
                "reason": reason,
                "scopes_granted": scopes_granted,
                "scopes_missing": scopes_missing,
                "scopes_required": scopes_required,
                "since": since,
                "state": state,
            }
        )
        if access_token_expires_at is not UNSET:
            field_dict["access_token_expires_at"] = access_token_expires_at
        if display_name is not UNSET:
            field_dict["display_name"] = display_name
        if last_probe is not UNSET:
            field_dict["last_probe"] = last_probe
        if last_probe_at is not UNSET:
            field_dict["last_probe_at"] = last_probe_at
        if last_refresh_at is not UNSET:
            field_dict["last_refresh_at"] = last_refresh_at
        if refresh_token_expires_at is not UNSET:
            field_dict["refresh_token_expires_at"] = refresh_token_expires_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.account import Account  # noqa: PLC0415
        from ..models.probe import Probe  # noqa: PLC0415

        d = dict(src_dict)
        account = Account.from_dict(d.pop("account"))

        authorized_at = d.pop("authorized_at")

        created_at = d.pop("created_at")

        end_user_id = d.pop("end_user_id")

        id = d.pop("id")

        reason = d.pop("reason")

        scopes_granted = cast(list[str], d.pop("scopes_granted"))

        scopes_missing = cast(list[str], d.pop("scopes_missing"))

        scopes_required = cast(list[str], d.pop("scopes_required"))

        since = d.pop("since")

        state = ConnectionState(d.pop("state"))

        def _parse_access_token_expires_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        access_token_expires_at = _parse_access_token_expires_at(d.pop("access_token_expires_at", UNSET))

        def _parse_display_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        display_name = _parse_display_name(d.pop("display_name", UNSET))

        def _parse_last_probe(data: object) -> None | Probe | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                last_probe_type_0 = Probe.from_dict(data)

                return last_probe_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Probe | Unset, data)

        last_probe = _parse_last_probe(d.pop("last_probe", UNSET))

        def _parse_last_probe_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_probe_at = _parse_last_probe_at(d.pop("last_probe_at", UNSET))

        def _parse_last_refresh_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_refresh_at = _parse_last_refresh_at(d.pop("last_refresh_at", UNSET))

        def _parse_refresh_token_expires_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        refresh_token_expires_at = _parse_refresh_token_expires_at(d.pop("refresh_token_expires_at", UNSET))

        connection = cls(
            account=account,
            authorized_at=authorized_at,
            created_at=created_at,
            end_user_id=end_user_id,
            id=id,
            reason=reason,
            scopes_granted=scopes_granted,
            scopes_missing=scopes_missing,
            scopes_required=scopes_required,
            since=since,
            state=state,
            access_token_expires_at=access_token_expires_at,
            display_name=display_name,
            last_probe=last_probe,
            last_probe_at=last_probe_at,
            last_refresh_at=last_refresh_at,
            refresh_token_expires_at=refresh_token_expires_at,
        )

        connection.additional_properties = d
        return connection

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
