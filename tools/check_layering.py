#!/usr/bin/python3
"""Fails when a source of one area includes a header of an area it may not use.

    check_layering.py SOURCE_DIR AREA LAYER...

AREA is a folder (lib/exec, formats); each LAYER is "area=dep1,dep2," as lib/CMakeLists.txt declares the
links. An area may include its own headers and those of every area below it (its links, followed
transitively). lib/CMakeLists.txt runs this before archiving each area, so an upward include fails the
build with the file, the line and the rule it breaks.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
PROJECT_ROOTS = ("lib", "formats", "passes", "cli")


def area_of(path):
    parts = path.split("/")
    if parts[0] not in PROJECT_ROOTS:
        return None
    return "/".join(parts[:2]) if parts[0] == "lib" and len(parts) > 2 else parts[0]


def allowed(area, layers):
    seen, todo = {area}, [area]
    while todo:
        for dep in layers.get(todo.pop(), ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def main():
    root, area, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    layers = {}
    for spec in specs:
        name, _, deps = spec.partition("=")
        layers[name] = [d for d in deps.split(",") if d]
    ok = allowed(area, layers)
    errors = []
    for folder, _, files in os.walk(os.path.join(root, area)):
        for name in sorted(files):
            if not name.endswith((".h", ".cpp")):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for m in INCLUDE.finditer(text):
                target = area_of(m.group(1))
                if target and target not in ok:
                    line = text.count("\n", 0, m.start()) + 1
                    rel = os.path.relpath(path, root)
                    errors.append(f"{rel}:{line}: {area} may not include {m.group(1)} ({target} is not below it; "
                                  f"{area} uses {', '.join(sorted(ok - {area})) or 'nothing'})")
    for e in errors:
        print("layering: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
