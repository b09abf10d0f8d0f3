#!/usr/bin/env python3
"""The Azure ML SDK as an oracle for the CLI YAML front end.

For every Azure ML CLI YAML file under the corpus folders, load it with
azure-ai-ml's own loaders (what `az ml <thing> create --file` runs), take the
request body it would send (`_to_rest_object()` and friends) and compare it,
on every property a rule or policy reads, with the resource that
`aml-baseline model FILE` prints for the same file. Per file it asserts:

- the same entity kind;
- a file the SDK loads is read by aml-baseline;
- a file the SDK rejects gets a diagnostic from aml-baseline;
- no property disagrees, beyond the explained ones in
  scripts/yaml-oracle-explained.json (each with its reason; also written up in
  docs/cli-yaml-mapping.md).

It prints the agreement and exits 1 on an unexplained disagreement, 0 else.

    python scripts/yaml-oracle.py --binary target/debug/aml-baseline [CORPUS...]

Run it through scripts/yaml-oracle.sh, which makes the venv with the pinned
requirements (scripts/yaml-oracle-requirements.txt).
"""

import argparse
import fnmatch
import io
import json
import os
import re
import subprocess
import sys
import warnings

import yaml

warnings.simplefilter("ignore")
import logging  # noqa: E402

logging.disable(logging.CRITICAL)

from azure.ai.ml import (  # noqa: E402
    load_batch_deployment,
    load_batch_endpoint,
    load_compute,
    load_connection,
    load_datastore,
    load_environment,
    load_job,
    load_model,
    load_online_deployment,
    load_online_endpoint,
    load_registry,
    load_workspace,
)

LOCATION = "westeurope"

# loader name -> (load function, function giving the REST body)
def workspace_template(ws):
    """The ARM template parameters `az ml workspace create` deploys (the SDK's
    own `_populate_arm_parameters`, offline: the location is given), as the
    workspace body they make."""
    from azure.ai.ml.operations._workspace_operations_base import WorkspaceOperationsBase

    ws.resource_group = ws.resource_group or "rg"
    ws.location = ws.location or LOCATION
    ops = WorkspaceOperationsBase.__new__(WorkspaceOperationsBase)
    ops._subscription_id = "00000000-0000-0000-0000-000000000000"
    ops._resource_group_name = "rg"
    ops._credentials = None
    ops._operation = None
    ops._all_operations = None
    ops._init_kwargs = {}
    ops.containerRegistry = "none"
    ops.dependent_resources_to_create = []
    template, params, _ = ops._populate_arm_parameters(ws)
    p = {k: (v or {}).get("value") for k, v in params.items()}

    def text(v):
        return None if v in ("", None, "null") else v

    def flag(v):
        return {"true": True, "false": False}.get(str(v).lower(), v) if v is not None else None

    encryption = None
    if p.get("encryption_status") == "Enabled":
        encryption = {
            "status": "Enabled",
            "keyVaultProperties": {"keyIdentifier": text(p.get("resource_cmk_uri")), "keyVaultArmId": text(p.get("cmk_keyvault"))},
        }
    serverless = p.get("serverless_compute_settings") or {}
    props = {
        "publicNetworkAccess": text(p.get("publicNetworkAccess")),
        "hbiWorkspace": flag(p.get("confidential_data")),
        "encryption": encryption,
        "primaryUserAssignedIdentity": text(p.get("primaryUserAssignedIdentity")),
        "managedNetwork": p.get("managedNetwork"),
        "imageBuildCompute": text(p.get("imageBuildCompute")),
        "systemDatastoresAuthMode": text(p.get("systemDatastoresAuthMode")),
        "enableDataIsolation": flag(p.get("enable_data_isolation")),
        "serverlessComputeSettings": serverless or None,
    }
    # A project's template (workspace_project.json) sends only some of the
    # parameters: no managed network, encryption or HBI of its own.
    if (getattr(ws, "_kind", None) or "").lower() == "project":
        sent = next(
            (r.get("properties", {}) for r in template.get("resources", [])
             if r.get("type") == "Microsoft.MachineLearningServices/workspaces"),
            {},
        )
        props = {k: v for k, v in props.items() if k in sent}
    return {"identity": p.get("identity"), "properties": props}


