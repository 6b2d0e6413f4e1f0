//! Delta sync (docs/sync.md): `changes(since:)` returns, in commit order, what changed in the
//! caller's scope since a cursor, read from the trigger-written `change_log`.
pub mod query;
pub mod service;
