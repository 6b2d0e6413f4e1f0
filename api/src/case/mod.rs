//! Casework (docs/casework.md): a household's case and its phases, referrals to partner
//! agencies (gated on consent), what the agencies delivered (interventions), and follow-up
//! visits.
pub mod intervention;
pub mod lifecycle;
pub mod loader;
pub mod mutation;
pub mod query;
pub mod referral;
pub mod service;
pub mod subscription;
pub mod types;
pub mod visit;
