//! A list of at most `N` values kept on the stack: the per-frame scratch lists of the analysis,
//! which allocates nothing once its buffers have settled (`tests/allocations.rs`).

/// At most `N` values, in the order pushed.
#[derive(Clone, Copy, Debug)]
pub struct StackList<T, const N: usize> {
    items: [T; N],
    len: usize,
}

impl<T: Copy + Default, const N: usize> Default for StackList<T, N> {
    fn default() -> Self {
        Self {
            items: [T::default(); N],
            len: 0,
        }
    }
}

impl<T, const N: usize> StackList<T, N> {
    /// Adds `value`; a full list drops it (each caller sizes `N` for the most it can add).
    pub fn push(&mut self, value: T) {
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = value;
            self.len += 1;
        }
    }

    pub fn as_slice(&self) -> &[T] {
        self.items.get(..self.len).unwrap_or(&[])
    }

    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.items.get_mut(..self.len).unwrap_or(&mut [])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_fits_in_order_and_drops_the_rest() {
        let mut list = StackList::<u8, 3>::default();
        assert!(list.as_slice().is_empty());
        for v in [7, 8, 9, 10] {
            list.push(v);
        }
        assert_eq!(list.as_slice(), &[7, 8, 9]);
        list.as_mut_slice().reverse();
        assert_eq!(list.as_slice(), &[9, 8, 7]);
    }
}
