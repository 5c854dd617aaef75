"""Send mail through an SMTP server."""
