//! Titles of the baseline's controls (Microsoft cloud security benchmark v1.0).

/// `(control id, title)`, in the baseline's order.
pub const CONTROLS: &[(&str, &str)] = &[
    ("NS-1", "Establish network segmentation boundaries"),
    ("NS-2", "Secure cloud services with network controls"),
    ("IM-1", "Use centralized identity and authentication system"),
    (
        "IM-3",
        "Manage application identities securely and automatically",
    ),
    ("IM-7", "Restrict resource access based on conditions"),
    ("IM-8", "Restrict the exposure of credential and secrets"),
    (
        "PA-1",
        "Separate and limit highly privileged/administrative users",
    ),
    (
        "PA-7",
        "Follow just enough administration (least privilege) principle",
    ),
    ("PA-8", "Choose approval process for third-party support"),
    ("DP-1", "Discover, classify, and label sensitive data"),
    (
        "DP-2",
        "Monitor anomalies and threats targeting sensitive data",
    ),
    ("DP-3", "Encrypt sensitive data in transit"),
    ("DP-4", "Enable data at rest encryption by default"),
    (
        "DP-5",
        "Use customer-managed key option in data at rest encryption when required",
    ),
    ("DP-6", "Use a secure key management process"),
    ("DP-7", "Use a secure certificate management process"),
    ("AM-2", "Use only approved services"),
    ("AM-5", "Use only approved applications in virtual machine"),
    ("LT-1", "Enable threat detection capabilities"),
    ("LT-4", "Enable network logging for security investigation"),
    ("BR-1", "Ensure regular automated backups"),
    (
        "PV-3",
        "Define and establish secure configurations for compute resources",
    ),
    ("PV-5", "Perform vulnerability assessments"),
    (
        "PV-6",
        "Rapidly and automatically remediate vulnerabilities",
    ),
    ("ES-1", "Use Endpoint Detection and Response (EDR)"),
    ("ES-2", "Use modern anti-malware software"),
    (
        "ES-3",
        "Ensure anti-malware software and signatures are updated",
    ),
];

/// The pseudo-control of the results of a user's policy assignments that no
/// baseline control covers (`scan --assignments`).
pub const ASSIGNMENTS_CONTROL: &str = "POLICY";

/// The title of a control, or `""` when the id is not a baseline control
/// (the results of a user's policy assignments outside the baseline's
/// controls have a title of their own).
pub fn title(id: &str) -> &'static str {
    if id == ASSIGNMENTS_CONTROL {
        return "Your organisation's policy assignments";
    }
    CONTROLS
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(id))
        .map(|(_, t)| *t)
        .unwrap_or("")
}

/// Position of a control in the baseline's order (unknown ids sort last).
pub fn order(id: &str) -> usize {
    CONTROLS
        .iter()
        .position(|(c, _)| c.eq_ignore_ascii_case(id))
        .unwrap_or(usize::MAX)
}
