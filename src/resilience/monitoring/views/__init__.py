"""Pages of the monitoring app: sensors with live charts, alarms, rules, dead letters, the
dashboard panel and the map layer."""
