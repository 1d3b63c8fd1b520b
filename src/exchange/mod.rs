//! Exchange formats, with no HTTP and no redb: the official Excel forms 附件1 (teams) and
//! 附件2 (volunteers) as templates, imports and exports; CSV in UTF-8 or GBK; and bundles
//! (zip with a manifest, JSON Lines per entity, photos) for merging laptops.
//!
//! The column definitions will live here once, serving template, import and export alike.
//! This module is filled by the collective-registration and export issues.

pub mod roster;
