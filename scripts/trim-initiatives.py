#!/usr/bin/env python3
"""Builds the shipped copies of the Microsoft cloud security benchmark initiatives
(policies/builtin/initiatives/AzureSecurityCenter.json and MCSBv2.json) from
Azure/azure-policy's policy set definitions (see docs/decisions/0036-*.md).

The upstream files are large (370 KB and 180 KB): hundreds of members for other
services, each with its own parameters. aml-baseline evaluates only the members
whose definitions it ships (policies/builtin/**), so the shipped copy keeps:

* every top-level field and `properties` field other than those below, as is;
* every member, in order: a member whose definition is shipped keeps all its
  fields; any other member keeps only `policyDefinitionReferenceId` and
  `policyDefinitionId`, so that a scan still counts and names it (it is
  reported as not evaluated, never silently dropped);
* the parameters the kept members' values name (`[parameters('x')]`), as is;
* the groups (`policyDefinitionGroups`) the kept members name, as is.

Nothing is rewritten: every value kept is the upstream value.

Usage:
    scripts/trim-initiatives.py            # regenerate the files
    scripts/trim-initiatives.py --check    # exit 1 if they are out of date
Options: --corpus DIR (default ../shared/corpus/azure-policy/policy-sets).
"""

import argparse
import glob
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILTIN = os.path.join(ROOT, "policies", "builtin")
FILES = ["AzureSecurityCenter.json", "MCSBv2.json"]
PARAM = re.compile(r"\[parameters\('([^']+)'\)\]", re.IGNORECASE)


def shipped_definitions():
    """Lower-case names of the definitions under policies/builtin (not initiatives)."""
    names = set()
    for path in glob.glob(os.path.join(BUILTIN, "**", "*.json"), recursive=True):
        with open(path, encoding="utf-8") as f:
            root = json.load(f)
        props = root.get("properties", root)
        if isinstance(props.get("policyDefinitions"), list):
            continue
        if root.get("name"):
            names.add(root["name"].lower())
    return names


def named_parameters(value, out):
    if isinstance(value, str):
        out.update(m.lower() for m in PARAM.findall(value))
    elif isinstance(value, dict):
        for v in value.values():
            named_parameters(v, out)
    elif isinstance(value, list):
        for v in value:
            named_parameters(v, out)


def trim(root, shipped):
    props = root["properties"]
    members = []
    used_params = set()
    used_groups = set()
    for m in props["policyDefinitions"]:
        name = m["policyDefinitionId"].rstrip("/").rsplit("/", 1)[-1].lower()
        if name in shipped:
            members.append(m)
            named_parameters(m.get("parameters", {}), used_params)
            used_groups.update(g.lower() for g in m.get("groupNames", []))
        else:
            members.append(
                {
                    "policyDefinitionReferenceId": m["policyDefinitionReferenceId"],
                    "policyDefinitionId": m["policyDefinitionId"],
                }
            )
    out_props = {}
    for key, value in props.items():
        if key == "policyDefinitions":
            value = members
        elif key == "parameters":
            value = {k: v for k, v in value.items() if k.lower() in used_params}
        elif key == "policyDefinitionGroups":
            value = [g for g in value if g["name"].lower() in used_groups]
        out_props[key] = value
    out = {}
    for key, value in root.items():
        out[key] = out_props if key == "properties" else value
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--corpus",
        default=os.path.join(ROOT, "..", "shared", "corpus", "azure-policy", "policy-sets"),
    )
    ap.add_argument("--check", action="store_true", help="fail if the files are not up to date")
    args = ap.parse_args()
    shipped = shipped_definitions()
    stale = []
    for name in FILES:
        with open(os.path.join(args.corpus, name), encoding="utf-8-sig") as f:
            root = json.load(f)
        text = json.dumps(trim(root, shipped), indent=2, ensure_ascii=False) + "\n"
        out = os.path.join(BUILTIN, "initiatives", name)
        if args.check:
            try:
                with open(out, encoding="utf-8") as f:
                    current = f.read()
            except FileNotFoundError:
                current = None
            if current != text:
                stale.append(out)
            continue
        with open(out, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        print(f"wrote {out}")
    if stale:
        sys.exit(f"out of date (run scripts/trim-initiatives.py): {', '.join(stale)}")
    if args.check:
        print("the trimmed initiatives are up to date")


if __name__ == "__main__":
    main()
