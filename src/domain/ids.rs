//! Global record ids: 128-bit, time-ordered (UUIDv7), so records created on several laptops
//! can be merged later without collisions and sort by creation time.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The global id of any record. Stored as a `u128` key; shown as a hyphenated UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Gid(pub u128);

impl Gid {
    /// A new id for a record created now. UUIDv7 keeps ids created in this process strictly
    /// increasing, even within one millisecond.
    pub fn new() -> Gid {
        Gid(uuid::Uuid::now_v7().as_u128())
    }

    /// Milliseconds since the Unix epoch at which this id was minted (UUIDv7's first 48 bits).
    pub fn timestamp_ms(self) -> u64 {
        (self.0 >> 80) as u64
    }
}

impl Default for Gid {
    fn default() -> Self {
        Gid::new()
    }
}

impl fmt::Display for Gid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        uuid::Uuid::from_u128(self.0).hyphenated().fmt(f)
    }
}

impl FromStr for Gid {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s.trim()).map(|u| Gid(u.as_u128()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_and_unique() {
        let ids: Vec<Gid> = (0..10_000).map(|_| Gid::new()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids must increase");
        let now_ms = chrono::Utc::now().timestamp_millis() as u64;
        let ts = ids[0].timestamp_ms();
        assert!(
            now_ms.abs_diff(ts) < 5_000,
            "timestamp {ts} far from now {now_ms}"
        );
    }

    #[test]
    fn display_round_trips() {
        let id = Gid::new();
        let text = id.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(text.parse::<Gid>().unwrap(), id);
        assert!("not-a-uuid".parse::<Gid>().is_err());
    }

    #[test]
    fn version_is_7() {
        let id = Gid::new();
        assert_eq!(uuid::Uuid::from_u128(id.0).get_version_num(), 7);
    }
}
