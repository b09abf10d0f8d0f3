#!/usr/bin/env python3
"""Builds data/aliases/catalogue.json, the Azure Policy alias catalogue shipped in
the aml-baseline binary (see docs/decisions/0002-policy-engine.md).

Input: PSRule.Rules.Azure's provider data (`providers/<namespace>/types.json`,
which maps alias names to ARM paths), plus two hand-written parts kept in this
script:

* `NETWORK_ALIASES`: the Microsoft.Network aliases the built-in private DNS zone
  policy reads (PSRule's snapshot has no Network provider; the paths follow the
  ARM schema of privateEndpoints and privateDnsZoneGroups).
* `REGISTRY_MODEL_ALIASES`: the fields of the registry-model data-plane mode
  (`Microsoft.MachineLearningServices.v2.Data/workspaces/deployments/model.*`),
  which the built-ins 12e5dd16 and 19539b54 read. No ARM resource has this
  type: aml-baseline evaluates these definitions on a view of each online or
  batch deployment (its `model`), whose paths are the ones given here
  (docs/decisions/0036-shipped-initiatives-and-registry-models.md).
* `TRACKED_TYPES`: the resource types that support tags and location, i.e. the
  types that policies in `Indexed` mode evaluate. These are the ARM "tracked"
  resources (their REST schema is a TrackedResource with required `location`
  and `tags`); proxy and extension resources (datastores, connections,
  outbound rules, private endpoint connections, diagnostic settings...) are
  not. Written as `capabilities: "SupportsTags, SupportsLocation"`, the field
  `az provider list --expand resourceTypes/aliases` uses.

The `Modifiable` overlay is derived, not hand-written: every alias that a
shipped built-in Modify/Append definition (policies/builtin/**.json) writes gets
`defaultMetadata.attributes = "Modifiable"` (PSRule's data has no metadata, and
regorus refuses to compile a Modify operation on a non-modifiable alias).

Output: the `{"value": [...]}` envelope of `az provider list --expand
resourceTypes/aliases` that regorus' `AliasRegistry::load_from_json` reads,
reduced to the fields regorus uses (`name`, `defaultPath`, `defaultMetadata`),
one alias per line so that diffs stay readable; and beside it
`catalogue-index.tsv`, each type's namespace, name, capabilities and the byte
range of its JSON object in the catalogue, so that the binary finds the types
without parsing the whole catalogue at start-up.

Usage:
    scripts/build-alias-catalogue.py            # regenerate both files
    scripts/build-alias-catalogue.py --check    # exit 1 if either is out of date
Options: --psrule DIR (default ../shared/corpus/psrule/providers), --out FILE.
"""

import argparse
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

NAMESPACES = [
    ("microsoft.insights", "Microsoft.Insights"),
    ("microsoft.machinelearningservices", "Microsoft.MachineLearningServices"),
]

# Resource types that support tags and location (ARM tracked resources).
TRACKED_TYPES = {
    "Microsoft.MachineLearningServices": [
        "capacityReservationGroups",
        "registries",
        "workspaces",
        "workspaces/batchEndpoints",
        "workspaces/batchEndpoints/deployments",
        "workspaces/computes",
        "workspaces/inferencePools",
        "workspaces/inferencePools/endpoints",
        "workspaces/inferencePools/groups",
        "workspaces/onlineEndpoints",
        "workspaces/onlineEndpoints/deployments",
        "workspaces/serverlessEndpoints",
    ],
    "Microsoft.Insights": [
        "actiongroups",
        "activityLogAlerts",
        "autoscalesettings",
        "components",
        "dataCollectionEndpoints",
        "dataCollectionRules",
        "metricalerts",
        "privateLinkScopes",
        "scheduledqueryrules",
        "webtests",
        "workbooks",
        "workbooktemplates",
    ],
    "Microsoft.Network": ["privateEndpoints"],
}

