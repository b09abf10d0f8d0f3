//! The literal text of quoted strings, string templates and heredocs as the
//! patched `hcl-edit` reads it (`vendor/hcl-edit/PATCHED.md`, decision 0051):
//! it skips to the next byte where an escaped marker or the literal's end may
//! start instead of trying both at every character. These cases pin what that
//! must keep: where a literal stops (`"`, `\`, `${`, `%{`, `$${`, `%%{`, a
//! heredoc's closing line and not a line that merely starts with its
//! delimiter), multi-byte characters, CRLF, the spans, and the error position
//! of a string or heredoc that does not end.

use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use hcl_edit::template::{Element, Template};
use hcl_edit::Span as _;

fn body(text: &str) -> Body {
    aml_terraform::hcl::parse_body(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn value(text: &str) -> Expression {
    let b = body(text);
    let attr = b.get_attribute("a").expect("attribute a");
    attr.value.clone()
}

/// A template's elements: literals as their text, interpolations and
/// directives as markers.
fn elements(t: &Template) -> Vec<String> {
    t.iter()
        .map(|e| match e {
            Element::Literal(l) => format!("lit:{}", l.as_str()),
            Element::Interpolation(_) => "interp".to_string(),
            Element::Directive(_) => "directive".to_string(),
        })
        .collect()
}

fn string_value(text: &str) -> String {
    match value(text) {
        Expression::String(s) => s.as_str().to_string(),
        other => panic!("{text:?}: not a plain string: {other:?}"),
    }
}

fn template_elements(text: &str) -> Vec<String> {
    match value(text) {
        Expression::StringTemplate(t) => elements(&t),
        Expression::HeredocTemplate(h) => elements(&h.template),
        other => panic!("{text:?}: not a template: {other:?}"),
    }
}

#[test]
fn quoted_strings_stop_where_the_unpatched_parser_stopped() {
    assert_eq!(string_value("a = \"plain text\"\n"), "plain text");
    // Escaped markers are text, a lone or doubled `$`/`%` not before `{` too.
    assert_eq!(string_value("a = \"x$${y}z\"\n"), "x${y}z");
    assert_eq!(string_value("a = \"x%%{y}z\"\n"), "x%{y}z");
    assert_eq!(string_value("a = \"$$x $% %$ $\"\n"), "$$x $% %$ $");
    assert_eq!(string_value("a = \"ends with %\"\n"), "ends with %");
    assert_eq!(string_value("a = \"\"\n"), "");
    // Escapes and characters of several bytes on either side of a stop.
    assert_eq!(
        string_value("a = \"é\\\"ü\\\\✓\\n\\u00e9$\"\n"),
        "é\"ü\\✓\né$"
    );
    assert_eq!(string_value("a = \"tab\there\"\n"), "tab\there");
}

#[test]
fn templates_split_at_interpolations_and_directives() {
    assert_eq!(
        template_elements("a = \"x${var.y}z\"\n"),
        ["lit:x", "interp", "lit:z"]
    );
    assert_eq!(
        template_elements("a = \"${a}${b}$${c} %\"\n"),
        ["interp", "interp", "lit:${c} %"]
    );
    assert_eq!(
        template_elements("a = \"x%{ if true }y%{ endif }\"\n"),
        ["lit:x", "directive"]
    );
}

#[test]
fn heredocs_end_at_their_closing_line_only() {
    // Lines that start with the delimiter but go on, or hold it later, are text.
    assert_eq!(
        template_elements("a = <<EOT\nEOTX\nnot end EOT\nEOT_\n EOT\n"),
        ["lit:EOTX\nnot end EOT\nEOT_\n"]
    );
    assert_eq!(
        template_elements("a = <<-EOT\n  hello ${x}\n  $${y} %%{z} $ %\n  EOT\n"),
        // `<<-` strips the common indentation.
        ["lit:hello ", "interp", "lit:\n${y} %{z} $ %\n"]
    );
    assert_eq!(
        template_elements("a = <<EOT\r\nwindows\r\nEOT\r\n"),
        ["lit:windows\r\n"]
    );
    assert_eq!(
        template_elements("a = <<EOT\n%{ for x in y }${x}\n%{ endfor }\nEOT\n"),
        ["directive", "lit:\n"]
    );
}

#[test]
fn spans_of_literals_are_those_of_the_text() {
    let text = "a = \"é${b}ü\"\nc = <<EOT\nline ✓\nEOT\n";
    let b = body(text);
    let Expression::StringTemplate(t) = &b.get_attribute("a").unwrap().value else {
        panic!("a template");
    };
    let spans: Vec<&str> = t
        .iter()
        .map(|e| match e {
            Element::Literal(l) => &text[l.span().unwrap()],
            Element::Interpolation(i) => &text[i.span().unwrap()],
            Element::Directive(d) => &text[d.span().unwrap()],
        })
        .collect();
    assert_eq!(spans, ["é", "${b}", "ü"]);
    let c = &b.get_attribute("c").unwrap().value;
    assert_eq!(&text[c.span().unwrap()], "<<EOT\nline ✓\nEOT");
}

#[test]
fn a_literal_that_does_not_end_is_an_error_at_the_same_place() {
    for (text, line, col, message) in [
        // The parser backtracks to the attribute's start.
        ("a = \"unterminated\n", 1, 1, "unexpected token"),
        (
            "a = <<EOT\nno end\n",
            2,
            1,
            "expected heredoc end delimiter",
        ),
        ("a = \"bad \\q\"\n", 1, 12, "invalid escape sequence"),
    ] {
        let e = aml_terraform::hcl::parse_body(text).expect_err(text);
        let loc = e.location();
        assert_eq!((loc.line(), loc.column()), (line, col), "{text:?}: {e}");
        assert!(e.message().starts_with(message), "{text:?}: {e}");
    }
}

/// Identifiers (`vendor/hcl-edit/PATCHED.md`: ASCII ones are taken in one
/// scan): where they stop, with `-` and `_`, digits, and non-ASCII letters
/// anywhere in them, and what is not one.
#[test]
fn identifiers_stop_where_the_unpatched_parser_stopped() {
    let b = body(
        "resource \"x\" \"y\" {\n  my-attr_2 = 1\n  é_x = 2\n  aé-b = 3\n  _u = 4\n}\nblock_é {}\n",
    );
    let block = b.get_blocks("resource").next().expect("resource");
    let keys: Vec<&str> = block.body.attributes().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["my-attr_2", "é_x", "aé-b", "_u"]);
    assert!(b.get_blocks("block_é").next().is_some());
    for (text, span) in [("a = x.y-z\n", 4..9), ("a = q1é.b\n", 4..10)] {
        let v = value(text);
        assert_eq!(v.span(), Some(span), "{text:?}");
    }
    // Not identifiers: a digit or `-` first.
    assert!(aml_terraform::hcl::parse_body("1a = 2\n").is_err());
    assert!(aml_terraform::hcl::parse_body("-a = 2\n").is_err());
}