class Body:
    """A body already in ARM form."""

    def __init__(self, d):
        self.d = d

    def as_dict(self):
        return self.d


LOADERS = {
    "workspace": (load_workspace, lambda e: Body(workspace_template(e))),
    "compute": (load_compute, lambda e: e._to_rest_object()),
    "online_endpoint": (load_online_endpoint, lambda e: e._to_rest_online_endpoint(LOCATION)),
    "batch_endpoint": (load_batch_endpoint, lambda e: e._to_rest_batch_endpoint(LOCATION)),
    "online_deployment": (load_online_deployment, lambda e: e._to_rest_object(LOCATION)),
    "batch_deployment": (load_batch_deployment, lambda e: e._to_rest_object(LOCATION)),
    "registry": (load_registry, lambda e: e._to_rest_object()),
    "datastore": (load_datastore, lambda e: e._to_rest_object()),
    "connection": (load_connection, lambda e: e._to_rest_object()),
    "environment": (load_environment, lambda e: e._to_rest_object()),
    "model": (load_model, lambda e: e._to_rest_object()),
    "job": (load_job, None),
}

# `$schema` file name (lower case, without .schema.json) -> loader.
SCHEMAS = {
    "workspace": "workspace",
    "hubworkspace": "workspace",
    "projectworkspace": "workspace",
    "amlcompute": "compute",
    "computeinstance": "compute",
    "kubernetescompute": "compute",
    "vmcompute": "compute",
    "virtualmachinecompute": "compute",
    "synapsesparkcompute": "compute",
    "attachedcompute": "compute",
    "managedonlineendpoint": "online_endpoint",
    "onlineendpoint": "online_endpoint",
    "onlinedeployment": "online_deployment",
    "kubernetesonlineendpoint": "online_endpoint",
    "batchendpoint": "batch_endpoint",
    "managedonlinedeployment": "online_deployment",
    "kubernetesonlinedeployment": "online_deployment",
    "batchdeployment": "batch_deployment",
    "modelbatchdeployment": "batch_deployment",
    "pipelinecomponentbatchdeployment": "batch_deployment",
    "registry": "registry",
    "azureblob": "datastore",
    "azurefile": "datastore",
    "azuredatalakegen1": "datastore",
    "azuredatalakegen2": "datastore",
    "onelake": "datastore",
    "environment": "environment",
    "model": "model",
}

