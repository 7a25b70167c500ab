from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="AuditEventActor")


@_attrs_define
class AuditEventActor:
    """Who did what an audit record records.

    Attributes:
        label (str): Who, in words: an operator's email, `pinbridge`, `cli`, an end user.
        operator_id (None | Unset | UUID): The operator, when a person signed in to the portal did it; `null`
            for pinbridge itself, the command line or an end user.
    """

    label: str
    operator_id: None | Unset | UUID = UNSET

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

        audit_event_actor = cls(
            label=label,
            operator_id=operator_id,
        )

        return audit_event_actor
