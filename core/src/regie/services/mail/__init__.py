"""Mail: the durable outbox, templates rendered in a plain-data sandbox, recipient addresses,
the mail settings of establishments and users, and the transport contract plugins implement."""
