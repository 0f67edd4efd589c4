#!/usr/bin/env python3
"""Writes the `components.schemas` of docs/openapi.yaml from schemas/*.fbs, or checks it.

  scripts/python-env.sh python scripts/openapi_schemas.py --write   # after changing a .fbs
  scripts/python-env.sh python scripts/openapi_schemas.py --check   # ctest openapi_doc: exit 1 on drift
                                                                    # or on a document that is no valid OpenAPI

The HTTP API's bodies are FlatBuffers' own JSON form of tables in schemas/ (DESIGN §5), printed
by events::Codec with every scalar field (defaults included) and enums as their names. So the
schemas are derived here from the .fbs text itself, never written by hand: a table is an object
of exactly its fields (additionalProperties: false), an enum a string of its names, an integer
type an integer with its format and range, a vector an array, a union field the pair
`<field>_type` (the member's name) and `<field>` (the member table), as a oneOf of one variant
a member.

Which fields are always printed (the `required` lists) follows from how each body is built:
- Scalars are printed always: the printer writes defaults, and an optional scalar (`= null`)
  that is not set as null (so it is `nullable`).
- A string, vector or table is printed only when the buffer holds it. The read views
  (views.fbs) and the HTTP edge's own tables (http.fbs) are built field by field and set every
  one of them, except those in ABSENT below; the answer and its decisions (answers.fbs,
  decisions.fbs) come from the object API, which leaves out an empty string, vector or table.
Request bodies (the Action and its tables) require only what DESIGN §2 asks of every action: an
absent scalar is the schema's default, and the engine decides what is missing (422).
tests/http/openapi_test.py checks live responses against these lists.

The .fbs grammar used by schemas/ is small (namespace, include, enum, union, table, root_type,
file_identifier, attributes in parentheses, `//` comments); anything else is an error here.
"""
import argparse
import difflib
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FBS = ["common.fbs", "actions.fbs", "decisions.fbs", "answers.fbs", "views.fbs", "http.fbs"]
DOC = os.path.join(ROOT, "docs", "openapi.yaml")
MARKER = "  schemas:  # GENERATED from schemas/*.fbs by scripts/openapi_schemas.py --write; do not edit below"

# The bodies the server prints or reads (docs/http.md), and every table they reach.
RESPONSE_ROOTS = ["HttpError", "ServiceStatus", "Answer", "ApplicationCard", "ApplicationList", "PositionView", "Explanation",
                  "Inbox", "NotificationFeed", "Catalogue", "QueueStatistics"]
REQUEST_ROOTS = ["Action"]
# Files whose tables the server builds field by field, setting every string, vector and table.
EVERY_FIELD_SET = {"views.fbs", "http.fbs"}
# ... but for these, which are absent in the cases the .fbs comment names.
ABSENT = {("PositionView", "queue"), ("Explanation", "queue"), ("ExplainedChange", "events"), ("ServiceStatus", "broker")}
# What every action must carry (the rest defaults or is the engine's to refuse).
REQUEST_REQUIRED = {"Action": ["schema_version", "idempotency_key", "instant_ms", "actor"]}

INTEGERS = {  # FlatBuffers scalar -> (format, minimum, maximum)
    "byte": ("int32", -2**7, 2**7 - 1), "int8": ("int32", -2**7, 2**7 - 1),
    "ubyte": ("int32", 0, 2**8 - 1), "uint8": ("int32", 0, 2**8 - 1),
    "short": ("int32", -2**15, 2**15 - 1), "int16": ("int32", -2**15, 2**15 - 1),
    "ushort": ("int32", 0, 2**16 - 1), "uint16": ("int32", 0, 2**16 - 1),
    "int": ("int32", -2**31, 2**31 - 1), "int32": ("int32", -2**31, 2**31 - 1),
    "uint": ("int64", 0, 2**32 - 1), "uint32": ("int64", 0, 2**32 - 1),
    "long": ("int64", -2**63, 2**63 - 1), "int64": ("int64", -2**63, 2**63 - 1),
    # Beyond int64 (whose format would say signed): no format, the range says it.
    "ulong": (None, 0, 2**64 - 1), "uint64": (None, 0, 2**64 - 1),
}
FLOATS = {"float": "float", "float32": "float", "double": "double", "float64": "double"}


