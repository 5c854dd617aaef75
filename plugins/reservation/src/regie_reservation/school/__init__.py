"""The school's back-office pages: individuals, logins, labels, reservations, settings."""
