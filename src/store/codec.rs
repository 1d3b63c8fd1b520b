//! The one place records are turned into bytes. Every value is postcard prefixed with a
//! format-version byte: postcard does not describe itself, so the prefix lets a later
//! version tell old encodings apart (and refuse ones it does not know).

use serde::{Serialize, de::DeserializeOwned};

/// The encoding written by this build.
pub const FORMAT_VERSION: u8 = 1;

/// Why bytes could not be turned into a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    Empty,
    UnknownVersion(u8),
    Malformed(String),
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodecError::Empty => write!(f, "empty record"),
            CodecError::UnknownVersion(v) => write!(f, "unknown record format version {v}"),
            CodecError::Malformed(e) => write!(f, "malformed record: {e}"),
        }
    }
}

/// Encode a record with the current format version.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![FORMAT_VERSION];
    // Serialising our own plain structs into a Vec cannot fail: postcard only errors on
    // unsupported serde features (e.g. unknown-length sequences), which our types avoid.
    postcard::to_io(value, &mut out).expect("postcard encoding of a plain record");
    out
}

thread_local! {
    static DECODES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many records this thread has decoded: tests count the records a page reads
/// (store reads run on the calling thread). Per thread, so parallel tests do not mix.
pub fn decode_count() -> u64 {
    DECODES.with(|c| c.get())
}

/// Decode a record written by `encode`.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    DECODES.with(|c| c.set(c.get() + 1));
    match bytes.split_first() {
        None => Err(CodecError::Empty),
        Some((&FORMAT_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|e| CodecError::Malformed(e.to_string()))
        }
        Some((&v, _)) => Err(CodecError::UnknownVersion(v)),
    }
}

/// Decode a record written by `encode` into a type that borrows from `bytes` (a list row
/// that reads a few fields and skips the rest without allocating or parsing them).
pub fn decode_borrowed<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, CodecError> {
    DECODES.with(|c| c.set(c.get() + 1));
    match bytes.split_first() {
        None => Err(CodecError::Empty),
        Some((&FORMAT_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|e| CodecError::Malformed(e.to_string()))
        }
        Some((&v, _)) => Err(CodecError::UnknownVersion(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        name: String,
        phone: Option<String>,
        tags: Vec<String>,
        n: u128,
    }

    fn sample() -> Sample {
        Sample {
            name: "张三".into(),
            phone: Some("13812345678".into()),
            tags: vec!["科技培训".into(), "农技服务".into()],
            n: u128::MAX - 7,
        }
    }

    #[test]
    fn round_trip() {
        let bytes = encode(&sample());
        assert_eq!(bytes[0], FORMAT_VERSION);
        assert_eq!(decode::<Sample>(&bytes).unwrap(), sample());
    }

    #[test]
    fn unknown_version_refused() {
        let mut bytes = encode(&sample());
        bytes[0] = 99;
        assert_eq!(
            decode::<Sample>(&bytes),
            Err(CodecError::UnknownVersion(99))
        );
    }

    #[test]
    fn empty_and_truncated_refused() {
        assert_eq!(decode::<Sample>(&[]), Err(CodecError::Empty));
        let bytes = encode(&sample());
        assert!(matches!(
            decode::<Sample>(&bytes[..bytes.len() / 2]),
            Err(CodecError::Malformed(_))
        ));
    }
}