_PE = "Microsoft.Network/privateEndpoints"
_PLSC = "properties.privateLinkServiceConnections[*]"
_MPLSC = "properties.manualPrivateLinkServiceConnections[*]"
_ZC = "properties.privateDnsZoneConfigs[*]"
NETWORK_ALIASES = {
    "privateEndpoints": [
        (f"{_PE}/subnet.id", "properties.subnet.id"),
        (f"{_PE}/privateLinkServiceConnections", "properties.privateLinkServiceConnections"),
        (f"{_PE}/privateLinkServiceConnections[*]", _PLSC),
        (f"{_PE}/privateLinkServiceConnections[*].name", f"{_PLSC}.name"),
        (
            f"{_PE}/privateLinkServiceConnections[*].privateLinkServiceId",
            f"{_PLSC}.properties.privateLinkServiceId",
        ),
        (f"{_PE}/privateLinkServiceConnections[*].groupIds", f"{_PLSC}.properties.groupIds"),
        (f"{_PE}/privateLinkServiceConnections[*].groupIds[*]", f"{_PLSC}.properties.groupIds[*]"),
        (
            f"{_PE}/manualPrivateLinkServiceConnections",
            "properties.manualPrivateLinkServiceConnections",
        ),
        (f"{_PE}/manualPrivateLinkServiceConnections[*]", _MPLSC),
        (
            f"{_PE}/manualPrivateLinkServiceConnections[*].privateLinkServiceId",
            f"{_MPLSC}.properties.privateLinkServiceId",
        ),
        (
            f"{_PE}/manualPrivateLinkServiceConnections[*].groupIds[*]",
            f"{_MPLSC}.properties.groupIds[*]",
        ),
    ],
    "privateEndpoints/privateDnsZoneGroups": [
        (f"{_PE}/privateDnsZoneGroups/privateDnsZoneConfigs[*]", _ZC),
        (
            f"{_PE}/privateDnsZoneGroups/privateDnsZoneConfigs[*].privateDnsZoneId",
            f"{_ZC}.properties.privateDnsZoneId",
        ),
    ],
}


_DEP = "Microsoft.MachineLearningServices.v2.Data/workspaces/deployments"
REGISTRY_MODEL_ALIASES = {
    "workspaces/deployments": [
        (f"{_DEP}/model.assetId", "properties.model.assetId"),
        (f"{_DEP}/model.registryName", "properties.model.registryName"),
        (f"{_DEP}/model.publisher", "properties.model.publisher"),
    ],
}


