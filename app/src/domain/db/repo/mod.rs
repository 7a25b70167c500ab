//! Repository functions: every SQL statement pinbridge runs, grouped by table.

pub mod key_canaries;
