#!/usr/bin/env python3
"""Writes crates/yaml/src/schemas.rs: the keys and value types that the Azure ML
CLI (azure-ai-ml, pinned in scripts/yaml-oracle-requirements.txt) accepts for each
entity it creates, read from the SDK's own marshmallow schemas
(azure/ai/ml/_schema/). The Rust table is generated: run this script again after
an SDK upgrade (scripts/yaml-oracle.sh sets up the venv) and review the diff.

    python scripts/yaml-schema-table.py > crates/yaml/src/schemas.rs && cargo fmt --all
"""

import importlib
import re
import sys
import warnings

import azure.ai.ml
from marshmallow import fields as mf

from azure.ai.ml._schema.core.schema import PathAwareSchema

# (Rust const name, module, schema class) of every entity the front end reads.
ENTITIES = [
    ("WORKSPACE", "azure.ai.ml._schema.workspace", "WorkspaceSchema"),
    ("HUB", "azure.ai.ml._schema.workspace", "HubSchema"),
    ("PROJECT", "azure.ai.ml._schema.workspace", "ProjectSchema"),
    ("FEATURE_STORE", "azure.ai.ml._schema._feature_store.feature_store_schema", "FeatureStoreSchema"),
    ("AML_COMPUTE", "azure.ai.ml._schema.compute.aml_compute", "AmlComputeSchema"),
    ("COMPUTE_INSTANCE", "azure.ai.ml._schema.compute.compute_instance", "ComputeInstanceSchema"),
    ("KUBERNETES_COMPUTE", "azure.ai.ml._schema.compute.kubernetes_compute", "KubernetesComputeSchema"),
    ("VIRTUAL_MACHINE_COMPUTE", "azure.ai.ml._schema.compute.virtual_machine_compute", "VirtualMachineComputeSchema"),
    ("SYNAPSE_SPARK_COMPUTE", "azure.ai.ml._schema.compute.synapsespark_compute", "SynapseSparkComputeSchema"),
    ("MANAGED_ONLINE_ENDPOINT", "azure.ai.ml._schema._endpoint", "ManagedOnlineEndpointSchema"),
    ("KUBERNETES_ONLINE_ENDPOINT", "azure.ai.ml._schema._endpoint", "KubernetesOnlineEndpointSchema"),
    ("BATCH_ENDPOINT", "azure.ai.ml._schema._endpoint", "BatchEndpointSchema"),
    ("MANAGED_ONLINE_DEPLOYMENT", "azure.ai.ml._schema._deployment.online.online_deployment", "ManagedOnlineDeploymentSchema"),
    ("KUBERNETES_ONLINE_DEPLOYMENT", "azure.ai.ml._schema._deployment.online.online_deployment", "KubernetesOnlineDeploymentSchema"),
    ("BATCH_DEPLOYMENT", "azure.ai.ml._schema._deployment.batch.batch_deployment", "BatchDeploymentSchema"),
    ("MODEL_BATCH_DEPLOYMENT", "azure.ai.ml._schema._deployment.batch.model_batch_deployment", "ModelBatchDeploymentSchema"),
    ("PIPELINE_COMPONENT_BATCH_DEPLOYMENT", "azure.ai.ml._schema._deployment.batch.pipeline_component_batch_deployment_schema", "PipelineComponentBatchDeploymentSchema"),
    ("REGISTRY", "azure.ai.ml._schema.registry", "RegistrySchema"),
    ("AZURE_BLOB", "azure.ai.ml._schema._datastore", "AzureBlobSchema"),
    ("AZURE_FILE", "azure.ai.ml._schema._datastore", "AzureFileSchema"),
    ("AZURE_DATA_LAKE_GEN1", "azure.ai.ml._schema._datastore", "AzureDataLakeGen1Schema"),
    ("AZURE_DATA_LAKE_GEN2", "azure.ai.ml._schema._datastore", "AzureDataLakeGen2Schema"),
    ("ONE_LAKE", "azure.ai.ml._schema._datastore.one_lake", "OneLakeSchema"),
    ("CONNECTION", "azure.ai.ml._schema.workspace.connections.workspace_connection", "WorkspaceConnectionSchema"),
    ("AZURE_OPEN_AI_CONNECTION", "azure.ai.ml._schema.workspace.connections.connection_subtypes", "AzureOpenAIConnectionSchema"),
    ("AZURE_AI_SERVICES_CONNECTION", "azure.ai.ml._schema.workspace.connections.connection_subtypes", "AzureAIServicesConnectionSchema"),
    ("AZURE_AI_SEARCH_CONNECTION", "azure.ai.ml._schema.workspace.connections.connection_subtypes", "AzureAISearchConnectionSchema"),
    ("AZURE_CONTENT_SAFETY_CONNECTION", "azure.ai.ml._schema.workspace.connections.connection_subtypes", "AzureContentSafetyConnectionSchema"),
    ("AZURE_SPEECH_SERVICES_CONNECTION", "azure.ai.ml._schema.workspace.connections.connection_subtypes", "AzureSpeechServicesConnectionSchema"),
    ("AZURE_BLOB_STORE_CONNECTION", "azure.ai.ml._schema.workspace.connections.connection_subtypes", "AzureBlobStoreConnectionSchema"),
    ("ONE_LAKE_CONNECTION", "azure.ai.ml._schema.workspace.connections.connection_subtypes", "MicrosoftOneLakeConnectionSchema"),
    ("API_KEY_CONNECTION", "azure.ai.ml._schema.workspace.connections.connection_subtypes", "APIKeyConnectionSchema"),
    ("OPEN_AI_CONNECTION", "azure.ai.ml._schema.workspace.connections.connection_subtypes", "OpenAIConnectionSchema"),
    ("SERP_CONNECTION", "azure.ai.ml._schema.workspace.connections.connection_subtypes", "SerpConnectionSchema"),
    ("SERVERLESS_CONNECTION", "azure.ai.ml._schema.workspace.connections.connection_subtypes", "ServerlessConnectionSchema"),
    ("ENVIRONMENT", "azure.ai.ml._schema.assets.environment", "EnvironmentSchema"),
    ("MODEL", "azure.ai.ml._schema.assets.model", "ModelSchema"),
]

