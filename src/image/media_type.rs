//! TODO(helper): see docs/interfaces.md
