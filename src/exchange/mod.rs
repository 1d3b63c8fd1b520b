//! Exchange formats, with no HTTP and no redb: the official Excel forms 附件1 (teams) and
//! 附件2 (volunteers) as templates, imports and exports; CSV in UTF-8 or GBK; and bundles
//! for merging laptops. Column definitions live once in `columns.rs`.

pub mod bundle;
pub mod cell;
pub mod columns;
pub mod export;
pub mod import;
pub mod read;
pub mod roster;
pub mod template;
#[cfg(test)]
mod testzip;
pub mod zipguard;
