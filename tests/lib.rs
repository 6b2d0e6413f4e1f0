//! Helpers live in `integration/helpers`; this crate exists so the tests have a home in the workspace.
