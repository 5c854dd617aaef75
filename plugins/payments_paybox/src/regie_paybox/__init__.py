"""Online card payments through Paybox (Verifone)."""
