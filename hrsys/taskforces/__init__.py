"""Task forces."""

from hrsys.taskforces import budget_requests as budget_requests  # what deciding a budget request does
from hrsys.taskforces import registrations as registrations  # registrations with the layers below, at import
