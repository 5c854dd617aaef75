"""The placier's mobile mode: home, badge scans in INFO / PLACEMENT / TICKET mode, lists."""
