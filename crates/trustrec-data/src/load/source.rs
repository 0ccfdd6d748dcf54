//! Opening input files while hashing every raw byte, so the data hash costs no extra pass.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{DataError, Format, SourceInfo};

/// Files read so far and the running hash over their bytes, in read order.
#[derive(Default)]
pub(crate) struct Sources {
    files: Vec<PathBuf>,
    hasher: Sha256,
}

impl Sources {
    /// Opens `path` for streaming; its bytes join the hash as they are read.
    pub(crate) fn open(&mut self, path: &Path) -> Result<HashingReader<'_>, DataError> {
        let file = File::open(path).map_err(|e| DataError::io(path, e))?;
        self.files.push(path.to_path_buf());
        Ok(HashingReader {
            inner: file,
            hasher: &mut self.hasher,
        })
    }

    pub(crate) fn finish(self, format: Format) -> SourceInfo {
        let hash = self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        SourceInfo {
            files: self.files,
            hash,
            format,
        }
    }
}

/// A file reader that feeds everything it returns into the shared hash.
pub(crate) struct HashingReader<'h> {
    inner: File,
    hasher: &'h mut Sha256,
}

impl HashingReader<'_> {
    /// Reads (and hashes) whatever is left, so the hash covers the whole file even when a
    /// parser stops before EOF.
    pub(crate) fn drain(&mut self) -> io::Result<()> {
        io::copy(self, &mut io::sink()).map(drop)
    }
}

impl Read for HashingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
