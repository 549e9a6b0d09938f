from hrsys.careers import people_list

people_list.register()  # the people list's filter by role, and role codes for people
