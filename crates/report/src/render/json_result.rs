//! A result entry written as pretty JSON without going through serde's
//! derive: the bytes of `serde_json::to_writer_pretty` for a
//! [`ResultEntry`] (a test compares them on entries that use every
//! member), with each member's key, comma and indentation written as one
//! piece. Results are most of a large report's bytes (491,000 of them, 633
//! MB, for a 100,000-resource live export), and serde's pretty printer
//! spends more on the keys and the separators between members than on the
//! values (decision 0057). Nested values (evidence, fixes, suppressions)
//! still go through serde.

use super::stream::pretty_at;
use crate::baseline::EvidenceFinding;
use crate::entry::{AutofixEntry, DiagnosticEntry, ResourceEntry, ResultEntry};
use std::io;

/// The two-space indentation of up to 31 levels, after a line break.
const LINE: &[u8; 64] = b"\n                                                               ";

/// Writes one entry as serde's pretty printer writes it `level` containers
/// deep (the entry's members one level deeper).
pub(crate) fn write(out: &mut Vec<u8>, level: usize, r: &ResultEntry) -> io::Result<()> {
    // Deeper than the indentation at hand (never in a report): serde.
    if 2 * (level + 1) + 1 > LINE.len() {
        return pretty_at(out, level, r);
    }
    let mut m = Members::open(out, level);
    m.string("rule", r.rule);
    m.option_string("policy", r.policy);
    m.string("control", r.control);
    m.option_string("feature", r.feature);
    m.string("result", r.result.as_str());
    m.string("severity", r.severity);
    m.string("resource_id", &r.resource_id);
    m.string("resource_type", &r.resource_type);
    m.string("resource_name", &r.resource_name);
    m.number("resource_index", r.resource_index);
    m.string("source", r.source);
    if let Some(azure) = &r.azure {
        m.nested("azure", azure)?;
    }
    if !r.field_restrictions.is_empty() {
        m.nested("field_restrictions", &r.field_restrictions)?;
    }
    if let Some(address) = &r.address {
        m.string("address", address);
    }
    m.string("path", &r.path);
    m.number("line", r.line);
    m.number("column", r.column);
    m.string("message", &r.message);
    if let Some(effect) = &r.effect {
        m.string("effect", effect);
    }
    if let Some(assignment) = &r.assignment {
        m.string("assignment", assignment);
    }
    if r.denied {
        m.literal("denied", b"true");
    }
    if r.may_be_denied {
        m.literal("may_be_denied", b"true");
    }
    if let Some(known_issue) = r.known_issue {
        m.nested("known_issue", known_issue)?;
    }
    if !r.deciding.is_empty() {
        m.nested("deciding", &r.deciding)?;
    }
    if let Some(evidence) = &r.evidence {
        m.nested("evidence", evidence)?;
    }
    if let Some(rollup) = &r.rollup {
        m.nested("rollup", rollup)?;
    }
    if let Some(fix) = r.fix {
        m.string("fix", fix);
    }
    if let Some(suppressed) = &r.suppressed {
        m.nested("suppressed", suppressed)?;
    }
    m.number("end_line", r.end_line);
    m.number("end_column", r.end_column);
    m.option_string("property", r.property.as_deref());
    if let Some(autofix) = &r.autofix {
        write_autofix(&mut m, autofix)?;
    }
    m.close();
    Ok(())
}

/// The `autofix` member of a result, as serde's pretty printer writes it:
/// its diff and replacements, strings full of line breaks and quotes, were
/// most of what serde still wrote of a large report.
fn write_autofix(m: &mut Members<'_>, a: &AutofixEntry) -> io::Result<()> {
    // The entry's value is one level below the result's members; a
    // replacement's members are five levels below that.
    let level = m.level + 1;
    if 2 * (level + 5) + 1 > LINE.len() {
        return m.nested("autofix", a);
    }
    m.key("autofix");
    let mut o = Members::open(&mut *m.out, level);
    o.string("safety", a.safety);
    o.string("description", &a.description);
    o.key("changes");
    array(o.out, level + 1, &a.changes, |out, at, change| {
        let mut c = Members::open(out, at);
        c.string("path", &change.path);
        c.key("replacements");
        array(c.out, at + 1, &change.replacements, |out, at, r| {
            let mut e = Members::open(out, at);
            e.number("start_line", r.start_line);
            e.number("start_column", r.start_column);
            e.number("end_line", r.end_line);
            e.number("end_column", r.end_column);
            e.string("text", &r.text);
            e.close();
        });
        c.close();
    });
    o.string("diff", &a.diff);
    o.close();
    Ok(())
}

