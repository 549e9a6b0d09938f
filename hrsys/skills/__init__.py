from hrsys.people.service import register_history, rows_of
from hrsys.skills import people_list
from hrsys.skills.models import Assessment

people_list.register()  # the people list's filter by current skills
register_history("skill assessments", 1, rows_of(Assessment))  # a person assessed is never deleted
