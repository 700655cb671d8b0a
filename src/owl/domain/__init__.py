"""The metadata catalog: accounts, keys, log groups, streams and tags; knows no HTTP or AWS wire."""