/// An array `level` containers deep as serde's pretty printer writes it
/// (`[]` when empty), each item written by `item` one level deeper.
fn array<T>(out: &mut Vec<u8>, level: usize, items: &[T], item: impl Fn(&mut Vec<u8>, usize, &T)) {
    out.push(b'[');
    if items.is_empty() {
        out.push(b']');
        return;
    }
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&LINE[..1 + 2 * (level + 1)]);
        item(out, level + 1, x);
    }
    out.extend_from_slice(&LINE[..1 + 2 * level]);
    out.push(b']');
}

/// Writes one resource entry as serde's pretty printer writes it `level`
/// containers deep, as [`write`] does a result: a resource's strings (its
/// id, type, name, path, and the rules not applicable to it with why) are
/// the next largest part of a large report.
pub(crate) fn write_resource(out: &mut Vec<u8>, level: usize, r: &ResourceEntry) -> io::Result<()> {
    // Its not-applicable entries' members are three levels deeper.
    if 2 * (level + 3) + 1 > LINE.len() {
        return pretty_at(out, level, r);
    }
    let mut m = Members::open(out, level);
    m.string("id", &r.id);
    m.string("type", &r.resource_type);
    m.string("name", &r.name);
    m.string("path", &r.path);
    m.number("line", r.line);
    m.number("column", r.column);
    if let Some(symbol) = &r.symbol {
        m.string("symbol", symbol);
    }
    if let Some(address) = &r.address {
        m.string("address", address);
    }
    m.string("format", r.format);
    m.string("source", r.source);
    m.literal("existing", if r.existing { b"true" } else { b"false" });
    m.string("deployed", r.deployed);
    if !r.not_applicable.is_empty() {
        m.key("not_applicable");
        array(m.out, level + 1, &r.not_applicable, |out, at, n| {
            let mut e = Members::open(out, at);
            e.string("rule", &n.rule);
            if let Some(assignment) = &n.assignment {
                e.string("assignment", assignment);
            }
            e.string("reason", &n.reason);
            e.close();
        });
    }
    m.close();
    Ok(())
}

/// Writes one diagnostic as serde's pretty printer writes it `level`
/// containers deep: a scan of many files has thousands (a missing
/// parameter's warning in every Bicep unit).
pub(crate) fn write_diagnostic(
    out: &mut Vec<u8>,
    level: usize,
    d: &DiagnosticEntry,
) -> io::Result<()> {
    if 2 * (level + 1) + 1 > LINE.len() {
        return pretty_at(out, level, d);
    }
    let mut m = Members::open(out, level);
    m.string("level", d.level.as_str());
    m.string("path", &d.path);
    m.number("line", d.line);
    m.number("column", d.column);
    m.string("code", d.code);
    m.string("message", &d.message);
    m.close();
    Ok(())
}

/// Writes one finding behind a baseline feature's status as serde's pretty
/// printer writes it `level` containers deep: there is one for every
/// failing or unknown result.
pub(crate) fn write_finding(
    out: &mut Vec<u8>,
    level: usize,
    f: &EvidenceFinding,
) -> io::Result<()> {
    if 2 * (level + 1) + 1 > LINE.len() {
        return pretty_at(out, level, f);
    }
    let mut m = Members::open(out, level);
    m.string("rule", f.rule);
    m.string("result", f.result.as_str());
    m.string("resource_id", &f.resource_id);
    m.string("path", &f.path);
    m.number("line", f.line);
    if let Some(suppressed) = &f.suppressed {
        m.nested("suppressed", suppressed)?;
    }
    m.close();
    Ok(())
}

