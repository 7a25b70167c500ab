from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.audit_event_data import AuditEventData
    from ..models.webhook_environment import WebhookEnvironment


T = TypeVar("T", bound="AuditEvent")


@_attrs_define
class AuditEvent:
    """`audit.*`: one audit record of the endpoint's environment or of its
    workspace, as it was written (see the audit stream's webhook).

        Attributes:
            data (AuditEventData): The data of an audit stream event: the audit record, as
                `GET /v1/audit-events` gives it.
            environment (WebhookEnvironment): The environment an event happened in.
            id (UUID): The event's id, sent as the `webhook-id` header too: the same on
                every attempt, so deduplicate by it.
            timestamp (datetime.datetime): When it happened (RFC 3339, UTC): the record's time.
            type_ (str): `audit.` and the record's action, e.g. `audit.environment.promoted`.
    """

    data: AuditEventData
    environment: WebhookEnvironment
    id: UUID
    timestamp: datetime.datetime
    type_: str

    def to_dict(self) -> dict[str, Any]:
        data = self.data.to_dict()

        environment = self.environment.to_dict()

        id = str(self.id)

        timestamp = self.timestamp.isoformat()

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "data": data,
                "environment": environment,
                "id": id,
                "timestamp": timestamp,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_event_data import AuditEventData  # noqa: PLC0415
        from ..models.webhook_environment import WebhookEnvironment  # noqa: PLC0415

        d = dict(src_dict)
        data = AuditEventData.from_dict(d.pop("data"))

        environment = WebhookEnvironment.from_dict(d.pop("environment"))

        id = UUID(d.pop("id"))

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        type_ = d.pop("type")

        audit_event = cls(
            data=data,
            environment=environment,
            id=id,
            timestamp=timestamp,
            type_=type_,
        )

        return audit_event
