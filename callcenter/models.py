"""Every model, imported in one place so metadata (and migrations) see the whole schema."""
from .auth.models import AgentSkill, ApiToken, Skill, Team, User, user_teams  # noqa: F401
from .calls.models import Call  # noqa: F401
from .customers.models import Customer, CustomerMatch, PrivacyLog  # noqa: F401
from .directory.models import PasswordLink, SetupLogEntry  # noqa: F401
from .followups.models import FollowUp, FollowUpAttempt, FollowUpPolicy, Recovery, Survey  # noqa: F401
from .kpi.models import ReportSubscription  # noqa: F401
from .notifications.models import OutboundMessage  # noqa: F401
from .replies.models import CannedResponse  # noqa: F401
from .routing.models import Offer, RoutingRule  # noqa: F401
from .sla.models import SlaCalendar, SlaClock, SlaFired, SlaPolicy  # noqa: F401
from .tickets.models import (  # noqa: F401
    Category,
    IdempotencyKey,
    Promise,
    StatusLink,
    Ticket,
    TicketEvent,
    TicketMessage,
)
