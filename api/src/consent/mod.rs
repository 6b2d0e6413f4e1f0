//! Consents: what a household agreed to share, for which purposes, with whom; and the
//! fail-closed check partner-agency reads go through.
pub mod gate;
pub mod loader;
pub mod mutation;
pub mod service;
pub mod types;
