//! Names of the supported on-disk layouts, parsed from the command line.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::DataError;

/// Input layout understood by [`crate::load`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// RecBole atomic files (`.inter` + optional `.item`), tab-separated, `name:type` header.
    Recbole,
    /// JODIE `[row_index] user item timestamp` tab-separated, no header.
    Jodie,
    /// Diginetica item views, `;`-separated; the session id is the user.
    Diginetica,
    /// YooChoose clicks `SessionId ItemId Time`, tab-separated; the session id is the user.
    Yoochoose,
    /// S3-Rec `user item item ...` lines (time order, no timestamps) + `*_item2attributes.json`.
    S3rec,
    /// LLMRank RecBole-style `.inter` sequences with a `.item` title file.
    Llmrank,
    /// Any delimited file with a user-supplied [`crate::ColumnMap`].
    Csv,
}

impl Format {
    /// All formats, in the order shown in error messages.
    pub const ALL: [Format; 7] = [
        Format::Recbole,
        Format::Jodie,
        Format::Diginetica,
        Format::Yoochoose,
        Format::S3rec,
        Format::Llmrank,
        Format::Csv,
    ];

    /// The lower-case name accepted by [`FromStr`].
    pub fn name(self) -> &'static str {
        match self {
            Format::Recbole => "recbole",
            Format::Jodie => "jodie",
            Format::Diginetica => "diginetica",
            Format::Yoochoose => "yoochoose",
            Format::S3rec => "s3rec",
            Format::Llmrank => "llmrank",
            Format::Csv => "csv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self, DataError> {
        let lower = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.name() == lower)
            .ok_or_else(|| DataError::UnknownFormat {
                name: s.to_string(),
                valid: Format::ALL.map(Format::name).join(", "),
            })
    }
}
