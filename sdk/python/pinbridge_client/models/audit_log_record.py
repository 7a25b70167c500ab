from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.audit_log_actor import AuditLogActor
    from ..models.audit_log_record_detail import AuditLogRecordDetail


T = TypeVar("T", bound="AuditLogRecord")


@_attrs_define
class AuditLogRecord:
    """One audit record.

    Attributes:
        action (str): What happened, e.g. `member.added`, `pinterest.secret_replaced`.
        actor (AuditLogActor): Who did it.
        created_at (datetime.datetime):
        detail (AuditLogRecordDetail): What else pinbridge recorded, as a JSON object. Secrets never appear.
        id (UUID):
        target (str): What was acted on, in words (an email, an environment's or key's name).
        environment_id (None | Unset | UUID): The environment it happened in; null for the workspace's own records
            (members, sign-ins, branding).
        hash_ (None | str | Unset): Its hash, over its fields and `prev_hash` (`pinbridge audit verify`
            checks the chain).
        ip (None | str | Unset):
        prev_hash (None | str | Unset): The hash of the record before it in the chain.
        seq (int | None | Unset): Its place in its workspace's hash chain, from 1 (null only in a
            portal export, for a record written before the chain began and not
            chained yet).
        user_agent (None | str | Unset):
    """

    action: str
    actor: AuditLogActor
    created_at: datetime.datetime
    detail: AuditLogRecordDetail
    id: UUID
    target: str
    environment_id: None | Unset | UUID = UNSET
    hash_: None | str | Unset = UNSET
    ip: None | str | Unset = UNSET
    prev_hash: None | str | Unset = UNSET
    seq: int | None | Unset = UNSET
    user_agent: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        action = self.action

        actor = self.actor.to_dict()

        created_at = self.created_at.isoformat()

        detail = self.detail.to_dict()

        id = str(self.id)

        target = self.target

        environment_id: None | str | Unset
        if isinstance(self.environment_id, Unset):
            environment_id = UNSET
        elif isinstance(self.environment_id, UUID):
            environment_id = str(self.environment_id)
        else:
            environment_id = self.environment_id

        hash_: None | str | Unset
        if isinstance(self.hash_, Unset):
            hash_ = UNSET
        else:
            hash_ = self.hash_

        ip: None | str | Unset
        if isinstance(self.ip, Unset):
            ip = UNSET
        else:
            ip = self.ip

        prev_hash: None | str | Unset
        if isinstance(self.prev_hash, Unset):
            prev_hash = UNSET
        else:
            prev_hash = self.prev_hash

        seq: int | None | Unset
        if isinstance(self.seq, Unset):
            seq = UNSET
        else:
            seq = self.seq

        user_agent: None | str | Unset
        if isinstance(self.user_agent, Unset):
            user_agent = UNSET
        else:
            user_agent = self.user_agent

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "actor": actor,
                "created_at": created_at,
                "detail": detail,
                "id": id,
                "target": target,
            }
        )
        if environment_id is not UNSET:
            field_dict["environment_id"] = environment_id
        if hash_ is not UNSET:
            field_dict["hash"] = hash_
        if ip is not UNSET:
            field_dict["ip"] = ip
        if prev_hash is not UNSET:
            field_dict["prev_hash"] = prev_hash
        if seq is not UNSET:
            field_dict["seq"] = seq
        if user_agent is not UNSET:
            field_dict["user_agent"] = user_agent

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_log_actor import AuditLogActor  # noqa: PLC0415
        from ..models.audit_log_record_detail import AuditLogRecordDetail  # noqa: PLC0415

        d = dict(src_dict)
        action = d.pop("action")

        actor = AuditLogActor.from_dict(d.pop("actor"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        detail = AuditLogRecordDetail.from_dict(d.pop("detail"))

        id = UUID(d.pop("id"))

        target = d.pop("target")

        def _parse_environment_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                environment_id_type_0 = UUID(data)

                return environment_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        environment_id = _parse_environment_id(d.pop("environment_id", UNSET))

        def _parse_hash_(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        hash_ = _parse_hash_(d.pop("hash", UNSET))

        def _parse_ip(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ip = _parse_ip(d.pop("ip", UNSET))

        def _parse_prev_hash(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        prev_hash = _parse_prev_hash(d.pop("prev_hash", UNSET))

        def _parse_seq(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        seq = _parse_seq(d.pop("seq", UNSET))

        def _parse_user_agent(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_agent = _parse_user_agent(d.pop("user_agent", UNSET))

        audit_log_record = cls(
            action=action,
            actor=actor,
            created_at=created_at,
            detail=detail,
            id=id,
            target=target,
            environment_id=environment_id,
            hash_=hash_,
            ip=ip,
            prev_hash=prev_hash,
            seq=seq,
            user_agent=user_agent,
        )

        audit_log_record.additional_properties = d
        return audit_log_record

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
