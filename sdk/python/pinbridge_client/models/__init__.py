"""Contains all the data models used in inputs/outputs"""

from .access_token import AccessToken
from .access_token_request import AccessTokenRequest
from .account import Account
from .account_changed_data import AccountChangedData
from .audit_event import AuditEvent
from .audit_event_actor import AuditEventActor
from .audit_event_data import AuditEventData
from .audit_event_data_detail import AuditEventDataDetail
from .audit_log_actor import AuditLogActor
from .audit_log_page import AuditLogPage
from .audit_log_record import AuditLogRecord
from .audit_log_record_detail import AuditLogRecordDetail
from .check_result import CheckResult
from .connect_session import ConnectSession
from .connection import Connection
from .connection_account_changed_event import ConnectionAccountChangedEvent
from .connection_account_changed_event_type import ConnectionAccountChangedEventType
from .connection_created_event import ConnectionCreatedEvent
from .connection_created_event_type import ConnectionCreatedEventType
from .connection_disconnected_event import ConnectionDisconnectedEvent
from .connection_disconnected_event_type import ConnectionDisconnectedEventType
from .connection_event_data import ConnectionEventData
from .connection_list import ConnectionList
from .connection_reauthorized_event import ConnectionReauthorizedEvent
from .connection_reauthorized_event_type import ConnectionReauthorizedEventType
from .connection_refresh_failed_event import ConnectionRefreshFailedEvent
from .connection_refresh_failed_event_type import ConnectionRefreshFailedEventType
from .connection_state import ConnectionState
from .connection_state_changed_event import ConnectionStateChangedEvent
from .connection_state_changed_event_type import ConnectionStateChangedEventType
from .new_connect_session import NewConnectSession
from .pinterest_error import PinterestError
from .probe import Probe
from .problem import Problem
from .refresh_failed_data import RefreshFailedData
from .state_changed_data import StateChangedData
from .webhook_account import WebhookAccount
from .webhook_connection import WebhookConnection
from .webhook_environment import WebhookEnvironment
from .webhook_test_data import WebhookTestData
from .webhook_test_event import WebhookTestEvent
from .webhook_test_event_type import WebhookTestEventType

__all__ = (
    "AccessToken",
    "AccessTokenRequest",
    "Account",
    "AccountChangedData",
    "AuditEvent",
    "AuditEventActor",
    "AuditEventData",
    "AuditEventDataDetail",
    "AuditLogActor",
    "AuditLogPage",
    "AuditLogRecord",
    "AuditLogRecordDetail",
    "CheckResult",
    "Connection",
    "ConnectionAccountChangedEvent",
    "ConnectionAccountChangedEventType",
    "ConnectionCreatedEvent",
    "ConnectionCreatedEventType",
    "ConnectionDisconnectedEvent",
    "ConnectionDisconnectedEventType",
    "ConnectionEventData",
    "ConnectionList",
    "ConnectionReauthorizedEvent",
    "ConnectionReauthorizedEventType",
    "ConnectionRefreshFailedEvent",
    "ConnectionRefreshFailedEventType",
    "ConnectionState",
    "ConnectionStateChangedEvent",
    "ConnectionStateChangedEventType",
    "ConnectSession",
    "NewConnectSession",
    "PinterestError",
    "Probe",
    "Problem",
    "RefreshFailedData",
    "StateChangedData",
    "WebhookAccount",
    "WebhookConnection",
    "WebhookEnvironment",
    "WebhookTestData",
    "WebhookTestEvent",
    "WebhookTestEventType",
)
