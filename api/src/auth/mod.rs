//! Who is calling and what they may do: passwords, tokens, the `Viewer`, role guards and the
//! scope layer every read goes through.
pub mod password;
pub mod policy;
pub mod scope;
pub mod service;
pub mod session_cache;
pub mod tokens;
pub mod viewer;

pub use scope::Scope;
pub use viewer::{AccountViewer, Viewer};
