//! The built-in definitions and initiatives shipped in the binary: every JSON
//! file under `policies/builtin/` (a test checks these lists against the folder).

/// `(path relative to policies/builtin, JSON text)`, top-level files first.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    (
        "AuditDiagnosticLog_Audit.json",
        include_str!("../../../policies/builtin/AuditDiagnosticLog_Audit.json"),
    ),
    (
        "AuditDiagnosticLog_DINE.json",
        include_str!("../../../policies/builtin/AuditDiagnosticLog_DINE.json"),
    ),
    (
        "ComputeInstanceUpdates_Audit.json",
        include_str!("../../../policies/builtin/ComputeInstanceUpdates_Audit.json"),
    ),
    (
        "DisableLocalAuth_Audit.json",
        include_str!("../../../policies/builtin/DisableLocalAuth_Audit.json"),
    ),
    (
        "DisableLocalAuth_Modify.json",
        include_str!("../../../policies/builtin/DisableLocalAuth_Modify.json"),
    ),
    (
        "IdleShutdown_Audit.json",
        include_str!("../../../policies/builtin/IdleShutdown_Audit.json"),
    ),
    (
        "ManagedNetworkIsolationMode_Audit.json",
        include_str!("../../../policies/builtin/ManagedNetworkIsolationMode_Audit.json"),
    ),
    (
        "Vnet_Audit.json",
        include_str!("../../../policies/builtin/Vnet_Audit.json"),
    ),
    (
        "Workspace_CMKEnabled_Audit.json",
        include_str!("../../../policies/builtin/Workspace_CMKEnabled_Audit.json"),
    ),
    (
        "Workspace_CMKEnabled_Audit_V2.json",
        include_str!("../../../policies/builtin/Workspace_CMKEnabled_Audit_V2.json"),
    ),
    (
        "Workspace_EnableV1LegacyMode_Audit.json",
        include_str!("../../../policies/builtin/Workspace_EnableV1LegacyMode_Audit.json"),
    ),
    (
        "Workspace_PrivateDnsZones_DINE.json",
        include_str!("../../../policies/builtin/Workspace_PrivateDnsZones_DINE.json"),
    ),
    (
        "Workspace_PrivateEndpoint_Audit.json",
        include_str!("../../../policies/builtin/Workspace_PrivateEndpoint_Audit.json"),
    ),
    (
        "Workspace_PrivateEndpoint_Audit_V2.json",
        include_str!("../../../policies/builtin/Workspace_PrivateEndpoint_Audit_V2.json"),
    ),
    (
        "Workspace_PrivateEndpoint_DINE.json",
        include_str!("../../../policies/builtin/Workspace_PrivateEndpoint_DINE.json"),
    ),
    (
        "Workspace_PublicNetworkAccessDisabled_Audit.json",
        include_str!("../../../policies/builtin/Workspace_PublicNetworkAccessDisabled_Audit.json"),
    ),
    (
        "Workspace_PublicNetworkAccessDisabled_Modify.json",
        include_str!("../../../policies/builtin/Workspace_PublicNetworkAccessDisabled_Modify.json"),
    ),
    (
        "Workspace_UAIEnabled_Audit.json",
        include_str!("../../../policies/builtin/Workspace_UAIEnabled_Audit.json"),
    ),
    (
        "alz/Audit-MachineLearning-PrivateEndpointId.json",
        include_str!("../../../policies/builtin/alz/Audit-MachineLearning-PrivateEndpointId.json"),
    ),
    (
        "alz/Deny-MachineLearning-Aks.json",
        include_str!("../../../policies/builtin/alz/Deny-MachineLearning-Aks.json"),
    ),
    (
        "alz/Deny-MachineLearning-Compute-SubnetId.json",
        include_str!("../../../policies/builtin/alz/Deny-MachineLearning-Compute-SubnetId.json"),
    ),
    (
        "alz/Deny-MachineLearning-Compute-VmSize.json",
        include_str!("../../../policies/builtin/alz/Deny-MachineLearning-Compute-VmSize.json"),
    ),
    (
        "alz/Deny-MachineLearning-ComputeCluster-RemoteLoginPortPublicAccess.json",
        include_str!("../../../policies/builtin/alz/Deny-MachineLearning-ComputeCluster-RemoteLoginPortPublicAccess.json"),
    ),
    (
        "alz/Deny-MachineLearning-ComputeCluster-Scale.json",
        include_str!("../../../policies/builtin/alz/Deny-MachineLearning-ComputeCluster-Scale.json"),
    ),
    (
        "alz/Deny-MachineLearning-HbiWorkspace.json",
        include_str!("../../../policies/builtin/alz/Deny-MachineLearning-HbiWorkspace.json"),
    ),
    (
        "alz/Deny-MachineLearning-PublicAccessWhenBehindVnet.json",
        include_str!("../../../policies/builtin/alz/Deny-MachineLearning-PublicAccessWhenBehindVnet.json"),
    ),
    (
        "azure-government/Workspace_PublicNetworkAccessDisabled_Modify.json",
        include_str!("../../../policies/builtin/azure-government/Workspace_PublicNetworkAccessDisabled_Modify.json"),
    ),
    (
        "data-plane/AllowDeployRegistryModels_Audit.json",
        include_str!("../../../policies/builtin/data-plane/AllowDeployRegistryModels_Audit.json"),
    ),
    (
        "data-plane/AllowedACRs_EnforceSetting.json",
        include_str!("../../../policies/builtin/data-plane/AllowedACRs_EnforceSetting.json"),
    ),
    (
        "data-plane/AllowedLogFilter_EnforceSetting.json",
        include_str!("../../../policies/builtin/data-plane/AllowedLogFilter_EnforceSetting.json"),
    ),
    (
        "data-plane/AllowedModuleAuthors_EnforceSetting.json",
        include_str!("../../../policies/builtin/data-plane/AllowedModuleAuthors_EnforceSetting.json"),
    ),
    (
        "data-plane/AllowedPythonPackageChannels_EnforceSetting.json",
        include_str!("../../../policies/builtin/data-plane/AllowedPythonPackageChannels_EnforceSetting.json"),
    ),
    (
        "data-plane/AllowedSigningKey_EnforceSetting.json",
        include_str!("../../../policies/builtin/data-plane/AllowedSigningKey_EnforceSetting.json"),
    ),
    (
        "data-plane/ApprovalEndpoint_EnforceSetting.json",
        include_str!("../../../policies/builtin/data-plane/ApprovalEndpoint_EnforceSetting.json"),
    ),
    (
        "data-plane/OnlyDeployAllowedRegistryModels_Deny.json",
        include_str!("../../../policies/builtin/data-plane/OnlyDeployAllowedRegistryModels_Deny.json"),
    ),
    (
        "data-plane/OnlyDeployAllowedRegistryModels_Deny_Versioning_Test.json",
        include_str!("../../../policies/builtin/data-plane/OnlyDeployAllowedRegistryModels_Deny_Versioning_Test.json"),
    ),
    (
        "monitoring/DS_EH_machinelearningservices-registries_DINE.json",
        include_str!("../../../policies/builtin/monitoring/DS_EH_machinelearningservices-registries_DINE.json"),
    ),
    (
        "monitoring/DS_EH_machinelearningservices-workspaces-onlineendpoints_DINE.json",
        include_str!("../../../policies/builtin/monitoring/DS_EH_machinelearningservices-workspaces-onlineendpoints_DINE.json"),
    ),
    (
        "monitoring/DS_EH_machinelearningservices-workspaces_DINE.json",
        include_str!("../../../policies/builtin/monitoring/DS_EH_machinelearningservices-workspaces_DINE.json"),
    ),
    (
        "monitoring/DS_LA_machinelearningservices-registries_DINE.json",
        include_str!("../../../policies/builtin/monitoring/DS_LA_machinelearningservices-registries_DINE.json"),
    ),
    (
        "monitoring/DS_LA_machinelearningservices-workspaces-onlineendpoints_DINE.json",
        include_str!("../../../policies/builtin/monitoring/DS_LA_machinelearningservices-workspaces-onlineendpoints_DINE.json"),
    ),
    (
        "monitoring/DS_LA_machinelearningservices-workspaces_DINE.json",
        include_str!("../../../policies/builtin/monitoring/DS_LA_machinelearningservices-workspaces_DINE.json"),
    ),
    (
        "monitoring/DS_ST_machinelearningservices-registries_DINE.json",
        include_str!("../../../policies/builtin/monitoring/DS_ST_machinelearningservices-registries_DINE.json"),
    ),
    (
        "monitoring/DS_ST_machinelearningservices-workspaces-onlineendpoints_DINE.json",
        include_str!("../../../policies/builtin/monitoring/DS_ST_machinelearningservices-workspaces-onlineendpoints_DINE.json"),
    ),
    (
        "monitoring/DS_ST_machinelearningservices-workspaces_DINE.json",
        include_str!("../../../policies/builtin/monitoring/DS_ST_machinelearningservices-workspaces_DINE.json"),
    ),
    (
        "multi-type/DiagnosticSettingsExistsAudit_Audit.json",
        include_str!("../../../policies/builtin/multi-type/DiagnosticSettingsExistsAudit_Audit.json"),
    ),
    (
        "multi-type/DiagnosticSettingsForTypes_Audit.json",
        include_str!("../../../policies/builtin/multi-type/DiagnosticSettingsForTypes_Audit.json"),
    ),
];

