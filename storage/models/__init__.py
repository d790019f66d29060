"""Every table of linli, one module per feature; importing this package registers them all.

The migrations (storage/migrations/env.py) compare against ``Base.metadata`` from here, so
nothing a feature adds can be missed.
"""

from storage.models.activities import (
    Activity,
    ActivityReminder,
    ActivitySlot,
    Registration,
    RegistrationStatus,
)
from storage.models.base import (
    NAMING,
    Base,
)
from storage.models.broadcasts import (
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    OptOut,
    ResidentTag,
    SendPause,
    Worker,
)
from storage.models.canteen import (
    CanteenSettings,
    MealOrder,
    Menu,
    OrderStatus,
    StandingOrder,
)
from storage.models.messaging import (
    ButtonPayload,
    CallbackNonce,
    ConversationState,
    InboundUpdate,
    OutboxMessage,
    OutboxStatus,
    ProcessedMessage,
)
from storage.models.people import (
    ChannelAccount,
    Community,
    Resident,
    StaffInvite,
    StaffMember,
    StaffPreference,
)
from storage.models.polls import (
    Poll,
    PollAnswer,
    PollQuestion,
    PollResponse,
    QuestionKind,
    ResultsShown,
)
from storage.models.records import (
    AppSecret,
    AuditLog,
    JobMark,
)
from storage.models.suggestions import (
    ACTIVE_STATUSES,
    Handoff,
    Suggestion,
    SuggestionEvent,
    SuggestionRating,
    SuggestionStatus,
    SuggestionSupporter,
)

__all__ = [
    "ACTIVE_STATUSES",
    "NAMING",
    "Activity",
    "ActivityReminder",
    "ActivitySlot",
    "AppSecret",
    "AuditLog",
    "Base",
    "Broadcast",
    "BroadcastKind",
    "BroadcastStatus",
    "ButtonPayload",
    "CallbackNonce",
    "CanteenSettings",
    "ChannelAccount",
    "Community",
    "ConversationState",
    "Handoff",
    "InboundUpdate",
    "JobMark",
    "MealOrder",
    "Menu",
    "OptOut",
    "OrderStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Poll",
    "PollAnswer",
    "PollQuestion",
    "PollResponse",
    "ProcessedMessage",
    "QuestionKind",
    "Registration",
    "RegistrationStatus",
    "Resident",
    "ResidentTag",
    "ResultsShown",
    "SendPause",
    "StaffInvite",
    "StaffMember",
    "StaffPreference",
    "StandingOrder",
    "Suggestion",
    "SuggestionEvent",
    "SuggestionRating",
    "SuggestionStatus",
    "SuggestionSupporter",
    "Worker",
]
