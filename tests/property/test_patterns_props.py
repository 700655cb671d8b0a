"""Filter patterns under hypothesis.

(a) any text parses or raises PatternError with a position inside the text, and whatever
    parses compiles to SQL that DuckDB runs without error on awkward messages;
(b) printing a generated tree and parsing it back gives the same tree;
(c) on generated patterns and events, the SQL predicate (DuckDB), the BatchEvaluator and
    TestMetricFilter select exactly the events that a reference matcher selects. The
    reference below is written from the spec alone and uses nothing from owl.patterns; it
    builds its own pattern text, so even the parser is under test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from owl.patterns import (
    BatchEvaluator,
    PatternError,
    compile_pattern,
    fields,
    parse,
    to_text,
    value_sql,
)
from owl.patterns import match_messages as tmf
from owl.patterns.ast import (
    And,
    AnyElement,
    AnyFields,
    AnyMember,
    AnyValue,
    DelimitedPattern,
    Field,
    FieldCondition,
    Index,
    JsonCheck,
    JsonComparison,
    JsonPattern,
    Key,
    NumberValue,
    Or,
    Regex,
    RegexPattern,
    Selector,
    StringValue,
    Term,
    TermPattern,
)
from owl.patterns.sql import TOKENS_SQL

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CON = duckdb.connect()

# ---------------------------------------------------------------------------------------------
# (a) arbitrary text
# ---------------------------------------------------------------------------------------------

PATTERN_ALPHABET = list("{}[]()$.*\"%&|=!<>?-, '\\aZ09_:x\n") + [
    "$.a",
    "IS ",
    "NULL",
    "NOT ",
    "EXISTS",
    "TRUE",
    "&&",
    "||",
    "...",
    "[*]",
    ".*",
    "['k']",
]
AWKWARD = ["", "x", '{"a":1}', '{"a":[1,"x",null]}', "a b c", '"q r" [s t]', "{", "[1]", "é"]


@FAST
@given(
    st.one_of(
        st.text(max_size=60),
        st.lists(st.sampled_from(PATTERN_ALPHABET), max_size=25).map("".join),
        st.tuples(
            st.sampled_from(["{", "[", "%", "", "?", "-"]),
            st.lists(st.sampled_from(PATTERN_ALPHABET), max_size=20).map("".join),
            st.sampled_from(["}", "]", "%", ""]),
        ).map("".join),
    )
)
def test_a_any_text_parses_or_fails_with_position(text: str) -> None:
    try:
        compiled = compile_pattern(text)
    except PatternError as err:
        assert 0 <= err.position <= len(text)
        assert err.message.startswith("Invalid filter pattern")
        return
    CON.register("awkward", pa.table({"message": AWKWARD}))
    rows = CON.execute(f"SELECT {compiled.sql} FROM awkward", compiled.params).fetchall()
    assert all(r[0] in (True, False) for r in rows)


# ---------------------------------------------------------------------------------------------
# (b) print → parse round trip on generated trees
# ---------------------------------------------------------------------------------------------

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True)
numbers = st.from_regex(r"[+-]?[0-9]{1,3}(\.[0-9]{1,2})?([eE][+-]?[0-9])?", fullmatch=True)
regex_sources = st.sampled_from(
    ["a", "^a.b$", "[a-c]+|x{1,2}", r"\d+\.\d*", r"[^ ]{2,}", r"\x28", "a b?", r"\w\s\S"]
)
plain_values = st.one_of(
    st.text(max_size=8).map(StringValue),
    numbers.map(NumberValue),
    st.just(AnyValue()),
)
with_regex = st.one_of(plain_values, regex_sources.map(Regex))


def regex_count(node: Any) -> int:
    if isinstance(node, Regex):
        return 1
    if isinstance(node, tuple):
        return sum(regex_count(x) for x in node)
    fields = getattr(node, "__dataclass_fields__", {})
    return sum(regex_count(getattr(node, f)) for f in fields)


term_trees = st.lists(
    st.builds(Term, st.text(max_size=8), st.sampled_from(["", "-", "?"])), max_size=5
).map(lambda ts: TermPattern(tuple(ts)))

steps = st.one_of(
    st.text(min_size=1, max_size=6).filter(lambda k: "'" not in k).map(Key),
    names.map(Key),
    st.integers(0, 99).map(Index),
)


@st.composite
def selectors(draw: st.DrawFn) -> Selector:
    chosen: list[Any] = draw(st.lists(steps, min_size=1, max_size=3))
    if draw(st.booleans()):
        chosen.insert(
            draw(st.integers(0, len(chosen))), draw(st.sampled_from([AnyMember(), AnyElement()]))
        )
    return Selector(tuple(chosen))


def comparison(draw: st.DrawFn) -> Any:
    selector = draw(selectors())
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return JsonCheck(
            selector, draw(st.sampled_from(["IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"]))
        )
    if kind == 1:
        return JsonComparison(
            selector, draw(st.sampled_from(["<", ">", "<=", ">="])), draw(numbers.map(NumberValue))
        )
    return JsonComparison(selector, draw(st.sampled_from(["=", "!="])), draw(with_regex))


@st.composite
def json_exprs(draw: st.DrawFn, depth: int = 2) -> Any:
    if depth == 0 or draw(st.booleans()):
        return comparison(draw)
    node = draw(st.sampled_from([And, Or]))
    return node(draw(json_exprs(depth - 1)), draw(json_exprs(depth - 1)))


def wildcard_selectors(expr: Any) -> int:
    if isinstance(expr, And | Or):
        return wildcard_selectors(expr.left) + wildcard_selectors(expr.right)
    return 1 if expr.selector.wildcards else 0


json_trees = (
    json_exprs()
    .map(JsonPattern)
    .filter(lambda p: regex_count(p) <= 2 and wildcard_selectors(p.expr) <= 3)
)


@st.composite
def delimited_trees(draw: st.DrawFn) -> DelimitedPattern:
    slots: list[Field | AnyFields] = []
    used: set[str] = set()
    for _ in range(draw(st.integers(0, 5))):
        name = draw(names)
        if draw(st.integers(0, 4)) == 0 or name in used:
            slots.append(Field())
            continue
        used.add(name)
        conds = draw(
            st.lists(
                st.lists(
                    st.builds(FieldCondition, st.just("="), with_regex), min_size=1, max_size=2
                ).map(tuple),
                max_size=2,
            )
        )
        slots.append(Field(name, tuple(conds)))
    if draw(st.booleans()):
        slots.insert(draw(st.integers(0, len(slots))), AnyFields())
    tree = DelimitedPattern(tuple(slots))
    if slots == [Field()] or regex_count(tree) > 2:
        return DelimitedPattern()
    return tree


trees = st.one_of(
    term_trees,
    regex_sources.map(lambda s: RegexPattern(Regex(s))),
    json_trees,
    delimited_trees(),
)


@FAST
@given(trees)
def test_b_print_then_parse_is_identity(tree: Any) -> None:
    text = to_text(tree)
    assert parse(text) == tree, text
    assert str(tree) == text


# ---------------------------------------------------------------------------------------------
# (c) reference matcher — independent of owl.patterns
# ---------------------------------------------------------------------------------------------

NUM = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def ref_number(text: str) -> float | None:
    return float(text) if NUM.fullmatch(text) else None


def ref_glob(subject: str, literal: str) -> bool:
    core = literal.strip("*")
    lead, trail = literal.startswith("*"), literal.endswith("*")
    if lead and trail:
        return core in subject
    if lead:
        return subject.endswith(core)
    if trail:
        return subject.startswith(core)
    return subject == literal


def ref_compare(a: float, op: str, b: float) -> bool:
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b, "=": a == b, "!=": a != b}[op]


@dataclass(frozen=True)
class RefRegex:
    """A regex written by the test: branches of (atom, quantifier) with optional anchors."""

    branches: tuple[tuple[bool, tuple[tuple[str, str], ...], bool], ...]

    ATOMS = {
        "a": "a",
        "b": "b",
        "1": "1",
        ".": "(?:.|\n)",
        "[ab]": "[ab]",
        "[^a]": "[^a]",
        r"\d": "[0-9]",
        r"\.": r"\.",
        " ": " ",
        r"\x61": "a",
    }

    def text(self) -> str:
        parts = []
        for start, atoms, end in self.branches:
            body = "".join(atom + q for atom, q in atoms)
            parts.append(("^" if start else "") + body + ("$" if end else ""))
        return "|".join(parts)

    def search(self, subject: str) -> bool:
        for start, atoms, end in self.branches:
            body = "".join(self.ATOMS[a] + q for a, q in atoms)
            if re.search(("\\A" if start else "") + body + ("\\Z" if end else ""), subject):
                return True
        return False


ref_regexes = st.builds(
    RefRegex,
    st.lists(
        st.tuples(
            st.booleans(),
            st.lists(
                st.tuples(
                    st.sampled_from(sorted(RefRegex.ATOMS)),
                    st.sampled_from(["", "", "?", "*", "+", "{1,2}", "{2}", "{0,1}"]),
                ),
                min_size=1,
                max_size=3,
            ).map(tuple),
            st.booleans(),
        ),
        min_size=1,
        max_size=2,
    ).map(tuple),
)


def check(pattern: str, messages: list[str], expected: list[bool], fields: bool = False) -> None:
    compiled = compile_pattern(pattern)
    CON.register("events", pa.table({"message": pa.array(messages, pa.string())}))
    by_sql = [
        bool(r[0])
        for r in CON.execute(f"SELECT {compiled.sql} FROM events", compiled.params).fetchall()
    ]
    assert by_sql == expected, pattern
    with BatchEvaluator([pattern]) as evaluator:
        assert evaluator.evaluate(pa.array(messages, pa.string()))[0].to_pylist() == expected
    assert [n for n, _, _ in tmf(pattern, messages)] == [i for i, e in enumerate(expected) if e]


# ---- terms ----

term_words = st.text(alphabet="abc=.1", min_size=1, max_size=3)
term_phrases = st.text(alphabet='ab c-"\\', max_size=4)


@st.composite
def term_cases(draw: st.DrawFn) -> tuple[str, Callable[[str], bool]]:
    terms = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["", "-", "?"]), st.booleans(), st.one_of(term_words, term_phrases)
            ),
            min_size=1,
            max_size=4,
        )
    )
    parts, kept = [], []
    for mode, quoted, text in terms:
        if quoted or not re.fullmatch(r"[abc=.1]+", text):
            parts.append(mode + '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            parts.append(mode + text)
        if text.strip():
            kept.append((mode, text))

    def matcher(message: str) -> bool:
        if not kept:
            return True
        if all(m == "?" for m, _ in kept):
            return any(t in message for _, t in kept)
        return all((t in message) != (m == "-") for m, t in kept if m != "?")

    return " ".join(parts), matcher


@FAST
@given(term_cases(), st.lists(st.text(alphabet='ab c=.1-"\\', max_size=8), max_size=8))
def test_c_terms_agree_with_reference(
    case: tuple[str, Callable[[str], bool]], messages: list[str]
) -> None:
    pattern, matcher = case
    check(pattern, messages, [matcher(m) for m in messages])


@FAST
@given(ref_regexes, st.lists(st.text(alphabet="ab1. \n", max_size=6), max_size=8))
def test_c_regex_agrees_with_reference(rx: RefRegex, messages: list[str]) -> None:
    check(f"%{rx.text()}%", messages, [rx.search(m) for m in messages])


# ---- JSON ----

MISSING = object()
json_scalars = st.one_of(
    st.integers(-3, 3),
    st.sampled_from([0.5, -1.5, 1000.0, 2.25]),
    st.sampled_from(["", "a", "ab", "xa", "2", "1.5", "a*b", "b a"]),
    st.sampled_from([None, True, False]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3),
    ),
    max_leaves=6,
)
json_messages = st.one_of(
    st.dictionaries(st.sampled_from(["a", "b", "c", "x.y"]), json_values, max_size=4).map(
        json.dumps
    ),
    st.sampled_from(["plain a", "[1, 2]", '{"a": 1', 'p {"a": 1}', "", "null", '"a"']),
)
ref_selectors = st.sampled_from(
    [
        ("$.a", ("a",)),
        ("$.b", ("b",)),
        ("$.a.b", ("a", "b")),
        ("$.a[0]", ("a", 0)),
        ("$.a[*]", ("a", "[*]")),
        ("$.a.*", ("a", ".*")),
        ("$.['x.y']", ("x.y",)),
        ("$.c[1].a", ("c", 1, "a")),
        ("$.b[*].a", ("b", "[*]", "a")),
    ]
)


def ref_select(doc: Any, path: tuple[Any, ...]) -> list[Any]:
    current = [doc]
    for step in path:
        found: list[Any] = []
        for v in current:
            if step == "[*]" and isinstance(v, list):
                found.extend(v)
            elif step == ".*" and isinstance(v, dict):
                found.extend(v.values())
            elif isinstance(step, int) and isinstance(v, list) and step < len(v):
                found.append(v[step])
            elif (
                isinstance(step, str)
                and step not in ("[*]", ".*")
                and isinstance(v, dict)
                and step in v
            ):
                found.append(v[step])
        current = found
    return current


def is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def ref_value_test(op: str, kind: str, literal: Any) -> Callable[[Any], bool]:
    def test(v: Any) -> bool:
        is_str = isinstance(v, str)
        if kind == "check":
            return {"IS NULL": v is None, "IS TRUE": v is True, "IS FALSE": v is False}[literal]
        if kind == "any":
            return op == "=" and (is_str or is_num(v))
        if kind == "regex":
            return is_str and (literal.search(v) == (op == "="))
        if kind == "string":
            hit = is_str and ref_glob(v, literal)
            return hit if op == "=" else (is_num(v) or (is_str and not hit))
        number = float(literal)
        if op not in ("=", "!="):
            return is_num(v) and ref_compare(float(v), op, number)
        as_number = float(v) if is_num(v) else ref_number(v) if is_str else None
        equal = as_number is not None and as_number == number
        return equal if op == "=" else ((is_str or is_num(v)) and not equal)

    return test


@st.composite
def json_conditions(draw: st.DrawFn) -> tuple[str, Callable[[Any], bool]]:
    text, path = draw(ref_selectors)
    choice = draw(st.integers(0, 5))
    if choice == 0:
        word = draw(st.sampled_from(["IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"]))
        if word == "NOT EXISTS":
            return f"{text} NOT EXISTS", lambda d: not ref_select(d, path)
        test = ref_value_test("", "check", word)
        return f"{text} {word}", lambda d: any(test(v) for v in ref_select(d, path))
    if choice == 1:
        op = draw(st.sampled_from(["<", ">", "<=", ">=", "=", "!="]))
        literal = draw(st.sampled_from(["0", "1", "-1.5", "2", "1e3", "0.5", "2.25"]))
        test = ref_value_test(op, "number", literal)
        return f"{text} {op} {literal}", lambda d: any(test(v) for v in ref_select(d, path))
    op = draw(st.sampled_from(["=", "!="]))
    if choice == 2:
        test = ref_value_test(op, "any", None)
        return f"{text} {op} *", lambda d: any(test(v) for v in ref_select(d, path))
    if choice == 3:
        rx = draw(ref_regexes)
        test = ref_value_test(op, "regex", rx)
        return f"{text} {op} %{rx.text()}%", lambda d: any(test(v) for v in ref_select(d, path))
    literal = draw(st.sampled_from(["a", "*a", "a*", "*a*", "*", "", "a*b", "2", "b a", "**"]))
    test = ref_value_test(op, "string", literal)
    return f'{text} {op} "{literal}"', lambda d: any(test(v) for v in ref_select(d, path))


@st.composite
def json_cases(draw: st.DrawFn, depth: int = 2) -> tuple[str, Callable[[Any], bool]]:
    if depth == 0 or draw(st.booleans()):
        return draw(json_conditions())
    (lt, lf), (rt, rf) = draw(json_cases(depth - 1)), draw(json_cases(depth - 1))
    if draw(st.booleans()):
        return f"({lt} && {rt})", lambda d: lf(d) and rf(d)
    return f"({lt} || {rt})", lambda d: lf(d) or rf(d)


def as_object(message: str) -> Any:
    try:
        doc = json.loads(message)
    except ValueError:
        return MISSING
    return doc if isinstance(doc, dict) else MISSING


def pattern_fits(pattern: str) -> bool:
    return pattern.count("%") <= 4 and pattern.count("*]") + pattern.count(".*") <= 3


@FAST
@given(json_cases(), st.lists(json_messages, max_size=8))
def test_c_json_agrees_with_reference(
    case: tuple[str, Callable[[Any], bool]], messages: list[str]
) -> None:
    expr, matcher = case
    pattern = "{ " + expr + " }"
    if not pattern_fits(pattern):
        return
    expected = [(doc := as_object(m)) is not MISSING and matcher(doc) for m in messages]
    check(pattern, messages, expected)


# ---- space-delimited ----

TOKENS = ["1", "22", "ab", "-", '"x y"', "[p q]", "3.5", "a*b", "-4", '""', "[]", '"', "1e2"]


def ref_tokens(message: str) -> list[tuple[int, str]]:
    out, i = [], 0
    while i < len(message):
        if message[i] == " ":
            i += 1
            continue
        closer = {'"': '"', "[": "]"}.get(message[i])
        close = message.find(closer, i + 1) if closer else -1
        end = (
            close + 1
            if close >= 0
            else (message.find(" ", i) if " " in message[i:] else len(message))
        )
        out.append((i, message[i:end]))
        i = end
    return out


def ref_strip(token: str) -> str:
    if len(token) >= 2 and (token[0], token[-1]) in (('"', '"'), ("[", "]")):
        return token[1:-1]
    return token


@st.composite
def delimited_cases(draw: st.DrawFn) -> tuple[str, list[Any]]:
    """Pattern text and its slots: None for `...`, else (name, [[(op, kind, literal)]])."""
    slots: list[Any] = []
    regexes = 0
    for k in range(draw(st.integers(1, 4))):
        if draw(st.integers(0, 3)) == 0:
            slots.append(("", []))
            continue
        disjuncts = []
        for _ in range(draw(st.integers(0, 2))):
            conj: list[tuple[str, str, Any]] = []
            for _ in range(draw(st.integers(1, 2))):
                op = draw(st.sampled_from(["=", "!=", "<", ">=", "="]))
                if op in ("<", ">="):
                    conj.append(
                        (op, "number", draw(st.sampled_from(["1", "2", "-4", "3.5", "100"])))
                    )
                    continue
                kind = draw(st.sampled_from(["number", "bare", "quoted", "any", "regex"]))
                if kind == "regex" and regexes >= 2:
                    kind = "bare"  # at most two regexes per pattern (§5.9)
                if kind == "regex":
                    regexes += 1
                    conj.append((op, "regex", draw(ref_regexes)))
                elif kind == "number":
                    conj.append(
                        (op, "number", draw(st.sampled_from(["1", "22", "3.50", "-4", "1e2"])))
                    )
                elif kind == "any":
                    conj.append((op, "any", "*"))
                else:
                    conj.append(
                        (op, kind, draw(st.sampled_from(["ab", "a*", "*b", "*x*", "-", "a*b"])))
                    )
            disjuncts.append(conj)
        slots.append((f"f{k}", disjuncts))
    if slots == [("", [])]:
        slots = [("f0", [])]  # `[]` would mean no fields at all
    if draw(st.booleans()):
        slots.insert(draw(st.integers(0, len(slots))), None)

    def render(slot: Any) -> str:
        if slot is None:
            return "..."
        name: str = slot[0]
        disjuncts: list[list[tuple[str, str, Any]]] = slot[1]
        if not disjuncts:
            return name

        def cond(op: str, kind: str, literal: Any) -> str:
            if kind == "regex":
                return f"{name} {op} %{literal.text()}%"
            if kind == "quoted":
                return f'{name} {op} "{literal}"'
            return f"{name} {op} {literal}"

        return " || ".join(" && ".join(cond(*c) for c in conj) for conj in disjuncts)

    return "[" + ", ".join(render(s) for s in slots) + "]", slots


def ref_field_test(value: str, op: str, kind: str, literal: Any) -> bool:
    if kind == "any":
        hit = True
    elif kind == "regex":
        hit = literal.search(value)
    elif kind in ("bare", "quoted"):
        hit = ref_glob(value, literal)
    else:
        number = ref_number(value)
        if op not in ("=", "!="):
            return number is not None and ref_compare(number, op, float(literal))
        hit = number is not None and number == float(literal)
    return hit if op == "=" else not hit


def ref_delimited(slots: list[Any], message: str) -> dict[str, str] | None:
    tokens = ref_tokens(message)
    named = [s for s in slots if s is not None]
    if not slots:
        return {f"${i + 1}": ref_strip(t) for i, (_, t) in enumerate(tokens)}
    if len(tokens) < len(named):
        return None
    split = slots.index(None) if None in slots else None
    bound: list[tuple[int, Any, str]] = []  # (message position, slot, value)
    if split is None:
        for k, slot in enumerate(named):
            value = ref_strip(tokens[k][1])
            if k == len(named) - 1 and len(tokens) > len(named):
                value = message[tokens[k][0] :]
            bound.append((k + 1, slot, value))
    else:
        after = len(slots) - split - 1
        for k, slot in enumerate(named):
            position = k + 1 if k < split else len(tokens) - (len(named) - k) + 1
            bound.append((position, slot, ref_strip(tokens[position - 1][1])))
        for position in range(split + 1, len(tokens) - after + 1):
            bound.append((position, ("", []), ref_strip(tokens[position - 1][1])))
    for _, (_, disjuncts), value in bound:
        if disjuncts and not any(
            all(ref_field_test(value, *c) for c in conj) for conj in disjuncts
        ):
            return None
    return {
        f"${name or position}": value
        for position, (name, _), value in sorted(bound, key=lambda b: b[0])
    }


delimited_messages = st.lists(
    st.tuples(st.sampled_from(TOKENS), st.sampled_from([" ", " ", "  "])), max_size=5
).map(lambda parts: "".join(t + s for t, s in parts))


@FAST
@given(
    delimited_cases(),
    st.lists(st.one_of(delimited_messages, st.text(alphabet='ab "[] 1', max_size=8)), max_size=8),
)
def test_c_delimited_agrees_with_reference(
    case: tuple[str, list[Any]], messages: list[str]
) -> None:
    pattern, slots = case
    results = [ref_delimited(slots, m) for m in messages]
    check(pattern, messages, [r is not None for r in results])
    got = tmf(pattern, messages)
    assert [(n, values) for n, _, values in got] == [
        (i, r) for i, r in enumerate(results) if r is not None
    ]


# ---- the batch evaluator's shared columns (owl.patterns.fields, owl.patterns.sql.Shared) ----

field_texts = st.one_of(
    delimited_messages, st.text(alphabet='ab "[] 1\n\t\u00e9', max_size=12), st.just("")
)


@FAST
@given(st.lists(st.one_of(field_texts, st.none()), max_size=10), st.integers(0, 6))
def test_fields_split_as_the_reference_and_the_sql_splitter(
    messages: list[str | None], limit: int
) -> None:
    arr = pa.array(messages, pa.string())
    CON.register("events", pa.table({"message": arr}))
    by_sql = CON.execute(f"SELECT {TOKENS_SQL} FROM events").fetchall()
    got = fields.tokens(arr).to_pylist()
    assert got == [r[0] for r in by_sql]
    expected = [None if m is None else [t for _, t in ref_tokens(m)] for m in messages]
    assert got == expected
    assert fields.tokens(arr, limit).to_pylist() == [
        None if t is None else t[:limit] for t in expected
    ]
    positions = [1, 2, limit + 1, -1, -2] if limit else [1, 3]
    columns = fields.columns(arr, positions, limit)
    for i, tokens in enumerate(expected):
        if tokens is None:
            assert all(c[i].as_py() is None for c in columns.values())
            continue
        values = [ref_strip(t) for t in tokens]
        # Counted as far as some position needs; a position from the end needs them all.
        counted = len(values) if limit else min(len(values), 3)
        assert columns["_n"][i].as_py() == counted
        for k in positions:
            name = f"_t{k}" if k > 0 else f"_tm{-k}"
            want = values[k - 1] if 0 < k <= len(values) else None
            if k < 0:
                want = values[k] if -k <= len(values) else None
            assert columns[name][i].as_py() == want, (name, messages[i])


@FAST
@given(
    st.lists(st.one_of(delimited_cases(), json_cases()), min_size=2, max_size=4),
    st.lists(st.one_of(delimited_messages, json_messages), max_size=8),
)
def test_c_fused_patterns_and_values_equal_each_alone(
    cases: list[tuple[str, Any]], messages: list[str]
) -> None:
    """Patterns sharing one json_extract and one split give each pattern's own SQL verdict,
    and metric values equal value_sql's own expressions."""
    patterns = [text if text.startswith("[") else "{ " + text + " }" for text, _ in cases]
    patterns = [p for p in patterns if pattern_fits(p)]
    values: list[tuple[int, str]] = []
    for i, text in enumerate(patterns):
        tree = parse(text)
        if isinstance(tree, DelimitedPattern):
            named = [f.name for f in tree.fields if isinstance(f, Field) and f.name]
            values += [(i, f"${n}") for n in named[:2]] + [(i, "$1"), (i, "$3")]
        else:
            values += [(i, "$.a"), (i, "$.x.y")]
    table = pa.table({"message": pa.array(messages, pa.string())})
    CON.register("events", table)
    with BatchEvaluator(patterns, values) as evaluator:
        result = evaluator.run(table)
    for text, mask in zip(patterns, result.masks, strict=True):
        compiled = compile_pattern(text)
        alone = CON.execute(f"SELECT {compiled.sql} FROM events", compiled.params).fetchall()
        assert mask.to_pylist() == [bool(r[0]) for r in alone], text
    for (i, ref), column in zip(values, result.values, strict=True):
        expr, params = value_sql(parse(patterns[i]), ref)
        alone = CON.execute(f"SELECT ({expr})::VARCHAR FROM events", params).fetchall()
        assert column.to_pylist() == [r[0] for r in alone], (patterns[i], ref)