# Keys a schema's own pre_load renames before marshmallow sees them (found with
# `grep -rn replace_key_in_odict azure/ai/ml/_schema`): the written key, the field.
ALIASES = {"ResourceSettingsSchema": [("nvidia.com/gpu", "gpu")]}

# Nested schemas deeper than this are open (`T::Any`): no entity nests security
# settings further down.
MAX_DEPTH = 5

consts = {}  # class name -> (const name, rust text)
order = []


def const_name(cls):
    name = re.sub(r"Schema$", "", cls.__name__)
    return "S_" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def rust_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ty(field, depth, stack):
    """The Rust `T` for one marshmallow field."""
    cls = type(field).__name__
    # Experimental, pipeline and other wrappers: the wrapped field decides.
    for attr in ("_experimental_field", "_field", "inner_field"):
        inner = getattr(field, attr, None)
        if isinstance(inner, mf.Field) and cls != "List":
            return ty(inner, depth, stack)
    if cls in ("StringTransformedEnum", "DumpableEnumField") and getattr(field, "allowed_values", None):
        values = sorted(set(str(v).lower() for v in field.allowed_values))
        return "T::Enum(&[" + ", ".join(rust_str(v) for v in values) + "])"
    if isinstance(field, mf.Boolean):
        return "T::Bool"
    if isinstance(field, mf.Integer):
        return "T::Int"
    if isinstance(field, mf.Number):
        return "T::Num"
    if isinstance(field, (mf.String, mf.Url)):
        return "T::Str"
    if isinstance(field, mf.Dict):
        values = getattr(field, "value_field", None)
        return "T::Map(&" + (ty(values, depth, stack) if values is not None else "T::Any") + ")"
    if isinstance(field, mf.List):
        return "T::List(&" + ty(field.inner, depth, stack) + ")"
    if cls == "UnionField":
        parts = [ty(f, depth, stack) for f in getattr(field, "union_fields", [])]
        parts = sorted(set(parts), key=parts.index)
        if "T::Any" in parts or not parts:
            return "T::Any"
        if len(parts) == 1:
            return parts[0]
        return "T::OneOf(&[" + ", ".join(parts) + "])"
    if isinstance(field, mf.Nested) or cls == "NestedField":
        try:
            nested = field.schema
        except Exception:  # pylint: disable=broad-except
            nested = None
        if nested is None or depth >= MAX_DEPTH:
            return "T::Any"
        return "T::Obj(&" + schema(type(nested), nested, depth + 1, stack) + ")"
    return "T::Any"


def schema(cls, inst, depth, stack):
    """Emits (once) the const for a schema class and returns its name."""
    key = cls.__module__ + "." + cls.__name__
    if key in consts:
        return consts[key][0]
    if key in stack:
        return "OPEN"
    name = const_name(cls)
    while any(n == name for n, _ in consts.values()):
        name += "_"
    stack = stack | {key}
    rows = []
    for fname, field in inst.fields.items():
        if field.dump_only:
            # PathAwareSchema drops read-only keys before loading; elsewhere
            # marshmallow takes them for unknown keys.
            if issubclass(cls, PathAwareSchema):
                rows.append(f"    F({rust_str(field.data_key or fname)}, T::Any),")
            continue
        k = field.data_key or fname
        rows.append(f"    F({rust_str(k)}, {ty(field, depth, stack)}),")
    for written, field_name in ALIASES.get(cls.__name__, []):
        rows.append(f"    F({rust_str(written)}, {ty(inst.fields[field_name], depth, stack)}),")
    open_ = str(getattr(inst, "unknown", "raise")).lower() != "raise"
    text = (
        f"/// `{cls.__module__}.{cls.__name__}`\n"
        f"pub const {name}: S = S {{\n    open: {str(open_).lower()},\n    fields: &[\n"
        + "\n".join("    " + r for r in rows)
        + "\n    ],\n};\n"
    )
    consts[key] = (name, text)
    order.append(key)
    return name


def main():
    warnings.simplefilter("ignore")
    tops = []
    for rust, module, clsname in ENTITIES:
        cls = getattr(importlib.import_module(module), clsname)
        inst = cls(context={"base_path": "."})
        name = schema(cls, inst, 0, frozenset())
        tops.append(f"/// `{clsname}`\npub const {rust}: &S = &{name};\n")
    out = sys.stdout
    out.write(
        "// @generated by scripts/yaml-schema-table.py from azure-ai-ml "
        + azure.ai.ml.__version__
        + " (azure/ai/ml/_schema).\n// Do not edit by hand: run the script again after an SDK upgrade.\n"
        "//! The keys and value types `az ml` accepts for each entity (see [`crate::validate`]).\n\n"
        "#![allow(missing_docs)]\n\nuse crate::validate::{F, S, T};\n\n"
        "/// A nested schema that refers back to itself: not checked further.\n"
        "pub const OPEN: S = S { open: true, fields: &[] };\n\n"
    )
    for key in order:
        out.write(consts[key][1] + "\n")
    for t in tops:
        out.write(t + "\n")


main()
