//! The JSON report's `baseline` member written by hand, byte for byte as
//! its `Serialize` derive writes it, so that the findings behind each
//! feature (one per failing or unknown result: 80 MB at 100,000 live
//! resources) are serialised in parallel and written in order, like the
//! results, rather than on one thread (decision 0061). The controls,
//! features and other evidence, a few hundred values, go through serde.

use super::stream::{Layout, Object};
use crate::baseline::{Baseline, Evidence};
use std::io::{self, Write};

/// Writes `baseline` laid out as `layout` says.
pub(crate) fn write<W: Write + ?Sized>(
    out: &mut W,
    layout: Layout,
    baseline: &Baseline,
) -> io::Result<()> {
    let mut o = Object::begin(out, layout)?;
    o.field("benchmark", baseline.benchmark)?;
    o.field("baseline", baseline.baseline)?;
    o.member("controls", |out, layout| {
        list(out, layout, &baseline.controls, |out, layout, c| {
            let mut o = Object::begin(out, layout)?;
            o.field("id", c.id)?;
            o.field("domain", c.domain)?;
            o.field("title", c.title)?;
            o.field("status", &c.status)?;
            o.member("features", |out, layout| {
                list(out, layout, &c.features, |out, layout, f| {
                    let mut o = Object::begin(out, layout)?;
                    o.field("name", &f.name)?;
                    o.field("in_baseline", &f.in_baseline)?;
                    o.field("supported", &f.supported)?;
                    o.field("enabled_by_default", &f.enabled_by_default)?;
                    o.field("responsibility", &f.responsibility)?;
                    o.field("status", &f.status)?;
                    o.field("description", &f.description)?;
                    o.field("guidance", &f.guidance)?;
                    o.field("reference", &f.reference)?;
                    o.field("rules", &f.rules)?;
                    o.member("evidence", |out, layout| {
                        list(out, layout, &f.evidence, evidence)
                    })?;
                    o.end()
                })
            })?;
            o.end()
        })
    })?;
    o.end()
}

/// One piece of evidence: the derive's internally tagged form.
fn evidence<W: Write + ?Sized>(out: &mut W, layout: Layout, e: &Evidence) -> io::Result<()> {
    match e {
        Evidence::Results {
            passed,
            failed,
            unknown,
            suppressed,
            findings,
        } => {
            let mut o = Object::begin(out, layout)?;
            o.field("kind", "results")?;
            o.field("passed", passed)?;
            o.field("failed", failed)?;
            o.field("unknown", unknown)?;
            o.field("suppressed", suppressed)?;
            o.items_pretty_by("findings", findings, super::json_result::write_finding)?;
            o.end()
        }
        other => layout.write(out, other),
    }
}

/// An array of `items`, each written by `each` on this thread.
fn list<W: Write + ?Sized, T>(
    out: &mut W,
    layout: Layout,
    items: &[T],
    each: impl Fn(&mut W, Layout, &T) -> io::Result<()>,
) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, item) in items.iter().enumerate() {
        if i == 0 {
            layout.opening(out)?;
        } else {
            layout.separator(out)?;
        }
        each(out, layout.deeper(), item)?;
    }
    if !items.is_empty() {
        layout.closing(out)?;
    }
    out.write_all(b"]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::{ControlStatus, EvidenceFinding, FeatureStatus, Status};
    use crate::entry::Shared;
    use aml_rules::Verdict;

    fn finding(n: usize) -> EvidenceFinding {
        EvidenceFinding {
            rule: "AMLB-NS1-001",
            result: if n % 2 == 0 {
                Verdict::Fail
            } else {
                Verdict::Unknown
            },
            resource_id: Shared::from(format!("/subscriptions/s/x/\"{n}\"\n")),
            path: Shared::from("a\\b.json"),
            line: n as u32,
            suppressed: None,
        }
    }

    fn feature(evidence: Vec<Evidence>, reference: Option<String>) -> FeatureStatus {
        FeatureStatus {
            name: "Feature \u{e9}".into(),
            in_baseline: true,
            supported: false,
            enabled_by_default: None,
            responsibility: "Customer".into(),
            status: Status::Fail,
            description: "d".into(),
            guidance: String::new(),
            reference,
            rules: vec!["AMLB-NS1-001", "AMLB-NS1-002"],
            evidence,
        }
    }

    /// Every kind of evidence, empty and large lists, at several depths:
    /// the derive's bytes, pretty and compact.
    #[test]
    fn the_bytes_of_the_derive() {
        let baseline = Baseline {
            benchmark: "b",
            baseline: "c",
            controls: vec![
                ControlStatus {
                    id: "NS-1",
                    domain: "Network",
                    title: "t",
                    status: Status::Fail,
                    features: vec![
                        feature(
                            vec![
                                Evidence::Results {
                                    passed: 1,
                                    failed: 2,
                                    unknown: 3,
                                    suppressed: 4,
                                    findings: (0..5000).map(finding).collect(),
                                },
                                Evidence::Results {
                                    passed: 0,
                                    failed: 0,
                                    unknown: 0,
                                    suppressed: 0,
                                    findings: Vec::new(),
                                },
                                Evidence::Attestation {
                                    by: "me".into(),
                                    evidence: "e".into(),
                                    expires: "2027-01-01".into(),
                                    expired: false,
                                },
                                Evidence::Note {
                                    message: "n".into(),
                                },
                            ],
                            Some("r".into()),
                        ),
                        feature(Vec::new(), None),
                    ],
                },
                ControlStatus {
                    id: "NS-2",
                    domain: "Network",
                    title: "u",
                    status: Status::Pass,
                    features: Vec::new(),
                },
            ],
        };
        let empty = Baseline {
            benchmark: "b",
            baseline: "c",
            controls: Vec::new(),
        };
        for b in [&baseline, &empty] {
            for level in [0, 1, 3] {
                let mut mine = Vec::new();
                write(&mut mine, Layout::Pretty(level), b).unwrap();
                let mut theirs = Vec::new();
                Layout::Pretty(level).write(&mut theirs, b).unwrap();
                assert_eq!(
                    String::from_utf8(mine).unwrap(),
                    String::from_utf8(theirs).unwrap()
                );
            }
            let mut mine = Vec::new();
            write(&mut mine, Layout::Compact, b).unwrap();
            assert_eq!(mine, serde_json::to_vec(b).unwrap());
        }
    }
}
