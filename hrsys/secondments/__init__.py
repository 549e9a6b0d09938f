from hrsys.people.service import register_history, rows_of
from hrsys.secondments.models import Secondment

register_history("secondments", 3, rows_of(Secondment))  # a person seconded is never deleted
