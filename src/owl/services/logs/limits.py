"""The size rules CloudWatch Logs applies to batches and pages, in one place."""

EVENT_OVERHEAD = 26  # bytes counted per event on top of its UTF-8 message
MAX_BATCH_BYTES = 1_048_576  # PutLogEvents: messages + overhead
MAX_PAGE_BYTES = 1_048_576  # GetLogEvents / FilterLogEvents: one page
DEFAULT_PAGE_EVENTS = 10_000  # events per page when no limit is given
