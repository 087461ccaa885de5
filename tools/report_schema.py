#!/usr/bin/python3
"""Render test/golden/schema/*.json (the --json schemas the suite checks) as docs/report-schema.md.

    tools/report_schema.py            # rewrites docs/report-schema.md
    tools/report_schema.py --check    # exit 1 when the page is out of date (the suite runs this)

The page's prose lives in this script; the key tables come from the golden schemas, so the two cannot
drift apart.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "test", "golden", "schema")
PAGE = os.path.join(ROOT, "docs", "report-schema.md")

INTRO = """# The `--json` report schema

Every command prints one JSON document with `--json` (on stdout, or to a file with `--json FILE`).
Scripts may rely on the keys below: the suite checks each command's keys and value types against
`test/golden/schema/` (test/cli/report_schema_test.cpp), and this page is generated from those files by
`tools/report_schema.py`, so it cannot fall out of date silently.

Every report starts with the same envelope:

| key | type | meaning |
|---|---|---|
| `schema_version` | integer | bumped when a key changes meaning or is removed |
| `tool`, `tool_version` | string | `dnnc` and its version |
| `command` | string | the subcommand |
| `inputs` | array | every file read, `{path, sha256}` of the exact bytes |

Types: `integer`, `number` (any JSON number), `string`, `boolean`, `object`, `array` (with the shape of
its elements below it), `null` where a value is absent by design (an unknown MACs count, an SQNR of
identical tensors). Nested objects are shown with dotted paths; `[]` marks the elements of an array.
Pipeline commands (`run`, `prune`, `decompose`, `share`, `quantize`, `adapt`) share `output`,
`pipeline` (the normalised pipeline text, which `dnnc run --passes` accepts), `before` and `after`
(params, nonzero_params, macs, weight_bytes, nodes) and, except `decompose` and `adapt`, `passes`: one
entry per pass with `name`, `params`, `time_ms`, `summary` (the pass's own figures), `rewrites` (what it
changed, naming the nodes) and `skipped` (what it left alone and why).
"""

ENVELOPE = {"schema_version", "tool", "tool_version", "command", "inputs"}


def rows(shape, prefix=""):
    out = []
    if isinstance(shape, dict):
        for key in sorted(shape):
            if not prefix and key in ENVELOPE:
                continue
            value = shape[key]
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                out.append((path, "object"))
                out += rows(value, path)
            elif isinstance(value, list):
                out.append((path, "array"))
                if value:
                    out += rows(value[0], path + "[]") if isinstance(value[0], (dict, list)) else [(path + "[]", value[0])]
            else:
                out.append((path, value))
    elif isinstance(shape, list):
        out.append((prefix, "array"))
        if shape:
            out += rows(shape[0], prefix + "[]")
    return out


def render():
    parts = [INTRO]
    for name in sorted(f[:-5] for f in os.listdir(GOLDEN) if f.endswith(".json")):
        with open(os.path.join(GOLDEN, name + ".json")) as f:
            shape = json.load(f)
        # NAME-FLAG.json is the schema of `dnnc NAME --FLAG` (the keys the flag adds, with the rest).
        title = name.replace("-", " --", 1)
        parts.append(f"\n## `dnnc {title}`\n\n| key | type |\n|---|---|\n")
        parts.append("".join(f"| `{path}` | {kind} |\n" for path, kind in rows(shape)))
    return "".join(parts)


def main():
    page = render()
    if "--check" in sys.argv:
        current = open(PAGE).read() if os.path.exists(PAGE) else ""
        if current != page:
            sys.exit("docs/report-schema.md is out of date: run tools/report_schema.py")
        return
    with open(PAGE, "w") as f:
        f.write(page)


if __name__ == "__main__":
    main()
