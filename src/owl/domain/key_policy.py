"""Does a KMS key policy let CloudWatch Logs use the key for a log group?

AWS refuses to put a log group under a key whose policy does not allow the service principal
`logs.<region>.amazonaws.com` to encrypt, decrypt and make data keys (the default key policy,
which trusts only the account, does not). This evaluates the statements that matter for that
one question: Allow/Deny, Principal, Action and NotAction with wildcards, Resource, and the
condition operators AWS's own examples use on the encryption context (ArnLike, ArnEquals,
StringEquals, StringLike). A statement with a condition it cannot evaluate does not allow.
"""

from __future__ import annotations

import fnmatch
from typing import Any

import orjson

# What CloudWatch Logs asks KMS for on a group's behalf.
NEEDED_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")
CONTEXT_KEY = "kms:encryptioncontext:aws:logs:arn"
_OPERATORS = {"arnlike", "arnequals", "stringequals", "stringlike"}


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _matches(patterns: list[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)


def _principal_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return service in _listed(principal.get("Service")) or "*" in _listed(principal.get("AWS"))
    return False


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    if "Action" in statement:
        return _matches(_listed(statement["Action"]), action)
    if "NotAction" in statement:
        return not _matches(_listed(statement["NotAction"]), action)
    return False


def _conditions_hold(condition: Any, group_arn: str) -> bool:
    if condition is None:
        return True
    if not isinstance(condition, dict):
        return False
    for operator, tests in condition.items():
        op = str(operator).lower()
        if op not in _OPERATORS or not isinstance(tests, dict):
            return False
        for key, expected in tests.items():
            if str(key).lower() != CONTEXT_KEY:
                return False
            values = _listed(expected)
            if op.endswith("like"):
                ok = _matches(values, group_arn)
            else:
                ok = group_arn in values
            if not ok:
                return False
    return True


def allows_logs(policy: str, region: str, group_arn: str) -> bool:
    """Whether `policy` lets CloudWatch Logs of `region` use the key for `group_arn`."""
    try:
        doc = orjson.loads(policy)
    except orjson.JSONDecodeError:
        return False
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return False
    service = f"logs.{region}.amazonaws.com"
    allowed: set[str] = set()
    for st in statements:
        if not isinstance(st, dict) or not _principal_matches(st.get("Principal"), service):
            continue
        if "Resource" in st and not _matches(_listed(st["Resource"]), "*"):
            continue  # in a key policy the resource is the key itself: "*"
        if not _conditions_hold(st.get("Condition"), group_arn):
            continue
        for action in NEEDED_ACTIONS:
            if _action_matches(st, action):
                if st.get("Effect") == "Deny":
                    return False
                if st.get("Effect") == "Allow":
                    allowed.add(action)
    return allowed == set(NEEDED_ACTIONS)
