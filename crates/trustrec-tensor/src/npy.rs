//! Reading NumPy `.npy` arrays (format versions 1-3; bool, integer and float dtypes; C or
//! Fortran order) into `f64` values in C order.
//!
//! Why our own reader: the header is a few lines to parse, and owning it lets every error name
//! the file and the offending header field; the dtypes we meet (`<f8`, `|b1`, `<u2`) need a
//! conversion to `f64` and a Fortran-to-C reordering either way.

use std::path::Path;

use anyhow::{Context, bail, ensure};

use crate::sparse::SparseTensor;

/// A dense array: `shape` and `data` in C (row-major) order.
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

/// Reads `path`; errors name the file and the field that is wrong.
pub fn read_npy(path: &Path) -> anyhow::Result<NpyArray> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    parse_npy_in(path, &bytes)
}

/// [`parse_npy`] on the bytes of `path` (already read, e.g. to hash them); errors name the file.
pub fn parse_npy_in(path: &Path, bytes: &[u8]) -> anyhow::Result<NpyArray> {
    parse_npy(bytes).with_context(|| format!("{}: not a readable .npy array", path.display()))
}

/// Parses the bytes of an `.npy` file.
pub fn parse_npy(b: &[u8]) -> anyhow::Result<NpyArray> {
    ensure!(
        b.len() >= 10 && &b[..6] == b"\x93NUMPY",
        "missing the \\x93NUMPY magic"
    );
    let (hlen, start) = match b[6] {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 => {
            ensure!(b.len() >= 12, "truncated header");
            (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12)
        }
        v => bail!("unsupported format version {v}"),
    };
    ensure!(b.len() >= start + hlen, "truncated header");
    let header = std::str::from_utf8(&b[start..start + hlen]).context("header is not text")?;
    let descr = field(header, "descr")?;
    let descr = descr.trim().trim_matches(|c| c == '\'' || c == '"');
    let fortran = match field(header, "fortran_order")?.trim() {
        "True" => true,
        "False" => false,
        other => bail!("header field 'fortran_order' is '{other}'"),
    };
    let shape = parse_shape(field(header, "shape")?)?;
    let n: usize = shape.iter().product();
    let dtype = Dtype::parse(descr)?;
    let body = &b[start + hlen..];
    ensure!(
        body.len() == n * dtype.size,
        "shape {shape:?} of '{descr}' needs {} data bytes, the file has {}",
        n * dtype.size,
        body.len()
    );
    let flat: Vec<f64> = body
        .chunks_exact(dtype.size)
        .map(|c| dtype.read(c))
        .collect();
    let data = if fortran && shape.len() > 1 {
        fortran_to_c(&flat, &shape)
    } else {
        flat
    };
    Ok(NpyArray { shape, data })
}

/// The text of `'name': value` in the header dict, up to the next top-level comma.
fn field<'h>(header: &'h str, name: &str) -> anyhow::Result<&'h str> {
    let key = format!("'{name}'");
    let at = header
        .find(&key)
        .with_context(|| format!("header has no '{name}' field"))?;
    let rest = header[at + key.len()..].trim_start();
    let rest = rest
        .strip_prefix(':')
        .with_context(|| format!("header field '{name}' has no ':'"))?
        .trim_start();
    let mut depth = 0;
    for (i, ch) in rest.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' | '}' if depth == 0 => return Ok(&rest[..i]),
            _ => {}
        }
    }
    bail!("header field '{name}' is not terminated")
}

