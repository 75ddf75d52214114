//! SplitMix64: a few lines of well-known arithmetic, so that a seed names the same trials on
//! every machine and with every version of every crate (rand's small generators promise no
//! such thing across releases).

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The generator of one trial: the run's seed mixed with the trial's coordinates, so that a
    /// trial does not depend on which other trials run (`--db`, `--trials`, `--jobs`).
    pub fn for_trial(seed: u64, parts: &[u64]) -> Rng {
        let mut rng = Rng(seed);
        for part in parts {
            rng.0 = rng.next_u64() ^ part.wrapping_mul(0xD6E8_FEB8_6659_FD93);
        }
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi` (the modulo bias is far below anything a trial can notice).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        debug_assert!(lo <= hi);
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.range(0, 99) < percent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let a: Vec<u64> = {
            let mut r = Rng::for_trial(7, &[1, 2]);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let mut r = Rng::for_trial(7, &[1, 2]);
        assert_eq!(a, (0..5).map(|_| r.next_u64()).collect::<Vec<_>>());
        let mut other = Rng::for_trial(7, &[2, 1]);
        assert_ne!(a[0], other.next_u64());
    }

    #[test]
    fn splitmix64_reference_values() {
        // The first outputs of SplitMix64 seeded with 0 (Vigna's reference implementation).
        let mut r = Rng(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn ranges_stay_inside() {
        let mut r = Rng(3);
        for _ in 0..1000 {
            let n = r.range(5, 9);
            assert!((5..=9).contains(&n));
        }
        assert_eq!(r.range(4, 4), 4);
    }
}
