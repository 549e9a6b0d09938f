"""Task forces."""

from hrsys.taskforces import budget_requests as budget_requests  # what deciding a budget request does
from hrsys.taskforces import consent as consent  # the appointment kind of request, registered at import
from hrsys.taskforces import registrations as registrations  # registrations with the layers below, at import
