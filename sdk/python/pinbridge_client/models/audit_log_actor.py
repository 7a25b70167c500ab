from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="AuditLogActor")


@_attrs_define
class AuditLogActor:
    """Who did it.

    Attributes:
        label (str): How the record names the actor: an operator's email, an API key's
            label, `pinbridge`, `cli`.
        operator_id (None | Unset | UUID): The operator's id, when an operator did it (null for pinbridge
            itself, an API key, the command line).
    """

    label: str
    operator_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        label = self.label

        operator_id: None | str | Unset
        if isinstance(self.operator_id, Unset):
            operator_id = UNSET
        elif isinstance(self.operator_id, UUID):
            operator_id = str(self.operator_id)
        else:
            operator_id = self.operator_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "label": label,
            }
        )
        if operator_id is not UNSET:
            field_dict["operator_id"] = operator_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        label = d.pop("label")

        def _parse_operator_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                operator_id_type_0 = UUID(data)

                return operator_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        operator_id = _parse_operator_id(d.pop("operator_id", UNSET))

        audit_log_actor = cls(
            label=label,
            operator_id=operator_id,
        )

        audit_log_actor.additional_properties = d
        return audit_log_actor

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
