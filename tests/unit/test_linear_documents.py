"""Every GraphQL document Rotadesk sends must validate against Linear's published schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, StringValueNode, build_schema, parse, validate, visit
from graphql.language import Visitor

from core import linear_queries

SCHEMA = Path(__file__).resolve().parent.parent / "fixtures" / "linear" / "schema.graphql"


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(SCHEMA.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(linear_queries.ALL_DOCUMENTS))
def test_document_is_valid_against_linears_schema(schema: GraphQLSchema, name: str) -> None:
    errors = validate(schema, parse(linear_queries.ALL_DOCUMENTS[name]))
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize("name", sorted(linear_queries.ALL_DOCUMENTS))
def test_document_takes_values_only_as_variables(name: str) -> None:
    strings: list[str] = []

    class Strings(Visitor):
        def enter_string_value(self, node: StringValueNode, *_args: object) -> None:
            strings.append(node.value)

    visit(parse(linear_queries.ALL_DOCUMENTS[name]), Strings())
    assert strings == []


def test_every_document_constant_is_listed() -> None:
    constants = {
        name
        for name, value in vars(linear_queries).items()
        if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query", "mutation"))
    }
    assert constants == set(linear_queries.ALL_DOCUMENTS)


def test_an_invalid_document_is_caught(schema: GraphQLSchema) -> None:
    # The check above is only worth something if a wrong field name fails it.
    errors = validate(schema, parse("query { issue(id: $id) { id notAField } }"))
    assert {"Cannot query field 'notAField' on type 'Issue'."} <= {e.message for e in errors}
