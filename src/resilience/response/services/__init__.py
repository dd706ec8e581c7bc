"""Services of emergency response: plans, incidents, the task state machine and roll-call.

Plain functions taking models and returning models; each step is one transaction, checks the
acting user's right, and refuses bad input with a ``ValidationError`` naming the field.
"""
