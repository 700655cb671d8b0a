"""The wire: AWS protocols in, (service, operation, params) out; knows botocore, not the domain."""
