//! placeholder
use crate::report::Report;
use crate::scan::ScanOutput;
pub fn render(_report: &Report, _scan: &ScanOutput) -> String {
    String::new()
}
