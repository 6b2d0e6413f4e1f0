//! Household ↔ technology matching: explainable recommendations for one household, an exact
//! max-benefit solver for whole areas (pure, no database), and the match lifecycle.
pub mod fitness;
pub mod loader;
pub mod mutation;
pub mod query;
pub mod recommend;
pub mod service;
pub mod solver;
pub mod subscription;
pub mod types;