/// The shipped initiatives (policy set definitions), `(path relative to
/// policies/builtin, JSON text)`: the Azure Landing Zones' Azure ML guardrails
/// and the Microsoft cloud security benchmark v1 and v2 (the benchmark ones
/// trimmed by `scripts/trim-initiatives.py`: members whose definitions are not
/// shipped keep only their ids).
pub(crate) const BUILTIN_INITIATIVES: &[(&str, &str)] = &[
    (
        "initiatives/AzureSecurityCenter.json",
        include_str!("../../../policies/builtin/initiatives/AzureSecurityCenter.json"),
    ),
    (
        "initiatives/Enforce-Guardrails-MachineLearning.json",
        include_str!(
            "../../../policies/builtin/initiatives/Enforce-Guardrails-MachineLearning.json"
        ),
    ),
    (
        "initiatives/MCSBv2.json",
        include_str!("../../../policies/builtin/initiatives/MCSBv2.json"),
    ),
];

#[cfg(test)]
mod tests {
    use super::{BUILTIN, BUILTIN_INITIATIVES};

    /// Every definition and initiative file in `policies/builtin/` is
    /// embedded, and nothing else.
    #[test]
    fn list_matches_the_folder() {
        fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, base, out);
                } else if path.extension().is_some_and(|e| e == "json") {
                    let rel = path.strip_prefix(base).unwrap();
                    out.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        let base = std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../policies/builtin"
        ));
        if !base.is_dir() {
            eprintln!("skipped: {} not found", base.display());
            return;
        }
        let mut on_disk = Vec::new();
        walk(base, base, &mut on_disk);
        on_disk.sort();
        let mut listed: Vec<String> = BUILTIN
            .iter()
            .chain(BUILTIN_INITIATIVES)
            .map(|(p, _)| p.to_string())
            .collect();
        listed.sort();
        assert_eq!(listed, on_disk);
    }

    /// Every shipped file has a `SOURCES.tsv` row (repository, path, commit,
    /// licence, local path) under a licence whose text is beside it.
    #[test]
    fn every_shipped_file_has_a_source_row() {
        let base = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/builtin");
        let Ok(text) = std::fs::read_to_string(format!("{base}/SOURCES.tsv")) else {
            eprintln!("skipped: {base}/SOURCES.tsv not found");
            return;
        };
        let mut rows: Vec<&str> = Vec::new();
        for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "{line}");
            assert_eq!(cols[2].len(), 40, "a commit: {line}");
            assert_eq!(cols[3], "MIT", "{line}");
            let licence = match cols[0] {
                "Azure/azure-policy" => "LICENSE.azure-policy",
                "Azure/Azure-Landing-Zones-Library" => "LICENSE.alz-library",
                other => panic!("no licence file for {other}"),
            };
            assert!(std::path::Path::new(&format!("{base}/{licence}")).is_file());
            rows.push(cols[4]);
        }
        rows.sort_unstable();
        let mut shipped: Vec<&str> = BUILTIN
            .iter()
            .chain(BUILTIN_INITIATIVES)
            .map(|(p, _)| *p)
            .collect();
        shipped.sort_unstable();
        assert_eq!(rows, shipped);
    }

    /// The trimmed benchmark initiatives are what `scripts/trim-initiatives.py`
    /// makes of the corpus (skipped where python3 or the corpus is absent).
    #[test]
    fn trimmed_initiatives_are_up_to_date() {
        let root = crate::test_support::repository_root();
        let corpus = format!("{root}/../shared/corpus/azure-policy/policy-sets");
        crate::test_support::generated_data_is_up_to_date(
            "trim-initiatives.py",
            "--corpus",
            &corpus,
        );
    }
}
