//! Integration and end-to-end tests of the onboarding functions against the real local stack; the tests live in `tests/tests/`.