# --- the .fbs reader ------------------------------------------------------------------------------

TOKEN = re.compile(r'(?P<comment>//[^\n]*)|(?P<string>"[^"\n]*")|(?P<word>[A-Za-z_][A-Za-z0-9_.]*)'
                   r'|(?P<number>-?[0-9][0-9.eExX+-]*)|(?P<punct>[{}\[\]():;=,])|(?P<space>\s+)|(?P<other>.)')


class Token:
    def __init__(self, kind, text, line, col):
        self.kind, self.text, self.line, self.col = kind, text, line, col


def tokens(text, name):
    line, line_start = 1, 0
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "other":
            raise SystemExit(f"{name}:{line}: unexpected {m.group()!r}")
        if kind != "space":
            yield Token(kind, m.group(), line, m.start() - line_start)
        newlines = m.group().count("\n")
        if newlines:
            line += newlines
            line_start = m.start() + m.group().rfind("\n") + 1


class Reader:
    """Enums, unions and tables of .fbs files, with the comments that describe them."""

    def __init__(self):
        self.enums, self.unions, self.tables = {}, {}, {}  # name -> dict
        self.file_of = {}

    def read(self, path):
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            self.toks = [t for t in tokens(f.read(), name)]
        self.at, self.name = 0, name
        self.leading = []  # comment lines since the last declaration
        while self.at < len(self.toks):
            t = self.next_code()
            if t is None:
                break
            if t.text in ("include", "namespace", "root_type", "file_identifier", "attribute"):
                while self.next_code().text != ";":
                    pass
            elif t.text in ("enum", "union", "table"):
                self.declaration(t.text)
            else:
                self.fail(t, "a declaration")
            self.leading = []

    def fail(self, t, expected):
        raise SystemExit(f"{self.name}:{t.line}: expected {expected}, found {t.text!r}")

    def next_code(self):
        """The next token that is not a comment; comments on their own lines are kept as leading."""
        while self.at < len(self.toks):
            t = self.toks[self.at]
            self.at += 1
            if t.kind != "comment":
                return t
            self.leading.append(t)
        return None

    def expect(self, text):
        t = self.next_code()
        if t is None or t.text != text:
            self.fail(t, repr(text))
        return t

    def trailing(self, line):
        """The comment on `line` after the item there, with its continuation lines below it."""
        if self.at < len(self.toks) and self.toks[self.at].kind == "comment" and self.toks[self.at].line == line:
            first = self.toks[self.at]
            parts = [first.text[2:].strip()]
            self.at += 1
            while (self.at < len(self.toks) and self.toks[self.at].kind == "comment"
                   and self.toks[self.at].line == first.line + len(parts) and self.toks[self.at].col == first.col):
                parts.append(self.toks[self.at].text[2:].strip())
                self.at += 1
            return " ".join(parts)
        return ""

    def described(self, trailing, line):
        """The comment block right above `line` (no blank line between), then the trailing one."""
        block = []
        for c in reversed(self.leading):
            if c.line != line - 1 - len(block):
                break
            block.insert(0, c.text[2:].strip())
        self.leading = []
        return " ".join(block + ([trailing] if trailing else [])).strip()

    def declaration(self, kind):
        keyword_line = self.toks[self.at - 1].line
        name_tok = self.next_code()
        name = name_tok.text
        doc = self.described("", keyword_line)
        if name in self.enums or name in self.unions or name in self.tables:
            raise SystemExit(f"{self.name}:{name_tok.line}: {name} is declared twice")
        self.file_of[name] = self.name
        if kind == "enum":
            self.expect(":")
            base = self.next_code().text
            self.expect("{")
            values = []
            while True:
                t = self.next_code()
                if t.text == "}":
                    break
                if t.text == ",":
                    continue
                if t.kind != "word":
                    self.fail(t, "an enum value")
                nxt = self.toks[self.at]
                if nxt.text == "=":
                    self.next_code()
                    self.next_code()
                if self.toks[self.at].text == ",":
                    self.at += 1
                values.append((t.text, self.described(self.trailing(t.line), t.line)))
            self.enums[name] = {"base": base, "values": values, "doc": doc}
        elif kind == "union":
            self.expect("{")
            members = []
            while True:
                t = self.next_code()
                if t.text == "}":
                    break
                if t.text == ",":
                    continue
                members.append(t.text)
                self.leading = []
            self.unions[name] = {"members": members, "doc": doc}
        else:
            self.expect("{")
            fields = []
            while True:
                t = self.next_code()
                if t.text == "}":
                    break
                if t.kind != "word":
                    self.fail(t, "a field")
                self.expect(":")
                vector = False
                ty = self.next_code()
                if ty.text == "[":
                    vector = True
                    ty = self.next_code()
                    self.expect("]")
                optional, attrs = False, []
                t2 = self.next_code()
                if t2.text == "=":
                    default = self.next_code()
                    optional = default.text == "null"
                    t2 = self.next_code()
                if t2.text == "(":
                    while (a := self.next_code()).text != ")":
                        attrs.append(a.text)
                    t2 = self.next_code()
                if t2.text != ";":
                    self.fail(t2, "';'")
                fields.append({"name": t.text, "type": ty.text, "vector": vector, "optional": optional,
                               "attrs": attrs, "doc": self.described(self.trailing(t2.line), t.line)})
            self.tables[name] = {"fields": fields, "doc": doc}


