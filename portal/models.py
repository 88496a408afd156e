"""Imports every model so that metadata (and Alembic) sees the whole schema."""

from portal.accounts.models import ExternalIdentity, OneTimeToken, User, UserRole  # noqa: F401
from portal.accounts.throttle import SignInFailure  # noqa: F401
from portal.audit.models import AuditEntry  # noqa: F401
from portal.feedback.models import Competency, InterviewKit, Rating, Scorecard, ScorecardVersion, Vote  # noqa: F401
from portal.feedback.outcome_models import Offer, StageFeedback, StageRating  # noqa: F401
from portal.hiring.models import (  # noqa: F401
    Application,
    InterviewKind,
    PanelMember,
    PlannedInterview,
    Position,
    ProcessTemplate,
    StaffQualification,
    Stage,
    StageEvent,
    StageProgress,
)
from portal.notifications.models import OutboxMessage  # noqa: F401
from portal.scheduling.models import (  # noqa: F401
    AccommodationRequest,
    AvailabilityWindow,
    BlockedDay,
    BusyTime,
    Interview,
    PoolMember,
    SchedulingProfile,
)
from portal.storage.models import StoredFile  # noqa: F401
from portal.takehome.models import (  # noqa: F401
    Assignment,
    Attempt,
    RubricCriterion,
    Submission,
    TechnicalScreenOffer,
    TimeRequest,
)
