"""Relief and needs (DESIGN §2.6, the lockdown lesson): needs surveys, residents' requests ranked
by a stated priority, supplies with a balanced ledger, distributions, group purchases, and matching
of requests to stock and volunteers."""
