"""Services of the health app: archives and derived tags, care and follow-ups, post-crisis
screening and referrals. Plain functions taking models and returning models."""
