"""Use cases: one function per thing a user does. The only layer that combines domain
computation with the store, the audit ledger and permissions; API, web and CLI all call these."""
