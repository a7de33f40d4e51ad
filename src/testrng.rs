//! A tiny deterministic generator for tests (splitmix64): seeded simulations without a
//! dependency.

/// splitmix64 (Steele, Lea, Flood 2014), seeded by its state.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Poisson(λ) by Knuth's product of uniforms, λ split in pieces of at most 30 (a sum of
    /// Poisson counts is Poisson, and `e^-30` is far from underflow).
    pub fn poisson(&mut self, mut lambda: f64) -> u64 {
        let mut count = 0;
        while lambda > 0.0 {
            let piece = lambda.min(30.0);
            lambda -= piece;
            let limit = (-piece).exp();
            let mut prod = self.unit();
            while prod > limit {
                count += 1;
                prod *= self.unit();
            }
        }
        count
    }

    /// Bernoulli(p).
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Binomial(n, p), one Bernoulli draw per trial.
    pub fn binomial(&mut self, n: u64, p: f64) -> u64 {
        (0..n).filter(|_| self.chance(p)).count() as u64
    }

    /// A standard normal draw (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }
}