/// The members of one object being written.
struct Members<'o> {
    out: &'o mut Vec<u8>,
    level: usize,
    first: bool,
}

impl<'o> Members<'o> {
    /// Opens an object `level` containers deep.
    fn open(out: &'o mut Vec<u8>, level: usize) -> Self {
        out.push(b'{');
        Members {
            out,
            level,
            first: true,
        }
    }

    /// The object's closing brace, on a line of its own.
    fn close(self) {
        indentation(self.out, 1 + 2 * self.level);
        self.out.push(b'}');
    }

    /// What precedes a member's value: a comma after the first member, a
    /// line break, the indentation, the key (a plain name: no escapes) and
    /// `": "`.
    #[inline(always)]
    fn key(&mut self, key: &str) {
        let indent = 1 + 2 * (self.level + 1);
        self.out.reserve(indent + key.len() + 5);
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        indentation(self.out, indent);
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\": ");
    }

    #[inline(always)]
    fn string(&mut self, key: &str, value: &str) {
        self.key(key);
        string(self.out, value);
    }

    fn option_string(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(value) => self.string(key, value),
            None => self.literal(key, b"null"),
        }
    }

    fn number(&mut self, key: &str, value: u32) {
        self.key(key);
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn literal(&mut self, key: &str, value: &[u8]) {
        self.key(key);
        self.out.extend_from_slice(value);
    }

    /// A member whose value serde writes, one level deeper.
    fn nested<T: serde::Serialize + ?Sized>(&mut self, key: &str, value: &T) -> io::Result<()> {
        self.key(key);
        pretty_at(self.out, self.level + 1, value)
    }
}

/// A line break and `n - 1` spaces (`n` at most [`LINE`]'s length): the
/// first sixteen bytes of [`LINE`] copied whole and the extra cut off when `n`
/// is smaller, as one copy of known length is cheaper than a call to copy
/// `n` bytes.
#[inline(always)]
fn indentation(out: &mut Vec<u8>, n: usize) {
    const WHOLE: usize = 16;
    if n <= WHOLE {
        let end = out.len() + n;
        out.extend_from_slice(&LINE[..WHOLE]);
        out.truncate(end);
    } else {
        out.extend_from_slice(&LINE[..n]);
    }
}

/// A JSON string as serde_json writes it: as it is when nothing in it
/// needs an escape (`"`, `\` and control characters do), else with those
/// escaped as serde_json escapes them (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
/// `\t`, and `\u00xx` for the other control characters), the runs between
/// them copied whole, eight bytes looked at a time.
fn string(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if !needs_escape(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    // Words without an escape are passed over; the bytes of the others
    // are looked at one by one.
    let mut run = 0;
    let mut look = |out: &mut Vec<u8>, from: usize, to: usize| {
        for (i, &b) in bytes[from..to].iter().enumerate() {
            if b < 0x20 || b == b'"' || b == b'\\' {
                out.extend_from_slice(&bytes[run..from + i]);
                escape(out, b);
                run = from + i + 1;
            }
        }
    };
    let mut at = 0;
    for word in bytes.chunks_exact(8) {
        if needs_escape(word) {
            look(out, at, at + 8);
        }
        at += 8;
    }
    look(out, at, bytes.len());
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

/// The escape serde_json writes for `b`, a byte below 0x20, `"` or `\`.
fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(b >> 4)],
            HEX[usize::from(b & 0xf)],
        ]),
    }
}

