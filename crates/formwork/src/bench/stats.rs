//! Timing samples and how they are summarised.

use std::time::Duration;

/// Durations of one measured operation.
#[derive(Default)]
pub struct Samples(Vec<Duration>);

impl Samples {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    fn sorted(&self) -> Vec<Duration> {
        let mut v = self.0.clone();
        v.sort();
        v
    }

    pub fn percentile(&self, p: f64) -> Duration {
        let v = self.sorted();
        if v.is_empty() {
            return Duration::ZERO;
        }
        let i = ((v.len() - 1) as f64 * p).round() as usize;
        v[i.min(v.len() - 1)]
    }

    pub fn p50(&self) -> Duration {
        self.percentile(0.5)
    }

    /// Operations per second over the summed time of the samples.
    pub fn rate(&self) -> f64 {
        let total: Duration = self.0.iter().sum();
        if total.is_zero() {
            return 0.0;
        }
        self.0.len() as f64 / total.as_secs_f64()
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}
