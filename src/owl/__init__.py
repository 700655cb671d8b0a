"""owl: a self-hosted log service that speaks the Amazon CloudWatch Logs API."""

__version__ = "0.1.0"