def modifiable_aliases(policy_dir):
    """Aliases written by the Modify/Append operations of the shipped built-ins."""
    found = set()
    for path in sorted(glob.glob(os.path.join(policy_dir, "**", "*.json"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            props = json.load(f).get("properties", {})
        details = props.get("policyRule", {}).get("then", {}).get("details")
        ops = []
        if isinstance(details, dict):
            ops = details.get("operations") or []
        elif isinstance(details, list):  # Append
            ops = details
        for op in ops:
            field = op.get("field") if isinstance(op, dict) else None
            if isinstance(field, str) and "/" in field:
                found.add(field.lower())
    return found


def alias_entry(name, path, modifiable):
    entry = {"name": name, "defaultPath": path}
    if name.lower() in modifiable:
        entry["defaultMetadata"] = {"attributes": "Modifiable"}
    return entry


def build(psrule_dir, policy_dir):
    modifiable = modifiable_aliases(policy_dir)
    providers = []
    for folder, namespace in NAMESPACES:
        with open(os.path.join(psrule_dir, folder, "types.json"), encoding="utf-8") as f:
            types = json.load(f)
        tracked = {t.lower() for t in TRACKED_TYPES.get(namespace, [])}
        rts = []
        for t in types:
            rt = t["resourceType"]
            aliases = t.get("aliases") or {}
            is_tracked = rt.lower() in tracked
            if not aliases and not is_tracked:
                continue
            entry = {"resourceType": rt}
            if is_tracked:
                entry["capabilities"] = "SupportsTags, SupportsLocation"
            entry["aliases"] = [alias_entry(n, p, modifiable) for n, p in aliases.items()]
            rts.append(entry)
        providers.append({"namespace": namespace, "resourceTypes": rts})
    tracked = {t.lower() for t in TRACKED_TYPES["Microsoft.Network"]}
    network = []
    for rt, aliases in NETWORK_ALIASES.items():
        entry = {"resourceType": rt}
        if rt.lower() in tracked:
            entry["capabilities"] = "SupportsTags, SupportsLocation"
        entry["aliases"] = [alias_entry(n, p, modifiable) for n, p in aliases]
        network.append(entry)
    providers.append({"namespace": "Microsoft.Network", "resourceTypes": network})
    registry_models = [
        {"resourceType": rt, "aliases": [alias_entry(n, p, modifiable) for n, p in aliases]}
        for rt, aliases in REGISTRY_MODEL_ALIASES.items()
    ]
    providers.append(
        {"namespace": "Microsoft.MachineLearningServices.v2.Data", "resourceTypes": registry_models}
    )
    missing = sorted(
        m for m in modifiable if not any(
            a["name"].lower() == m
            for p in providers for t in p["resourceTypes"] for a in t["aliases"]
        )
    )
    if missing:
        sys.exit(f"Modify targets missing from the catalogue: {missing}")
    return render(providers)


def dumps(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render(providers):
    """One alias per line: compact, yet diffable. Returns the text and its
    index: per type, its namespace, name, capabilities and the byte range of
    its JSON object in the text."""
    out = ['{"value":[\n']
    index = []
    at = len(out[0].encode("utf-8"))

    def put(s):
        nonlocal at
        out.append(s)
        at += len(s.encode("utf-8"))

    for pi, p in enumerate(providers):
        put('{"namespace":%s,"resourceTypes":[\n' % dumps(p["namespace"]))
        for ti, t in enumerate(p["resourceTypes"]):
            head = {k: v for k, v in t.items() if k != "aliases"}
            start = at
            put(dumps(head)[:-1] + ',"aliases":[\n')
            put(",\n".join(dumps(a) for a in t["aliases"]))
            put("\n]}")
            index.append((p["namespace"], t["resourceType"], t.get("capabilities", ""), start, at))
            put(("," if ti + 1 < len(p["resourceTypes"]) else "") + "\n")
        put("]}" + ("," if pi + 1 < len(providers) else "") + "\n")
    put("]}\n")
    return "".join(out), index


def render_index(index):
    """The index as aml-baseline reads it: a header, then one type a line."""
    lines = ["namespace\tresourceType\tcapabilities\tstart\tend"]
    for namespace, name, capabilities, start, end in index:
        for field in (namespace, name, capabilities):
            if "\t" in field or "\n" in field:
                sys.exit(f"a tab or newline in {field!r} cannot be indexed")
        lines.append(f"{namespace}\t{name}\t{capabilities}\t{start}\t{end}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--psrule",
        default=os.path.join(ROOT, "..", "shared", "corpus", "psrule", "providers"),
    )
    ap.add_argument("--policies", default=os.path.join(ROOT, "policies", "builtin"))
    ap.add_argument("--out", default=os.path.join(ROOT, "data", "aliases", "catalogue.json"))
    ap.add_argument("--check", action="store_true", help="fail if --out is not up to date")
    args = ap.parse_args()
    text, index = build(args.psrule, args.policies)
    json.loads(text)  # the rendering must stay valid JSON
    index_path = os.path.join(os.path.dirname(args.out), "catalogue-index.tsv")
    outputs = [(args.out, text), (index_path, render_index(index))]
    if args.check:
        for path, wanted in outputs:
            try:
                with open(path, encoding="utf-8") as f:
                    current = f.read()
            except FileNotFoundError:
                current = None
            if current != wanted:
                sys.exit(f"{path} is out of date: run scripts/build-alias-catalogue.py")
            print(f"{path} is up to date")
        return
    for path, wanted in outputs:
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(wanted)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
