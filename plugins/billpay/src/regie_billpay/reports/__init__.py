"""The day reports of the desks: consolidated register, register per payee, DBF per payee."""
