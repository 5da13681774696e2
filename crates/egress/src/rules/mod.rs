//! Admission rules: UDS Core's (semantics §2) and our stricter ones (§8.2).

pub mod config;
