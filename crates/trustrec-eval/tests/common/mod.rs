//! Shared test helpers: a seeded LCG so tests need no extra crates.
#![allow(dead_code)]

/// Knuth's MMIX LCG; upper bits are good enough for test data.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        self.next_u32() % n
    }

    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u32() as f32 / (1u32 << 31) as f32) * 2.0 - 1.0
    }

    /// Small integers in -r..=r as f32: dot products of these are exact in
    /// f32 whatever the summation order, so sgemm and a naive loop agree.
    pub fn int(&mut self, r: u32) -> f32 {
        self.below(2 * r + 1) as f32 - r as f32
    }

    /// `len` distinct ids from 0..n, in random order.
    pub fn sample(&mut self, n: u32, len: usize) -> Vec<u32> {
        let mut ids: Vec<u32> = (0..n).collect();
        for i in 0..len.min(ids.len()) {
            let j = i + self.below((ids.len() - i) as u32) as usize;
            ids.swap(i, j);
        }
        ids.truncate(len);
        ids
    }
}
