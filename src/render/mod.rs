//! Renderers: pure functions from a [`Report`](crate::report::Report) to text.
//! They never evaluate anything.

pub mod json;
pub mod text;
