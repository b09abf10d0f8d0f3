//! The built-in definitions shipped in the binary: every JSON file under
//! `policies/builtin/` (a test checks this list against the folder).

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

#[cfg(test)]
mod tests {
    use super::BUILTIN;

    /// Every definition file in `policies/builtin/` is embedded, and nothing else.
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
        let mut listed: Vec<String> = BUILTIN.iter().map(|(p, _)| p.to_string()).collect();
        listed.sort();
        assert_eq!(listed, on_disk);
    }
}
