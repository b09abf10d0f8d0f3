//! Integration tests of the policy host: the built-in definitions on hand-written resources.

mod engine;
