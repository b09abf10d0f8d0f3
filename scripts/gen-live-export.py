#!/usr/bin/env python3
"""Writes a synthetic live export (the shape `aml-baseline collect` writes) of
COUNT resources, for the performance figures in docs/performance.md.

Per workspace: the workspace (half with public access on, a private endpoint
connection approved or pending), two computes (an instance whose OS image is
outdated every third time, a cluster), a private endpoint, a diagnostic
setting on every other workspace, and a storage account; spread over 50
subscriptions and 10 resource groups each. Deterministic.

    scripts/gen-live-export.py /tmp/live-100k.json --count 100000
"""
import argparse
import json

p = argparse.ArgumentParser()
p.add_argument("output")
p.add_argument("--count", type=int, default=100_000)
a = p.parse_args()

resources = []
i = 0
while len(resources) < a.count:
    sub = f"{i % 50:08d}-0000-4000-8000-000000000000"
    rg = f"/subscriptions/{sub}/resourceGroups/rg-{i % 10}"
    ws = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/mlw-{i}"
    pe = f"{rg}/providers/Microsoft.Network/privateEndpoints/pe-{i}"
    resources.append({
        "id": ws, "name": f"mlw-{i}", "type": "microsoft.machinelearningservices/workspaces",
        "location": "westeurope", "subscriptionId": sub, "resourceGroup": f"rg-{i % 10}",
        "identity": {"type": "SystemAssigned"}, "sku": {"name": "Basic", "tier": "Basic"},
        "properties": {
            "publicNetworkAccess": "Enabled" if i % 2 else "Disabled",
            "v1LegacyMode": False, "provisioningState": "Succeeded",
            "storageAccount": f"{rg}/providers/Microsoft.Storage/storageAccounts/st{i}",
            "privateEndpointConnections": [{
                "id": f"{ws}/privateEndpointConnections/pe-{i}", "name": f"pe-{i}",
                "properties": {"privateEndpoint": {"id": pe},
                               "privateLinkServiceConnectionState": {"status": "Pending" if i % 5 == 0 else "Approved"}}}],
        },
    })
    resources.append({
        "id": f"{ws}/computes/ci", "name": "ci", "type": "Microsoft.MachineLearningServices/workspaces/computes",
        "location": "westeurope",
        "properties": {"computeType": "ComputeInstance", "disableLocalAuth": True, "properties": {
            "vmSize": "STANDARD_DS3_V2", "enableNodePublicIp": False, "idleTimeBeforeShutdown": "PT60M",
            "osImageMetadata": {"isLatestOsImageVersion": i % 3 != 0}}},
    })
    resources.append({
        "id": f"{ws}/computes/cluster", "name": "cluster", "type": "Microsoft.MachineLearningServices/workspaces/computes",
        "location": "westeurope",
        "properties": {"computeType": "AmlCompute", "disableLocalAuth": True, "properties": {
            "vmSize": "STANDARD_DS3_V2", "enableNodePublicIp": False,
            "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 4}}},
    })
    resources.append({
        "id": pe, "name": f"pe-{i}", "type": "microsoft.network/privateendpoints", "location": "westeurope",
        "properties": {"privateLinkServiceConnections": [{"name": f"pe-{i}", "properties": {
            "privateLinkServiceId": ws, "groupIds": ["amlworkspace"]}}]},
    })
    if i % 2 == 0:
        resources.append({
            "id": f"{ws}/providers/microsoft.insights/diagnosticSettings/all", "name": "all",
            "type": "Microsoft.Insights/diagnosticSettings",
            "properties": {"logs": [{"categoryGroup": "allLogs", "enabled": True}]},
        })
    resources.append({
        "id": f"{rg}/providers/Microsoft.Storage/storageAccounts/st{i}", "name": f"st{i}",
        "type": "microsoft.storage/storageaccounts", "location": "westeurope", "kind": "StorageV2",
        "properties": {"supportsHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2"},
    })
    i += 1

export = {"exportFormat": "aml-baseline-live-export/1", "tool": "scripts/gen-live-export.py",
          "scope": {"subscriptions": [], "managementGroups": []},
          "value": resources[: a.count], "policyStates": [], "assessments": [], "warnings": []}
with open(a.output, "w") as f:
    json.dump(export, f, indent=1)
    f.write("\n")
print(f"{a.output}: {a.count} resources, {i} workspaces")
