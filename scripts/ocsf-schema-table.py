#!/usr/bin/env python3
"""Writes the compact OCSF schema table that the event validation tests read.

Usage: scripts/ocsf-schema-table.py SCHEMA_DIR > shared/ocsf/schema-1.3.0.json

SCHEMA_DIR is the OCSF schema source (github.com/ocsf/ocsf-schema at tag v1.3.0). It is
compiled with ocsf-lib (`python -m ocsf.compile`, pinned in requirements-dev.txt), then
reduced to what a strict consumer checks: per class its uid, category and attributes;
per object its attributes and constraints; per type its base type and limits (range, max_len, regex). Each
attribute is `{"t": type, "o": object name, "r": 1 if required, "a": 1 if array,
"p": profile, "e": [enum values]}` with absent keys meaning none.

`make ocsf-table` runs it; the output is committed so a fresh clone validates offline.
"""

import json
import os
import subprocess
import sys


def raw_profile_overrides(schema_dir):
    """Attributes a class source file pins to no profile (`"profile": null`).

    ocsf-lib's compiler lets a profile's claim on an attribute win over the class's own
    explicit null (API Activity's `api` is required by the class, not by the cloud
    profile); the OCSF server keeps the class's word, and so does this table.
    """
    pinned = {}
    for root, _dirs, files in os.walk(os.path.join(schema_dir, "events")):
        for name in files:
            if not name.endswith(".json"):
                continue
            with open(os.path.join(root, name), encoding="utf-8") as f:
                src = json.load(f)
            attrs = src.get("attributes") or {}
            nulls = {k for k, v in attrs.items() if isinstance(v, dict) and "profile" in v and v["profile"] is None}
            if src.get("name") and nulls:
                pinned[src["name"]] = nulls
    return pinned


def raw_sources(schema_dir, part):
    """Name -> source document of every object or event class in the schema source."""
    found = {}
    for root, _dirs, files in os.walk(os.path.join(schema_dir, part)):
        for name in files:
            if name.endswith(".json"):
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    src = json.load(f)
                if src.get("name"):
                    found[src["name"]] = src
    return found


def own_constraints(name, sources):
    """The constraints of the nearest definition in the `extends` chain.

    ocsf-lib's compiler keeps the root's constraints (`_entity`: name or uid) where a
    child redefines them (`network_endpoint`: ip, uid, name, hostname, ...); the child's
    word is the schema's.
    """
    seen = set()
    while name and name not in seen:
        seen.add(name)
        src = sources.get(name)
        if src is None:
            return {}
        if src.get("constraints"):
            return {k: sorted(v) for k, v in src["constraints"].items() if v}
        name = src.get("extends")
    return {}


def attribute(attr, types):
    out = {}
    kind = attr.get("type")
    if kind in types:
        out["t"] = kind
    else:
        # An object attribute: the compiled schema names the object as the type.
        out["t"] = "object_t"
        out["o"] = attr.get("object_type") or kind
    if attr.get("requirement") == "required":
        out["r"] = 1
    if attr.get("is_array"):
        out["a"] = 1
    if attr.get("profile"):
        out["p"] = attr["profile"]
    if attr.get("enum"):
        values = []
        for key in attr["enum"]:
            try:
                values.append(int(key))
            except ValueError:
                values.append(key)
        out["e"] = sorted(values, key=lambda v: (isinstance(v, str), v))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    schema_dir = sys.argv[1]
    compiled = subprocess.run(
        [sys.executable, "-m", "ocsf.compile", schema_dir],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    schema = json.loads(compiled)
    pinned = raw_profile_overrides(schema_dir)
    raw_events = raw_sources(schema_dir, "events")
    raw_objects = raw_sources(schema_dir, "objects")
    categories = {name: c["uid"] for name, c in schema["categories"].items()}
    classes = {}
    for name, cls in sorted(schema["classes"].items(), key=lambda kv: kv[1]["uid"]):
        attrs = {}
        for key, attr in sorted(cls["attributes"].items()):
            a = attribute(attr, schema["types"])
            if key in pinned.get(name, ()):
                a.pop("p", None)
            attrs[key] = a
        entry = {
            "name": cls["caption"],
            "category_uid": categories.get(cls.get("category"), 0),
            "attributes": attrs,
        }
        if own_constraints(name, raw_events):
            entry["constraints"] = own_constraints(name, raw_events)
        classes[str(cls["uid"])] = entry
    objects = {}
    for name, obj in sorted(schema["objects"].items()):
        entry = {"attributes": {k: attribute(a, schema["types"]) for k, a in sorted(obj["attributes"].items())}}
        if own_constraints(name, raw_objects):
            entry["constraints"] = own_constraints(name, raw_objects)
        objects[name] = entry
    types = {}
    for name, t in sorted(schema["types"].items()):
        entry = {"base": t.get("type") or name}
        if t.get("range"):
            entry["range"] = t["range"]
        if t.get("max_len"):
            entry["max_len"] = t["max_len"]
        if t.get("regex"):
            entry["regex"] = t["regex"]
        types[name] = entry
    table = {
        "version": schema["version"],
        "source": "OCSF schema %s (Apache-2.0), compiled with ocsf-lib; regenerate with make ocsf-table" % schema["version"],
        "categories": {str(uid): name for name, uid in categories.items()},
        "profiles": sorted(schema["profiles"]),
        "classes": classes,
        "objects": objects,
        "types": types,
    }
    # One line per class, object and type, so a schema update reads as a small diff.
    compact = {"separators": (",", ":")}
    out = sys.stdout
    out.write("{\n")
    for i, (section, value) in enumerate(table.items()):
        out.write("%s:" % json.dumps(section))
        if isinstance(value, dict) and section not in ("categories",):
            out.write("{\n")
            for j, (k, v) in enumerate(value.items()):
                out.write("%s:%s%s\n" % (json.dumps(k), json.dumps(v, **compact), "," if j + 1 < len(value) else ""))
            out.write("}")
        else:
            out.write(json.dumps(value, **compact))
        out.write(",\n" if i + 1 < len(table) else "\n")
    out.write("}\n")


if __name__ == "__main__":
    main()