# The ARM properties that rules and policies read, per resource type (below
# Microsoft.MachineLearningServices/workspaces unless it says otherwise).
PATHS = {
    "workspaces": [
        "properties.publicNetworkAccess",
        "properties.hbiWorkspace",
        "properties.encryption.status",
        "properties.encryption.keyVaultProperties.keyIdentifier",
        "properties.encryption.keyVaultProperties.keyVaultArmId",
        "identity.type",
        "properties.primaryUserAssignedIdentity",
        "properties.managedNetwork.isolationMode",
        "properties.managedNetwork.firewallSku",
        "properties.managedNetwork.outboundRules",
        "properties.imageBuildCompute",
        "properties.serverlessComputeSettings.serverlessComputeNoPublicIP",
        "properties.serverlessComputeSettings.serverlessComputeCustomSubnet",
        "properties.systemDatastoresAuthMode",
        "properties.enableDataIsolation",
        "properties.networkAcls.defaultAction",
        "properties.allowPublicAccessWhenBehindVnet",
    ],
    "computes": [
        "properties.computeType",
        "properties.disableLocalAuth",
        "properties.resourceId",
        "identity.type",
        "properties.properties.enableNodePublicIp",
        "properties.properties.subnet.id",
        "properties.properties.remoteLoginPortPublicAccess",
        "properties.properties.sshSettings.sshPublicAccess",
        "properties.properties.sshSettings.adminPublicKey",
        "properties.properties.userAccountCredentials.adminUserName",
        "properties.properties.userAccountCredentials.adminUserPassword",
        "properties.properties.userAccountCredentials.adminUserSshPublicKey",
        "properties.properties.scaleSettings.minNodeCount",
        "properties.properties.idleTimeBeforeShutdown",
        "properties.properties.administratorAccount.password",
    ],
    "onlineEndpoints": [
        "properties.authMode",
        "properties.publicNetworkAccess",
        "properties.compute",
        "identity.type",
    ],
    "onlineEndpoints/deployments": [
        "properties.endpointComputeType",
        "properties.egressPublicNetworkAccess",
        "properties.appInsightsEnabled",
    ],
    "batchEndpoints": ["properties.authMode", "identity.type"],
    "batchEndpoints/deployments": ["properties.compute"],
    "registries": ["properties.publicNetworkAccess", "identity.type"],
    "datastores": [
        "properties.datastoreType",
        "properties.credentials.credentialsType",
        "properties.serviceDataAccessAuthIdentity",
    ],
    "connections": ["properties.category", "properties.authType", "properties.isSharedToAll"],
    "environments/versions": ["properties.image"],
}

# Our resource type suffix -> the kind the SDK names.
def our_kind(resource):
    t = resource["resource"]["type"].split("Microsoft.MachineLearningServices/", 1)[-1]
    body = resource["resource"]
    props = body.get("properties") or {}
    if t == "workspaces":
        return "workspace"
    if t == "workspaces/computes":
        return "compute"
    if t == "workspaces/onlineEndpoints":
        return "KubernetesOnlineEndpoint" if props.get("compute") else "ManagedOnlineEndpoint"
    if t == "workspaces/onlineEndpoints/deployments":
        return props.get("endpointComputeType", "Managed") + "OnlineDeployment"
    return {
        "workspaces/batchEndpoints": "batch_endpoint",
        "workspaces/batchEndpoints/deployments": "batch_deployment",
        "registries": "registry",
        "workspaces/datastores": "datastore",
        "workspaces/connections": "connection",
        "workspaces/environments/versions": "environment",
        "workspaces/models/versions": "model",
        "workspaces/jobs": "job",
    }.get(t, t)


def sdk_kind(loader, entity):
    name = type(entity).__name__
    if loader == "online_endpoint":
        return "KubernetesOnlineEndpoint" if "Kubernetes" in name else "ManagedOnlineEndpoint"
    if loader == "online_deployment":
        return "KubernetesOnlineDeployment" if "Kubernetes" in name else "ManagedOnlineDeployment"
    return loader


def get(obj, path):
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        match = [k for k in obj if k.lower() == part.lower()]
        if not match:
            return None
        obj = obj[match[0]]
    return obj


def norm(v, path):
    """A value in a form both sides can be compared in."""
    if isinstance(v, str):
        s = v.strip()
        if path.endswith(".compute") or path.endswith("computeId"):
            s = s.split("azureml:", 1)[-1].rstrip("/").split("/")[-1]
        return s.lower()
    if v in ({}, [], ""):
        return None
    if isinstance(v, dict) and path.endswith("outboundRules"):
        return sorted(k.lower() for k in v)
    if isinstance(v, list) and path.endswith("outboundRules"):
        return sorted(str(r.get("name", "")).lower() for r in v if isinstance(r, dict))
    return v


def schema_loader(doc):
    url = doc.get("$schema") if isinstance(doc, dict) else None
    if not isinstance(url, str) or "azureml" not in url.lower():
        return None, False
    last = url.lower().rstrip("/").rsplit("/", 1)[-1].replace(".schema.json", "").replace(".json", "")
    if last in SCHEMAS:
        return SCHEMAS[last], True
    if "connection" in last:
        return "connection", True
    if last.endswith("job"):
        return "job", True
    return None, True


