from hrsys.people.service import register_history, rows_of
from hrsys.training.models import Enrolment

register_history("enrolments", 4, rows_of(Enrolment))  # a person enrolled is never deleted
