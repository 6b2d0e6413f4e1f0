//! The catalogue: appropriate technologies and services that partner agencies offer,
//! managed by ADMIN and by the AGENCY that provides them.
pub mod mutation;
pub mod query;
pub mod service;
pub mod types;
