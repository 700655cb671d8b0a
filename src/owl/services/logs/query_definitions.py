"""Saved Logs Insights queries: PutQueryDefinition, DescribeQueryDefinitions, DeleteQueryDefinition.

Thin: the model validator has already checked lengths, the 20-parameter cap and the parameter
name pattern; the domain (owl.domain.query_definitions) holds the semantics.
"""

from __future__ import annotations

from typing import Any

from owl.domain.query_definitions import DEFAULT_LANGUAGE, QueryDefinition, QueryParameter
from owl.services.base import Call, Params, Result
from owl.services.logs import LOGS


def _query_definition(d: QueryDefinition) -> dict[str, Any]:
    """A `QueryDefinition` on the wire; empty lists are left out, as AWS does."""
    out: dict[str, Any] = {
        "queryLanguage": d.query_language,
        "queryDefinitionId": d.id,
        "name": d.name,
        "queryString": d.query_string,
        "lastModified": d.last_modified_ms,
    }
    if d.log_group_names:
        out["logGroupNames"] = list(d.log_group_names)
    if d.parameters:
        out["parameters"] = [_parameter(p) for p in d.parameters]
    return out


def _parameter(p: QueryParameter) -> dict[str, str]:
    out = {"name": p.name}
    if p.default_value is not None:
        out["defaultValue"] = p.default_value
    if p.description is not None:
        out["description"] = p.description
    return out


@LOGS.operation("PutQueryDefinition")
def put_query_definition(call: Call, p: Params) -> Result:
    definition_id = call.backends.query_definitions.put(
        call.scope,
        name=p["name"],
        query_string=p["queryString"],
        query_language=p.get("queryLanguage", DEFAULT_LANGUAGE),
        definition_id=p.get("queryDefinitionId"),
        log_group_names=p.get("logGroupNames") or (),
        parameters=[
            QueryParameter(q["name"], q.get("defaultValue"), q.get("description"))
            for q in p.get("parameters") or ()
        ],
        client_token=p.get("clientToken"),
    )
    return {"queryDefinitionId": definition_id}


@LOGS.operation("DescribeQueryDefinitions")
def describe_query_definitions(call: Call, p: Params) -> Result:
    page = call.backends.query_definitions.describe(
        call.scope,
        prefix=p.get("queryDefinitionNamePrefix"),
        query_language=p.get("queryLanguage"),
        limit=p.get("maxResults", 1000),
        next_token=p.get("nextToken"),
    )
    out: dict[str, Any] = {"queryDefinitions": [_query_definition(d) for d in page.items]}
    if page.next_token:
        out["nextToken"] = page.next_token
    return out


@LOGS.operation("DeleteQueryDefinition")
def delete_query_definition(call: Call, p: Params) -> Result:
    call.backends.query_definitions.delete(call.scope, p["queryDefinitionId"])
    return {"success": True}
