"""Hand mail to a desktop mail client as .eml files."""