# Keys that name local files or registered assets: the corpus holds the YAML
# without the model folders, code and conda files it names, which the SDK
# checks exist. They carry no setting the comparison reads, so a failure on
# them is retried with a registered asset's reference instead.
ASSET_KEYS = ["model", "code_configuration", "code", "environment", "compute", "conda_file", "path", "component", "job_definition"]


# Keys whose text names a local file or folder (relative to the YAML).
LOCAL_KEYS = {"path", "code", "conda_file", "scoring_script", "dockerfile_path"}


def local_paths(node, out, depth=0):
    if depth > 12:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            if k in LOCAL_KEYS and isinstance(v, str) and not re.match(r"^(azureml:|https?:|wasbs?:|abfss?:|adl:|/subscriptions/|\$\{\{)", v):
                out.append((k, v))
            else:
                local_paths(v, out, depth + 1)
    elif isinstance(node, list):
        for v in node:
            local_paths(v, out, depth + 1)


def with_stand_ins(path, doc):
    """A copy of the YAML in a temporary folder, with an empty stand-in for
    every local file or folder it names (the corpus has the YAML only)."""
    import atexit
    import shutil
    import tempfile

    root = tempfile.mkdtemp(prefix="yaml-oracle-")
    # Removed when the oracle ends (the SDK's objects may read their files
    # after loading), so that no run leaves its copies behind.
    atexit.register(shutil.rmtree, root, True)
    here = os.path.join(root, "a", "b", "c", "d", "e", "f")
    os.makedirs(here)
    copy = os.path.join(here, os.path.basename(path))
    with open(path, encoding="utf-8") as src, open(copy, "w", encoding="utf-8") as dst:
        dst.write(src.read())
    found = []
    local_paths(doc, found)
    for key, rel in found:
        target = os.path.normpath(os.path.join(here, rel))
        if not target.startswith(root) or os.path.exists(target):
            continue
        if key in ("conda_file", "scoring_script", "dockerfile_path") or os.path.splitext(rel)[1]:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as f:
                f.write("name: stand-in\ndependencies: []\n" if key == "conda_file" else "")
        else:
            os.makedirs(target, exist_ok=True)
            with open(os.path.join(target, "stand-in"), "w", encoding="utf-8") as f:
                f.write("")
    return copy


def load_as_cli(load, path, doc):
    """Loads as `az ml ... create --file` does: `--name` and `--endpoint-name`
    given on the command line when the file has none."""
    path = with_stand_ins(path, doc)
    overrides = []
    if isinstance(doc, dict):
        if "name" not in doc:
            overrides.append({"name": "oracle-name"})
    error = None
    for _ in range(3):
        try:
            return load(path, params_override=list(overrides)), None
        except Exception as e:  # pylint: disable=broad-except
            error = " ".join(str(e).split())[:400]
        retry = False
        if "endpoint_name" in error and "Missing data" in error and {"endpoint_name": "oracle-endpoint"} not in overrides:
            overrides.append({"endpoint_name": "oracle-endpoint"})
            retry = True
        if "In order to specify an existing" in error or "does not exist" in error or "No such file" in error:
            for key in ASSET_KEYS:
                if isinstance(doc, dict) and f'"{key}"' in error and key in doc:
                    value = doc[key]
                    if key == "environment" and isinstance(value, dict) and "image" in value:
                        continue
                    o = {key: f"azureml:oracle-{key}:1"}
                    if key == "code_configuration" and isinstance(value, dict):
                        o = {"code_configuration.code": "azureml:oracle-code:1"}
                    if o not in overrides:
                        overrides.append(o)
                        retry = True
        if not retry:
            break
    return None, error