fn parse_shape(s: &str) -> anyhow::Result<Vec<usize>> {
    let inner = s
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .with_context(|| format!("header field 'shape' is '{s}', not a tuple"))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<usize>()
                .with_context(|| format!("header field 'shape' has a bad size '{t}'"))
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Kind {
    Float,
    Int,
    Uint,
    Bool,
}

#[derive(Clone, Copy)]
struct Dtype {
    kind: Kind,
    size: usize,
    big_endian: bool,
}

impl Dtype {
    fn parse(descr: &str) -> anyhow::Result<Self> {
        let mut chars = descr.chars();
        let order = chars.next().unwrap_or(' ');
        let big_endian = order == '>';
        ensure!(
            matches!(order, '<' | '>' | '|' | '='),
            "header field 'descr' is '{descr}' (structured or unknown dtype)"
        );
        let kind = match chars.next() {
            Some('f') => Kind::Float,
            Some('i') => Kind::Int,
            Some('u') => Kind::Uint,
            Some('b') => Kind::Bool,
            _ => bail!("header field 'descr' is '{descr}': unsupported dtype"),
        };
        let size: usize = chars
            .as_str()
            .parse()
            .with_context(|| format!("header field 'descr' is '{descr}': bad item size"))?;
        let ok = match kind {
            Kind::Float => matches!(size, 4 | 8),
            Kind::Int | Kind::Uint => matches!(size, 1 | 2 | 4 | 8),
            Kind::Bool => size == 1,
        };
        ensure!(
            ok,
            "header field 'descr' is '{descr}': unsupported item size"
        );
        Ok(Self {
            kind,
            size,
            big_endian,
        })
    }

    fn read(self, c: &[u8]) -> f64 {
        let mut buf = [0u8; 8];
        if self.big_endian {
            for (d, s) in buf.iter_mut().zip(c.iter().rev()) {
                *d = *s;
            }
        } else {
            buf[..self.size].copy_from_slice(c);
        }
        let u = u64::from_le_bytes(buf);
        match (self.kind, self.size) {
            (Kind::Float, 4) => f32::from_bits(u as u32) as f64,
            (Kind::Float, _) => f64::from_bits(u),
            (Kind::Bool | Kind::Uint, _) => u as f64,
            (Kind::Int, s) => {
                let shift = 64 - 8 * s as u32;
                (((u << shift) as i64) >> shift) as f64
            }
        }
    }
}

/// Reorders Fortran-order (first index fastest) data into C order.
fn fortran_to_c(flat: &[f64], shape: &[usize]) -> Vec<f64> {
    let n = shape.len();
    let mut c_stride = vec![1usize; n];
    for m in (0..n - 1).rev() {
        c_stride[m] = c_stride[m + 1] * shape[m + 1];
    }
    let mut out = vec![0.0; flat.len()];
    let mut index = vec![0usize; n];
    for &v in flat {
        let pos: usize = index.iter().zip(&c_stride).map(|(i, s)| i * s).sum();
        out[pos] = v;
        for m in 0..n {
            index[m] += 1;
            if index[m] < shape[m] {
                break;
            }
            index[m] = 0;
        }
    }
    out
}

/// Observed cells of a dense array: NaN entries are missing, and so are the entries where
/// `missing` (same shape; non-zero = missing, as in `Kinetic_missing.npy`) is set.
pub fn dense_to_sparse(a: &NpyArray, missing: Option<&NpyArray>) -> anyhow::Result<SparseTensor> {
    if let Some(m) = missing {
        ensure!(
            m.shape == a.shape,
            "the mask has shape {:?} but the tensor has {:?}",
            m.shape,
            a.shape
        );
    }
    let n = a.shape.len();
    ensure!(
        n >= 3,
        "a tensor needs at least 3 modes, the array has shape {:?}",
        a.shape
    );
    let mut idx = Vec::new();
    let mut values = Vec::new();
    let mut index = vec![0u32; n];
    for (p, &v) in a.data.iter().enumerate() {
        let skip = v.is_nan() || missing.is_some_and(|m| m.data[p] != 0.0);
        if !skip {
            ensure!(v.is_finite(), "entry {index:?} is {v}");
            idx.extend_from_slice(&index);
            values.push(v as f32);
        }
        for m in (0..n).rev() {
            index[m] += 1;
            if (index[m] as usize) < a.shape[m] {
                break;
            }
            index[m] = 0;
        }
    }
    ensure!(!values.is_empty(), "the array has no observed entry");
    SparseTensor::new(a.shape.clone(), idx, values)
}
