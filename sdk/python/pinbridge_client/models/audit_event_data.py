from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.audit_event_actor import AuditEventActor
    from ..models.audit_event_data_detail import AuditEventDataDetail


T = TypeVar("T", bound="AuditEventData")


@_attrs_define
class AuditEventData:
    """The data of an audit stream event: the audit record, as
    `GET /v1/audit-events` gives it.

        Attributes:
            action (str): What happened, e.g. `environment.promoted` (the event's `type` without `audit.`).
            actor (AuditEventActor): Who did what an audit record records.
            created_at (datetime.datetime): When it was recorded (RFC 3339, UTC).
            detail (AuditEventDataDetail): More about it, as pinbridge recorded it. Never a secret: values under
                names that look like one are stored as `[redacted]`.
            hash_ (str): Its hash (SHA-256, lowercase hex), which covers every field of the
                record and `prev_hash`.
            id (UUID): The record's id.
            prev_hash (str): The hash of the record before it in the chain (64 zeros for the first).
            seq (int): Its place in its workspace's hash chain, from 1.
            target (str): What was acted on, in words (an email, an environment's name).
            environment_id (None | Unset | UUID): The environment it is about; `null` for a record of the workspace itself.
            ip (None | str | Unset): The address the request came from, when a request did it.
            user_agent (None | str | Unset): The request's user agent, when a request did it.
    """

    action: str
    actor: AuditEventActor
    created_at: datetime.datetime
    detail: AuditEventDataDetail
    hash_: str
    id: UUID
    prev_hash: str
    seq: int
    target: str
    environment_id: None | Unset | UUID = UNSET
    ip: None | str | Unset = UNSET
    user_agent: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        action = self.action

        actor = self.actor.to_dict()

        created_at = self.created_at.isoformat()

        detail = self.detail.to_dict()

        hash_ = self.hash_

        id = str(self.id)

        prev_hash = self.prev_hash

        seq = self.seq

        target = self.target

        environment_id: None | str | Unset
        if isinstance(self.environment_id, Unset):
            environment_id = UNSET
        elif isinstance(self.environment_id, UUID):
            environment_id = str(self.environment_id)
        else:
            environment_id = self.environment_id

        ip: None | str | Unset
        if isinstance(self.ip, Unset):
            ip = UNSET
        else:
            ip = self.ip

        user_agent: None | str | Unset
        if isinstance(self.user_agent, Unset):
            user_agent = UNSET
        else:
            user_agent = self.user_agent

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "action": action,
                "actor": actor,
                "created_at": created_at,
                "detail": detail,
                "hash": hash_,
                "id": id,
                "prev_hash": prev_hash,
                "seq": seq,
                "target": target,
            }
        )
        if environment_id is not UNSET:
            field_dict["environment_id"] = environment_id
        if ip is not UNSET:
            field_dict["ip"] = ip
        if user_agent is not UNSET:
            field_dict["user_agent"] = user_agent

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_event_actor import AuditEventActor  # noqa: PLC0415
        from ..models.audit_event_data_detail import AuditEventDataDetail  # noqa: PLC0415

        d = dict(src_dict)
        action = d.pop("action")

        actor = AuditEventActor.from_dict(d.pop("actor"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        detail = AuditEventDataDetail.from_dict(d.pop("detail"))

        hash_ = d.pop("hash")

        id = UUID(d.pop("id"))

        prev_hash = d.pop("prev_hash")

        seq = d.pop("seq")

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

        def _parse_ip(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ip = _parse_ip(d.pop("ip", UNSET))

        def _parse_user_agent(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_agent = _parse_user_agent(d.pop("user_agent", UNSET))

        audit_event_data = cls(
            action=action,
            actor=actor,
            created_at=created_at,
            detail=detail,
            hash_=hash_,
            id=id,
            prev_hash=prev_hash,
            seq=seq,
            target=target,
            environment_id=environment_id,
            ip=ip,
            user_agent=user_agent,
        )

        return audit_event_data