def sdk_side(path):
    """(loaded {loader: (kind, rest body)}, errors {loader: message}, schema loader, is Azure ML by $schema)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        doc = None
        parse_error = str(e).splitlines()[0]
    else:
        parse_error = None
    loader, named = schema_loader(doc)
    candidates = [loader] if loader else ([] if named else list(LOADERS))
    loaded, errors = {}, {}
    if parse_error:
        return loaded, {"yaml": parse_error}, loader, named
    for name in candidates:
        load, rest = LOADERS[name]
        entity, error = load_as_cli(load, path, doc)
        if entity is None:
            errors[name] = error
            continue
        body = None
        if rest is not None:
            try:
                obj = rest(entity)
                body = obj.serialize() if hasattr(obj, "serialize") else obj.as_dict()
            except Exception as e:  # pylint: disable=broad-except
                body = {"_error": str(e)[:200]}
        loaded[name] = (sdk_kind(name, entity), body)
    return loaded, errors, loader, named


DIAG = re.compile(r"^(Error|Warning|Info)\[([a-z0-9-]+)\]: (.*?):(\d+):(\d+): (.*)$")


def our_side(binary, path):
    p = subprocess.run([binary, "model", path], capture_output=True, text=True, timeout=120)
    try:
        resources = json.loads(p.stdout or "[]")
    except json.JSONDecodeError:
        resources = []
    mine = [
        r
        for r in resources
        if r["path"].rsplit(":", 2)[0] == path and not r.get("existing")
    ]
    diags = []
    for line in p.stderr.splitlines():
        m = DIAG.match(line)
        if m and m.group(3) == path:
            diags.append((m.group(1).lower(), m.group(2), m.group(6)))
    return mine, diags


def explained(rules, rel, what, arm_path="", sdk=None, ours=None):
    """The explained entry that covers a disagreement: same kind of
    disagreement, file glob, ARM path and, when the entry names them, the
    SDK's and our values (`null` for absent, `unknown` for unknown)."""
    for r in rules:
        if r["what"] != what or not fnmatch.fnmatch(rel, r["file"]) or not fnmatch.fnmatch(arm_path, r.get("path", "")):
            continue
        if "sdk" in r and r["sdk"] != sdk:
            continue
        if "ours" in r and r["ours"] != ours:
            continue
        return r
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--explained", default=os.path.join(os.path.dirname(__file__), "yaml-oracle-explained.json"))
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("corpus", nargs="*")
    args = ap.parse_args()
    roots = args.corpus or [p for p in ("../shared/corpus", "/work/shared/corpus") if os.path.isdir(p)][:1]
    roots = [os.path.normpath(os.path.abspath(r)) for r in roots]
    with open(args.explained, encoding="utf-8") as f:
        rules = json.load(f)["explained"]
    files = sorted(
        os.path.join(d, n)
        for root in roots
        for d, _, ns in os.walk(root)
        for n in ns
        if n.endswith((".yml", ".yaml"))
    )
    stats = dict(files=0, azure_ml=0, both=0, sdk_only=0, ours_only=0, kinds_agree=0, compared=0, agree=0, explained=0, unexplained=0, rejected=0, rejected_diagnosed=0, rejected_skipped=0, redacted=0, other_assets=0)
    problems, notes = [], []
    used = set()
    for path in files:
        stats["files"] += 1
        rel = path
        for root in roots:
            if path.startswith(root.rstrip("/") + "/"):
                rel = path[len(root.rstrip("/")) + 1 :]
        loaded, errors, loader, named = sdk_side(path)
        mine, diags = our_side(args.binary, path)
        ours_read = bool(mine)
        ours_diag = [d for d in diags if d[0] in ("error", "warning")]
        azure_ml = bool(loaded) or named or ours_read or bool(ours_diag)
        if not azure_ml:
            continue
        stats["azure_ml"] += 1

        def issue(what, detail, arm_path="", sdk=None, ours=None):
            r = explained(rules, rel, what, arm_path, sdk, ours)
            if r:
                used.add(id(r))
                stats["explained"] += 1
                notes.append(f"explained  {rel}: {what} {arm_path} {detail} ({r['reason'][:80]})")
            else:
                stats["unexplained"] += 1
                problems.append(f"{rel}: {what} {arm_path} {detail}")

        if named and not loader:
            # Data assets, components, schedules: no entity aml-baseline reads.
            stats["other_assets"] += 1
            continue
        if not loaded:
            stats["rejected"] += 1
            if ours_diag:
                stats["rejected_diagnosed"] += 1
            if loader or named:
                reason = next(iter(errors.values()), "no loader for this $schema")
            else:
                reason = "no SDK loader accepts it"
            if not ours_diag and not ours_read:
                stats["rejected_skipped"] += 1
                if args.verbose:
                    notes.append(f"skipped    {rel}: rejected by the SDK ({reason[:100]}), not read")
            if not ours_diag and (ours_read or loader):
                issue("rejected-not-diagnosed", f"the SDK rejects it ({reason[:160]}), aml-baseline reads it without a diagnostic")
            if ours_read:
                stats["ours_only"] += 1
            continue
        if not ours_read:
            stats["sdk_only"] += 1
            issue("loaded-not-read", f"the SDK loads it as {sorted(k for k, _ in loaded.values())}, aml-baseline does not read it ({[d[1] for d in diags]})")
            continue
        stats["both"] += 1
        wrongly = [d for d in diags if d[1] == "yaml-schema"]
        if wrongly:
            issue("loaded-but-rejected", f"the SDK loads it, aml-baseline says az ml rejects it: {wrongly[0][2][:160]}")
        primary = [r for r in mine if our_kind(r) != "environment"] or mine
        ours = primary[0]
        kind = our_kind(ours)
        sdk_kinds = {k: body for k, body in loaded.values()}
        if kind not in sdk_kinds:
            issue("kind", f"SDK {sorted(sdk_kinds)}, aml-baseline {kind}")
            continue
        stats["kinds_agree"] += 1
        body = sdk_kinds[kind]
        if not isinstance(body, dict) or "_error" in (body or {}):
            continue
        t = ours["resource"]["type"].split("Microsoft.MachineLearningServices/", 1)[-1].replace("workspaces/", "", 1)
        for arm in PATHS.get(t if t != "workspaces" else "workspaces", []):
            s = get(body, arm)
            o = get(ours["resource"], arm)
            if norm(s, arm) is None and norm(o, arm) is None:
                continue
            if o == "***":
                stats["redacted"] += 1
                continue
            stats["compared"] += 1
            if isinstance(o, str) and o.startswith("<unknown"):
                if s is None:
                    stats["agree"] += 1
                    continue
                issue("property", f"SDK {s!r}, aml-baseline unknown", arm, s, "unknown")
                continue
            if norm(s, arm) == norm(o, arm):
                stats["agree"] += 1
                if args.verbose:
                    notes.append(f"agree      {rel}: {arm} = {s!r}")
            else:
                issue("property", f"SDK {s!r}, aml-baseline {o!r}", arm, s, o)
    unused = [r for r in rules if id(r) not in used]
    if args.verbose:
        for n in notes:
            print(n)
    for p in problems:
        print("DISAGREE  " + p)
    for r in unused:
        print(f"note: explained entry not used: {r['file']} {r['what']} {r.get('path', '')}")
    print(
        "yaml-oracle (azure-ai-ml {v}): {files} YAML files, {azure_ml} Azure ML; {both} loaded by the SDK and read by aml-baseline, "
        "{kinds_agree} of the same kind; {rejected} rejected by the SDK: {rejected_diagnosed} diagnosed by aml-baseline, "
        "{rejected_skipped} neither read nor diagnosed (no entity aml-baseline reads); "
        "{sdk_only} loaded by the SDK only; properties compared: {compared}, agree: {agree} "
        "({redacted} not compared: masked as secrets in `model` output); "
        "disagreements explained: {explained}, unexplained: {unexplained}".format(
            v=__import__("azure.ai.ml", fromlist=["__version__"]).__version__, **stats
        )
    )
    return 1 if stats["unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main())
