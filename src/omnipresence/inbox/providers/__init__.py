"""The real channel providers: each module owns its adapter (sending), its webhook's signature
check and its payload parsing. `base` holds what they share; docs/inbox.md, "Channels", lists them."""
