#!/usr/bin/python3
"""tests/spec/check.py - checks every request luadock sent against the Engine's own
OpenAPI (Swagger 2.0) document (tests/spec/README.md).

  check.py <records.jsonl>=<engine-api-vX.Y.yaml> ...

Each records file is what tests/spec/proxy.py wrote for one engine; the document
named with it is that engine's API. A request whose path names another version
(/v1.41/... sent to the newer engine by a client pinned to 1.41) is checked against
that version's document when tests/spec/ holds it. Requests of other clients (the
docker CLI, curl, python in a test) are left out by User-Agent. Per request: the
method and path template exist; every query parameter is declared for that
operation, with a value of its type (and enum), and the required ones are there;
a JSON body validates against the body schema, and object fields the schema does
not declare are flagged, at the top level and below. Known, justified departures
are the EXCEPTIONS below, each with the spec's own words. Exit 1 on any violation,
or when no luadock request was recorded at all (the proxy was not in the path).

Why hand-written: the schemas are Swagger 2.0, not JSON Schema (x-nullable,
`type: "file"`, definitions under #/definitions), which Debian's python3-jsonschema
does not know; the subset the Engine documents use is small. It needs python3-yaml.
"""
import json
import os
import re
import sys
from collections import defaultdict
from urllib.parse import urlsplit, parse_qsl, unquote

import yaml

LUADOCK_UA = "luadock/"     # LD_USER_AGENT in core/internal.h: "luadock/<version> (linux)"

# Departures from the documents that are not luadock's mistakes: what the spec says
# (quoted) that allows it. Keyed by (kind, name); `where` narrows to operationIds.
EXCEPTIONS = [
    {"kind": "query-type", "name": "boolean", "values": {"1", "0"},
     "quote": "`dangling=<boolean>` When set to `true` (or `1`), prune only unused and "
              "untagged images. (ImagePrune, filters) / If `1`, `true`, or `True` then it "
              "will be an error if unpacking ... (PutContainerArchive, noOverwriteDirNonDir)",
     "why": "the documents themselves spell a boolean as `1`; the engine reads any query "
            "boolean with the same rule (1/true/True true, 0/false/empty false), and the "
            "docker CLI sends 1 too"},
    {"kind": "query-repeat", "name": "t", "where": ["ImageBuild"],
     "quote": "A name and optional tag to apply to the image in the `name:tag` format. If you "
              "omit the tag the default `latest` value is assumed. You can provide several `t` "
              "parameters. (ImageBuild, t)",
     "why": "the document declares `t` a string yet says it may be given several times: "
            "luadock's build{ tags = {...} } sends one `t` per tag, as docker build -t does"},
]

VERSION_RE = re.compile(r"^/v(\d+\.\d+)(/.*)$")
HERE = os.path.dirname(os.path.abspath(__file__))


