"""``regie canteen agent``: the program that runs on the school's network, beside the back-office
database, and keeps it in step with the hosted canteen (the seed's OCSSynchro).

It reads and writes the back office through a mapping (:mod:`.config`): an SQL database reached
by any SQLAlchemy URL (:mod:`.sql_backend`) or exchange folders of CSV files
(:mod:`.csv_backend`), and talks to the hosted sync API over HTTPS (:mod:`.client`). The
streams (:mod:`.streams`) run at the seed's cadences (:mod:`.scheduler`); what they have done
is kept in a small local state file (:mod:`.state`) so that a run cut by a network loss
resumes without sending or writing anything twice.
"""
