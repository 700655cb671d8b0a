"""CloudWatch metrics: the datum shape, the metric store, statistics and alarms."""