class Spec:
    """One Engine API document: path templates and schema lookup."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        self.version = str(self.doc["info"]["version"])
        self.routes = []                     # (one segment a {param}, {name} with '/', count, template)
        for template in self.doc["paths"]:
            params = template.count("{")
            strict = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            slashed = re.escape(template).replace(r"\{name\}", ".+")   # image names hold '/'
            slashed = re.sub(r"\\\{[^}]+\\\}", "[^/]+", slashed)
            self.routes.append((re.compile(strict + "$"), re.compile(slashed + "$"), params, template))
        self.routes.sort(key=lambda r: r[2])   # literal segments win: /containers/create

    def operation(self, method, path):
        """(template, operation, path-level parameters); operation None when the path
        exists without that method, template None when no path matches."""
        for group in (0, 1):                 # [^/]+ first; then {name} may hold '/'
            seen = None
            for route in self.routes:
                if route[group].match(path):
                    item = self.doc["paths"][route[3]]
                    if method.lower() in item:
                        return route[3], item[method.lower()], item.get("parameters", [])
                    seen = seen or route[3]
            if seen:
                return seen, None, []
        return None, None, []

    def resolve(self, schema):
        while "$ref" in schema:
            name = schema["$ref"].split("/")[-1]
            schema = self.doc["definitions"][name]
        return schema


def excused(kind, name, value=None, op=None):
    for e in EXCEPTIONS:
        if e["kind"] == kind and e["name"] == name and (op is None or op in e.get("where", [op])):
            if "values" not in e or value in e["values"]:
                return e
    return None


TYPES = {"string": str, "boolean": bool, "object": dict, "array": list}


def check_value(spec, schema, value, where, out):
    """Append to out the ways value breaks schema (Swagger 2.0 subset)."""
    schema = spec.resolve(schema)
    if value is None:
        if not schema.get("x-nullable"):
            out.append(f"{where}: null, and the schema has no x-nullable")
        return
    kind = schema.get("type") or ("object" if "properties" in schema or "allOf" in schema else None)
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif kind in TYPES:
        ok = isinstance(value, TYPES[kind])
    else:
        ok = True                            # no type: anything
    if not ok:
        out.append(f"{where}: {type(value).__name__} {json.dumps(value)[:60]}, the spec says {kind}")
        return
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where}: {json.dumps(value)} is not one of {schema['enum']}")
    if kind == "array" and "items" in schema:
        for i, item in enumerate(value):
            check_value(spec, schema["items"], item, f"{where}[{i}]", out)
    if kind == "object":
        props = declared(spec, schema)
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                check_value(spec, props[key], item, f"{where}.{key}", out)
            elif isinstance(extra, dict):
                check_value(spec, extra, item, f"{where}.{key}", out)
            elif extra is None and not props and "allOf" not in schema:
                pass                         # a free-form object: any keys
            elif extra is not True:
                out.append(f"{where}.{key}: a field the schema does not declare")


def declared(spec, schema):
    """Every property an object schema declares, through allOf."""
    schema = spec.resolve(schema)
    props = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        props.update(declared(spec, part))
    return props


def check_query(params, query, op_id, out):
    declared_q = {p["name"]: p for p in params if p.get("in") == "query"}
    counts = defaultdict(int)
    for name, value in query:
        counts[name] += 1
        p = declared_q.get(name)
        if p is None:
            if not excused("query", name, op=op_id):
                out.append(f"query {name}: not declared for {op_id}")
            continue
        kind = p.get("type")
        if kind == "integer" and not re.fullmatch(r"-?\d+", value):
            out.append(f"query {name}={value}: the spec says integer")
        elif kind == "boolean" and value not in ("true", "false"):
            if not excused("query-type", "boolean", value):
                out.append(f"query {name}={value}: the spec says boolean")
        elif kind == "array" and p.get("items", {}).get("type") == "integer" \
                and not re.fullmatch(r"-?\d+", value):
            out.append(f"query {name}={value}: the spec says an array of integers")
        if "enum" in p and value not in [str(v) for v in p["enum"]]:
            out.append(f"query {name}={value}: not one of {p['enum']}")
        if name == "filters":                # "A JSON encoded value of the filters"
            try:
                json.loads(value)
            except ValueError:
                out.append(f"query {name}: not JSON")
    for name, n in counts.items():
        if n > 1 and name in declared_q and declared_q[name].get("type") != "array" \
                and not excused("query-repeat", name, op=op_id):
            out.append(f"query {name}: given {n} times, the spec says {declared_q[name].get('type')}")
    for name, p in declared_q.items():
        if p.get("required") and name not in counts:
            out.append(f"query {name}: required by {op_id}, missing")


def check_record(spec_for, default, rec):
    """The violations of one record, and its operationId (or None)."""
    out = []
    url = urlsplit(rec["target"])
    path = url.path
    spec = default
    m = VERSION_RE.match(path)
    if m:
        path = m.group(2)
        spec = spec_for(m.group(1)) or default
    path = unquote(path)
    template, op, path_params = spec.operation(rec["method"], path)
    if template is None:
        return [f"{rec['method']} {path}: no such path in v{spec.version}"], None
    if op is None:
        return [f"{rec['method']} {template}: no such method for this path in v{spec.version}"], None
    op_id = op.get("operationId", template)
    params = list(path_params) + op.get("parameters", [])
    check_query(params, parse_qsl(url.query, keep_blank_values=True), op_id, out)
    body_param = next((p for p in params if p.get("in") == "body"), None)
    if "body" in rec and not rec.get("truncated"):
        try:
            body = json.loads(rec["body"])
        except ValueError:
            out.append("the body is not JSON, though sent as " + rec["content_type"])
            body = None
        if body_param is None:
            out.append(f"a JSON body, but {op_id} declares none")
        elif body is not None:
            check_value(spec, body_param.get("schema", {}), body, "body", out)
    elif body_param and body_param.get("required") and not rec.get("content_type"):
        if body_param.get("schema", {}).get("type") != "string":   # tar streams: not recorded
            out.append(f"no body, but {op_id} requires one")
    return [f"{op_id}: {v}" for v in out], op_id


def load_specs():
    specs = {}
    for name in os.listdir(HERE):
        m = re.fullmatch(r"engine-api-v(\d+\.\d+)\.yaml", name)
        if m:
            specs[m.group(1)] = os.path.join(HERE, name)
    return specs


def main(args):
    paths = load_specs()
    loaded = {}

    def spec_for(version_or_path):
        """The document of a version tests/spec/ holds (or of a file), loaded once."""
        path = paths.get(version_or_path, version_or_path)
        if not os.path.exists(path):
            return None
        if path not in loaded:
            loaded[path] = Spec(path)
        return loaded[path]

    total, failed = 0, False
    for arg in args:
        records_path, spec_path = arg.split("=", 1)
        default = spec_for(spec_path)
        name = os.path.basename(records_path)
        try:
            with open(records_path, encoding="utf-8") as f:
                records = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            records = []
        ours = [r for r in records if r.get("user_agent", "").startswith(LUADOCK_UA)]
        ops, problems = set(), defaultdict(list)
        for rec in ours:
            violations, op_id = check_record(spec_for, default, rec)
            if op_id:
                ops.add(op_id)
            for v in violations:
                problems[v].append(rec)
        n = sum(len(r) for r in problems.values())
        print(f"{name} (v{default.version}): {len(ours)} luadock requests checked "
              f"({len(records) - len(ours)} of other clients left out), "
              f"{len(ops)} distinct operations, {n} violations")
        for v, recs in sorted(problems.items()):
            ex = recs[0]
            print(f"  VIOLATION {v}\n    x{len(recs)}, e.g. {ex['method']} {ex['target'][:160]}"
                  f"\n    from: {ex.get('client', '?')[:160]}")
        total += len(ours)
        failed = failed or bool(problems)
    print("exceptions allowed (each justified in check.py, EXCEPTIONS):")
    for e in EXCEPTIONS:
        where = ", ".join(e.get("where", ["any operation"]))
        print(f"  {e['kind']} {e['name']} ({where}): {e['why']}\n    the spec: \"{e['quote']}\"")
    if total == 0:
        print("no luadock request recorded: did the tests reach the engines through the proxy?")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
