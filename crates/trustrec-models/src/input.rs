//! Model input tensors built once per batch from left-padded item indices.

use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

/// Items plus the masks every model needs, so models never rebuild them.
#[derive(Debug, Clone)]
pub struct SeqInput {
    /// `[batch, len]` model item indices, 0 = padding.
    pub items: Tensor<2, Int>,
    /// `[batch, len, 1]` 1.0 at real items, 0.0 at padding (zeroes padded embeddings).
    pub real: Tensor<3>,
    /// `[batch, len, len]` true where attention is forbidden: future keys and padded keys.
    pub attn_mask: Tensor<3, Bool>,
}

impl SeqInput {
    /// Builds the tensors from a `[batch * len]` row-major buffer.
    pub fn new(items: &[i64], batch: usize, len: usize, device: &Device) -> Self {
        assert_eq!(items.len(), batch * len, "input buffer has the wrong size");
        let real: Vec<f32> = items.iter().map(|&i| (i != 0) as u8 as f32).collect();
        let mut mask = vec![false; batch * len * len];
        for b in 0..batch {
            let row = &items[b * len..(b + 1) * len];
            for q in 0..len {
                let m = &mut mask[(b * len + q) * len..(b * len + q + 1) * len];
                for (k, slot) in m.iter_mut().enumerate() {
                    *slot = k > q || row[k] == 0;
                }
            }
        }
        Self {
            items: Tensor::from_data(TensorData::new(items.to_vec(), [batch, len]), device),
            real: Tensor::from_data(TensorData::new(real, [batch, len, 1]), device),
            attn_mask: Tensor::from_data(TensorData::new(mask, [batch, len, len]), device),
        }
    }

    pub fn dims(&self) -> [usize; 2] {
        self.items.dims()
    }
}