# --- OpenAPI schemas ------------------------------------------------------------------------------

def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


class Writer:
    def __init__(self, fbs):
        self.fbs = fbs
        self.out = {}

    def type_schema(self, name):
        if name == "bool":
            return {"type": "boolean"}
        if name == "string":
            return {"type": "string"}
        if name in INTEGERS:
            fmt, lo, hi = INTEGERS[name]
            s = {"type": "integer", "format": fmt} if fmt else {"type": "integer"}
            s["minimum"], s["maximum"] = lo, hi
            return s
        if name in FLOATS:
            return {"type": "number", "format": FLOATS[name]}
        short = name.split(".")[-1]
        if short in self.fbs.enums or short in self.fbs.tables:
            self.need(short)
            return ref(short)
        raise SystemExit(f"scripts/openapi_schemas.py: no schema for the type {name}")

    def is_scalar(self, field):
        return not field["vector"] and (field["type"] in INTEGERS or field["type"] in FLOATS or field["type"] == "bool"
                                        or field["type"].split(".")[-1] in self.fbs.enums)

    def need(self, name):
        if name in self.out:
            return
        self.out[name] = None  # reserved: a table may reach itself
        self.out[name] = self.enum(name) if name in self.fbs.enums else self.table(name)

    def enum(self, name):
        e = self.fbs.enums[name]
        lines = [e["doc"]] if e["doc"] else []
        lines += [f"`{v}`: {d}" for v, d in e["values"] if d]
        s = {"type": "string"}
        if lines:
            s["description"] = "\n".join(lines)
        s["enum"] = [v for v, _ in e["values"]]
        return s

    def table(self, name):
        t = self.fbs.tables[name]
        request = name in self.request_side
        every_field = self.fbs.file_of[name] in EVERY_FIELD_SET
        properties, required, union = {}, [], None
        for f in t["fields"]:
            if "deprecated" in f["attrs"]:
                continue
            short = f["type"].split(".")[-1]
            if short in self.fbs.unions:
                if union is not None:
                    raise SystemExit(f"{name}: two union fields")
                union = (f["name"], short)
                continue
            s = self.type_schema(f["type"])
            if f["vector"]:
                s = {"type": "array", "items": s}
            if f["optional"]:  # printed as null when absent; OpenAPI 3.0: nullable, and null among an enum's values
                if "$ref" in s:
                    s = dict(self.enum(short))
                    s["enum"] = s["enum"] + [None]
                    s.pop("description", None)
                s["nullable"] = True
            if f["doc"] and "$ref" not in s:
                s["description"] = f["doc"]
            properties[f["name"]] = s
            if request:
                if f["name"] in REQUEST_REQUIRED.get(name, []):
                    required.append(f["name"])
            elif (name, f["name"]) in ABSENT:
                pass
            elif self.is_scalar(f) or every_field:
                required.append(f["name"])
        if union is None:
            return self.object(t["doc"], properties, required)
        # A union field: one variant a member, `<field>_type` naming it beside `<field>`.
        field, union_name = union
        variants = []
        for member in self.fbs.unions[union_name]["members"]:
            self.need(member)
            p = dict(properties)
            p[f"{field}_type"] = {"type": "string", "enum": [member]}
            p[field] = ref(member)
            variants.append(self.object("", p, required + [f"{field}_type", field]))
        s = {"description": t["doc"]} if t["doc"] else {}
        s["oneOf"] = variants
        return s

    @staticmethod
    def object(doc, properties, required):
        s = {"type": "object"}
        if doc:
            s["description"] = doc
        if required:
            s["required"] = required
        s["properties"] = properties
        s["additionalProperties"] = False
        return s

    def reach(self, roots):
        seen, todo = set(), list(roots)
        while todo:
            name = todo.pop()
            if name in seen or name not in self.fbs.tables and name not in self.fbs.unions:
                continue
            seen.add(name)
            if name in self.fbs.unions:
                todo += self.fbs.unions[name]["members"]
            else:
                todo += [f["type"].split(".")[-1] for f in self.fbs.tables[name]["fields"]]
        return seen

    def schemas(self):
        responses, self.request_side = self.reach(RESPONSE_ROOTS), self.reach(REQUEST_ROOTS)
        both = responses & self.request_side
        if both:
            raise SystemExit(f"tables both sent and received need two schemas: {sorted(both)}")
        for root in RESPONSE_ROOTS + REQUEST_ROOTS:
            self.need(root)
        return {name: self.out[name] for name in sorted(self.out)}


