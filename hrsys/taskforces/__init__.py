from hrsys.people.service import register_history, rows_of
from hrsys.taskforces.models import TaskForceMember

register_history("task-force memberships", 2, rows_of(TaskForceMember))  # a member is never deleted
