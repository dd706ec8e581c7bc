"""The seam between monitoring and early warning: sent after the alarm's transaction commits."""
from django.dispatch import Signal

alarm_raised = Signal()   # sender=Alarm, alarm=<Alarm>
alarm_cleared = Signal()  # sender=Alarm, alarm=<Alarm>