def generated_text():
    fbs = Reader()
    for name in FBS:
        fbs.read(os.path.join(ROOT, "schemas", name))
    schemas = Writer(fbs).schemas()
    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data):  # a shared sub-schema is written out each time: no &anchors
            return True

    def text(dumper, data):  # a description of several lines as a block, not a quoted string
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)

    Dumper.add_representer(str, text)
    body = yaml.dump(schemas, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)
    return MARKER + "\n" + "".join("    " + line if line.strip() else line for line in body.splitlines(True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite docs/openapi.yaml's schemas")
    mode.add_argument("--check", action="store_true", help="exit 1 when docs/openapi.yaml's schemas differ")
    args = parser.parse_args()
    with open(DOC, encoding="utf-8") as f:
        doc = f.read()
    at = doc.find(MARKER + "\n")
    if at < 0 or doc.count(MARKER) != 1:
        raise SystemExit(f"{DOC}: the marker line is missing (or there twice):\n{MARKER}")
    head, old = doc[:at], doc[at:]
    new = generated_text()
    if args.write:
        if old != new:
            with open(DOC, "w", encoding="utf-8") as f:
                f.write(head + new)
        print(f"openapi_schemas: {DOC} {'rewritten' if old != new else 'already current'}")
        return 0
    import openapi_spec_validator  # the whole document, hand-written part included, is OpenAPI 3.0
    openapi_spec_validator.validate(yaml.safe_load(doc))
    if old != new:
        sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "docs/openapi.yaml",
                                                   "from schemas/*.fbs", n=2))
        print("FAILED: docs/openapi.yaml's schemas differ from schemas/*.fbs: run "
              "scripts/python-env.sh python scripts/openapi_schemas.py --write")
        return 1
    print("openapi_schemas: docs/openapi.yaml is valid OpenAPI 3.0 and its schemas match schemas/*.fbs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