/// Whether a byte of `s` is one JSON escapes: below 0x20, `"` or `\`.
/// Eight bytes at a time: a byte below `n` in a word `w` shows as a high bit
/// of `(w - n * ONES) & !w & HIGHS` (a borrow into a byte comes only from a
/// lower byte that is below `n` itself), and a byte equal to `c` as a zero
/// byte (below 1) of `w ^ (c * ONES)`.
fn needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = |w: u64, n: u8| w.wrapping_sub(u64::from(n) * ONES) & !w & HIGHS;
    let equal = |w: u64, c: u8| below(w ^ (u64::from(c) * ONES), 1);
    let mut words = s.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let w = u64::from_le_bytes(bytes);
        if below(w, 0x20) | equal(w, b'"') | equal(w, b'\\') != 0 {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{
        AutofixChange, AutofixEntry, AutofixReplacement, AzureEntry, Evidence,
        FieldRestrictionEntry, Suppression,
    };
    use aml_rules::evaluate::Verdict;

    /// An entry with every member set (a struct literal: a new member fails
    /// to compile here until the test, and so the writer, know it).
    fn everything() -> ResultEntry {
        ResultEntry {
            rule: "AMLB-NS2-001",
            policy: Some("438c38d2-3772-465a-a9cc-7a6666a275ce"),
            control: "NS-2",
            feature: Some("Azure Private Link"),
            result: Verdict::Fail,
            severity: "high",
            resource_id: "/subscriptions/x/resourceGroups/\"rg\"/providers/w".into(),
            resource_type: "Microsoft.MachineLearningServices/workspaces".into(),
            resource_name: "ws\u{1}\n\\é".into(),
            resource_index: 4_294_967_295,
            source: "code",
            azure: Some(Box::new(AzureEntry {
                source: "azure-policy",
                state: "NonCompliant".into(),
                agrees: Some(false),
            })),
            field_restrictions: Box::new([FieldRestrictionEntry {
                field: "properties.publicNetworkAccess".into(),
                result: "Required".into(),
                values: vec!["Disabled".into()],
                default_value: None,
                effect: "Deny".into(),
                assignment: "/a".into(),
                reason: "an assignment asks for it".into(),
            }]),
            address: Some("azurerm_machine_learning_workspace.main".into()),
            path: "infra/main.bicep".into(),
            line: 12,
            column: 3,
            message: "public network access is `Enabled` \"quoted\"\t".into(),
            effect: Some("deny".into()),
            assignment: Some("/providers/assignments/a".into()),
            denied: true,
            may_be_denied: true,
            known_issue: aml_rules::kinds::KNOWN_ISSUES.first(),
            deciding: vec!["parameters('pna')".to_string(), "x\"y".to_string()].into_boxed_slice(),
            evidence: Some(Box::new(Evidence {
                resource_id: "/e".into(),
                resource_type: "Microsoft.Insights/diagnosticSettings".into(),
                resource_name: "all".into(),
                path: "p".into(),
                line: 1,
                column: 2,
            })),
            rollup: Some(Box::new(aml_rules::kinds::Rollup {
                result: aml_rules::kinds::RollupResult::NotApplicable,
                message: "judged by its hub".into(),
                hub_id: Some("/hub".into()),
            })),
            fix: Some("Set `publicNetworkAccess` to `Disabled`."),
            suppressed: Some(Box::new(Suppression::Inline {
                reason: "accepted".into(),
                path: "main.bicep".into(),
                line: 3,
            })),
            end_line: 13,
            end_column: 40,
            property: Some("properties.publicnetworkaccess".into()),
            autofix: Some(Box::new(AutofixEntry {
                safety: "safe",
                description: "set it".into(),
                changes: vec![AutofixChange {
                    path: "infra/main.bicep".into(),
                    replacements: vec![AutofixReplacement {
                        start_line: 1,
                        start_column: 2,
                        end_line: 3,
                        end_column: 4,
                        text: "'Disabled'\n".into(),
                    }],
                }],
                diff: "--- a\n+++ b\n".into(),
            })),
        }
    }

    fn by_serde(level: usize, r: &ResultEntry) -> String {
        let mut out = Vec::new();
        pretty_at(&mut out, level, r).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn by_hand(level: usize, r: &ResultEntry) -> String {
        let mut out = Vec::new();
        write(&mut out, level, r).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn entries_are_written_as_serde_writes_them() {
        let full = everything();
        let mut entries = vec![full.clone()];
        // Each optional member left out in turn, and all of them.
        let mut none = full.clone();
        let clears: Vec<fn(&mut ResultEntry)> = vec![
            |r| r.policy = None,
            |r| r.feature = None,
            |r| r.azure = None,
            |r| r.field_restrictions = Box::new([]),
            |r| r.known_issue = None,
            |r| r.rollup = None,
            |r| r.suppressed = None,
            |r| r.address = None,
            |r| r.effect = None,
            |r| r.assignment = None,
            |r| r.denied = false,
            |r| r.may_be_denied = false,
            |r| r.deciding = Box::new([]),
            |r| r.evidence = None,
            |r| r.fix = None,
            |r| r.property = None,
            |r| {
                if let Some(a) = &mut r.autofix {
                    a.changes[0].replacements.clear();
                }
            },
            |r| {
                if let Some(a) = &mut r.autofix {
                    a.changes.clear();
                }
            },
            |r| r.autofix = None,
        ];
        for clear in &clears {
            let mut one = full.clone();
            clear(&mut one);
            entries.push(one);
            clear(&mut none);
        }
        entries.push(none);
        // Two files, two replacements each, strings of every escape.
        let mut many = full.clone();
        if let Some(a) = &mut many.autofix {
            let change = a.changes[0].clone();
            a.changes[0].replacements.push(AutofixReplacement {
                text: "\u{0}\u{8}\u{c}\u{1f}\u{7f}\"\\/é\r\n\t".into(),
                ..change.replacements[0].clone()
            });
            a.changes.push(AutofixChange {
                path: "other\\path \"quoted\".tf".into(),
                ..a.changes[0].clone()
            });
            a.diff = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-\t\"old\"\n+\t\"new\"\n".into();
        }
        entries.push(many);
        for verdict in [Verdict::Pass, Verdict::Unknown] {
            entries.push(ResultEntry {
                result: verdict,
                ..full.clone()
            });
        }
        for level in [0, 1, 2, 5, 30, 31, 40] {
            for r in &entries {
                assert_eq!(by_hand(level, r), by_serde(level, r), "level {level}");
            }
        }
    }

    /// Resource entries, with every member and with each optional one left
    /// out, as serde writes them.
    #[test]
    fn resources_are_written_as_serde_writes_them() {
        use crate::entry::NotApplicableEntry;
        let full = || ResourceEntry {
            id: "/subscriptions/x/resourceGroups/\"rg\"/providers/w".into(),
            resource_type: "Microsoft.MachineLearningServices/workspaces".into(),
            name: "ws\u{1}\n\\é".into(),
            path: "infra/main.bicep".into(),
            line: 4_294_967_295,
            column: 0,
            symbol: Some("ws\t".into()),
            address: Some("module.ml.azurerm_x.this[0]".into()),
            format: "bicep",
            source: "code",
            existing: true,
            deployed: "unknown",
            not_applicable: vec![
                NotApplicableEntry {
                    rule: "AMLB-NS2-001".into(),
                    assignment: None,
                    reason: "the \"kind\" is `Hub`".into(),
                },
                NotApplicableEntry {
                    rule: "ORG-1".into(),
                    assignment: Some("/providers/assignments/a".into()),
                    reason: "not in scope".into(),
                },
            ],
        };
        let mut entries = vec![full()];
        let clears: Vec<fn(&mut ResourceEntry)> = vec![
            |r| r.symbol = None,
            |r| r.address = None,
            |r| r.existing = false,
            |r| r.not_applicable.truncate(1),
            |r| r.not_applicable.clear(),
        ];
        let mut none = full();
        for clear in &clears {
            let mut one = full();
            clear(&mut one);
            entries.push(one);
            clear(&mut none);
        }
        entries.push(none);
        written_as_serde_writes(&entries, &[0, 1, 2, 5, 28, 29, 40], write_resource);
    }

    /// Diagnostics of every level, with strings to escape, as serde
    /// writes them.
    #[test]
    fn diagnostics_are_written_as_serde_writes_them() {
        use aml_model::diagnostics::Level;
        let entries: Vec<DiagnosticEntry> = [Level::Error, Level::Warning, Level::Info]
            .into_iter()
            .map(|level| DiagnosticEntry {
                level,
                path: "infra/\"main\".bicep".into(),
                line: 4_294_967_295,
                column: 0,
                code: "parameter-missing",
                message: "parameter 'x' has no value\n\tand \u{1}".into(),
            })
            .collect();
        written_as_serde_writes(&entries, &[0, 1, 2, 5, 30, 31, 40], write_diagnostic);
    }

    /// Each of `values` at each of `levels`, written by `write` and by
    /// serde's pretty printer: the same text.
    fn written_as_serde_writes<T: serde::Serialize>(
        values: &[T],
        levels: &[usize],
        write: fn(&mut Vec<u8>, usize, &T) -> io::Result<()>,
    ) {
        for &level in levels {
            for v in values {
                let mut by_hand = Vec::new();
                write(&mut by_hand, level, v).unwrap();
                let mut by_serde = Vec::new();
                pretty_at(&mut by_serde, level, v).unwrap();
                assert_eq!(
                    String::from_utf8(by_hand).unwrap(),
                    String::from_utf8(by_serde).unwrap(),
                    "level {level}"
                );
            }
        }
    }

    /// A baseline finding, suppressed or not, as serde writes it.
    #[test]
    fn findings_are_written_as_serde_writes_them() {
        let plain = EvidenceFinding {
            rule: "AMLB-NS2-001",
            result: Verdict::Fail,
            resource_id: "/subscriptions/x/\"ws\"\u{1}".into(),
            path: "infra/é.bicep".into(),
            line: 4_294_967_295,
            suppressed: None,
        };
        let suppressed = EvidenceFinding {
            result: Verdict::Unknown,
            suppressed: Some(Box::new(Suppression::Inline {
                reason: "accepted \"for now\"".into(),
                path: "main.bicep".into(),
                line: 3,
            })),
            ..plain.clone()
        };
        written_as_serde_writes(
            &[plain, suppressed],
            &[0, 1, 2, 5, 30, 31, 40],
            write_finding,
        );
    }

    #[test]
    fn needs_escape_finds_every_byte_json_escapes() {
        let naive = |s: &[u8]| s.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        // Every byte value at every place of a 19-byte text (two words and
        // a remainder), among plain bytes and bytes of 0x80 and above.
        for fill in [b'a', 0x80, 0xff, 0x20, 0x21, 0x5b, 0x5d, 0x23] {
            for at in 0..19 {
                for b in 0..=255u8 {
                    let mut s = vec![fill; 19];
                    s[at] = b;
                    assert_eq!(needs_escape(&s), naive(&s), "{b:#x} at {at} in {fill:#x}");
                }
            }
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for s in [
            "",
            "plain",
            "a\"b",
            "back\\slash",
            "\u{0}\u{1f}",
            "tab\t",
            "é ü 漢",
            "\u{7f}",
        ] {
            let mut out = Vec::new();
            string(&mut out, s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }

    #[test]
    fn indentation_is_a_line_break_and_spaces() {
        for n in 1..=LINE.len() {
            let mut out = b"{".to_vec();
            indentation(&mut out, n);
            assert_eq!(
                out,
                format!("{{\n{}", " ".repeat(n - 1)).into_bytes(),
                "{n}"
            );
        }
    }

    /// Every character below 0x80 and a few beyond, alone, in runs of
    /// every length around the eight bytes looked at a time and at every
    /// place in them: escaped as serde_json escapes them.
    #[test]
    fn every_character_is_escaped_as_serde_json_escapes_it() {
        let mut checked = 0;
        let others = ['é', '漢', '\u{1F600}', '\u{80}', '\u{2028}'];
        for c in (0u8..0x80).map(char::from).chain(others) {
            for len in 0..34 {
                for at in 0..=len {
                    let mut s: String = "a".repeat(len);
                    s.insert(at, c);
                    if len % 3 == 0 {
                        s.push(c);
                    }
                    // After what the report holds so far, which stays.
                    let mut out = b"prefix".to_vec();
                    string(&mut out, &s);
                    assert_eq!(
                        String::from_utf8(out).unwrap(),
                        format!("prefix{}", serde_json::to_string(&s).unwrap()),
                        "{s:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 70_000, "{checked}");
    }
}
