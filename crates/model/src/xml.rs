//! XML escaping for the reports that write XML (JUnit, `policy test
//! --format junit`): text content and attribute values.

use std::fmt::Write;

/// Characters XML 1.0 cannot hold at all become `\u{..}` text, so the
/// document stays well-formed and the reader still sees them.
fn push_clean(c: char, out: &mut String) -> bool {
    let allowed = matches!(c, '\t' | '\n' | '\r')
        || ('\u{20}'..='\u{D7FF}').contains(&c)
        || ('\u{E000}'..='\u{FFFD}').contains(&c)
        || c >= '\u{10000}';
    if !allowed {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    }
    !allowed
}

/// Escapes text content.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if push_clean(c, &mut out) {
            continue;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value (double-quoted); line breaks and tabs are
/// written as character references so parsers keep them.
pub fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if push_clean(c, &mut out) {
            continue;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_control_characters() {
        assert_eq!(attr("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(text("x\u{1b}[31m\u{0}y"), "x\\u{1b}[31m\\u{0}y");
        assert_eq!(attr("l1\nl2"), "l1&#10;l2");
        assert_eq!(text("\u{FFFF}"), "\\u{ffff}");
    }
}
