//! Pacing: the clock the Flickr client reads and sleeps on, and the token
//! bucket that keeps it under Flickr's budget (3,600 calls an hour per API key).
//!
//! Invariant: over any window of one hour the bucket lets through at most
//! `calls_per_hour` calls. It holds `burst` tokens and refills at
//! `calls_per_hour - burst` an hour, so a full bucket plus an hour of refill
//! is exactly the budget. The clock is a trait so tests run hours of pacing
//! and backoff instantly ([`FakeClock`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the client gets time from, and how it waits.
pub trait Clock: Send + Sync + 'static {
    /// Monotonic time since an arbitrary origin.
    fn now(&self) -> Duration;
    /// Seconds since the Unix epoch (for `oauth_timestamp`).
    fn unix_seconds(&self) -> u64;
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The real clock: `Instant` and `tokio::time::sleep`.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn unix_seconds(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock for tests: `sleep` returns at once after moving time forward, and
/// every sleep is recorded so a test can assert the backoff it asked for.
#[derive(Debug, Default)]
pub struct FakeClock {
    state: Mutex<FakeClockState>,
}

#[derive(Debug, Default)]
struct FakeClockState {
    now: Duration,
    sleeps: Vec<Duration>,
}

impl FakeClock {
    pub fn new() -> Arc<FakeClock> {
        Arc::new(FakeClock::default())
    }

    /// Moves time forward without a sleep being recorded.
    pub fn advance(&self, by: Duration) {
        self.lock().now += by;
    }

    /// Every sleep asked for so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// The sum of every sleep so far.
    pub fn slept(&self) -> Duration {
        self.lock().sleeps.iter().sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FakeClockState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Duration {
        self.lock().now
    }

    fn unix_seconds(&self) -> u64 {
        1_700_000_000 + self.lock().now.as_secs()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let mut state = self.lock();
        state.now += duration;
        state.sleeps.push(duration);
        Box::pin(std::future::ready(()))
    }
}

/// A token bucket over a [`Clock`]. Cloning shares the bucket.
#[derive(Clone)]
pub struct RateLimiter {
    clock: Arc<dyn Clock>,
    bucket: Arc<tokio::sync::Mutex<Bucket>>,
    capacity: f64,
    /// Tokens per second.
    refill: f64,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Duration,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("capacity", &self.capacity)
            .field("refill_per_hour", &(self.refill * 3600.0))
            .finish()
    }
}

impl RateLimiter {
    /// At most `calls_per_hour` calls in any hour, `burst` of them back to
    /// back. `burst` is clamped to `1..calls_per_hour`.
    pub fn new(calls_per_hour: u32, burst: u32, clock: Arc<dyn Clock>) -> RateLimiter {
        let calls_per_hour = calls_per_hour.max(2);
        let burst = burst.clamp(1, calls_per_hour - 1);
        let now = clock.now();
        RateLimiter {
            clock,
            bucket: Arc::new(tokio::sync::Mutex::new(Bucket {
                tokens: burst as f64,
                last: now,
            })),
            capacity: burst as f64,
            refill: (calls_per_hour - burst) as f64 / 3600.0,
        }
    }

    /// Takes one token, waiting on the clock until one is there. Callers wait
    /// in turn (the lock is fair). Returns how long this call waited.
    pub async fn acquire(&self) -> Duration {
        let mut bucket = self.bucket.lock().await;
        let mut waited = Duration::ZERO;
        loop {
            match self.take(&mut bucket) {
                Ok(()) => return waited,
                Err(wait) => {
                    self.clock.sleep(wait).await;
                    waited += wait;
                }
            }
        }
    }

    /// Takes one token if one is there now; otherwise says how long until one is.
    pub fn try_acquire(&self) -> Result<(), Duration> {
        match self.bucket.try_lock() {
            Ok(mut bucket) => self.take(&mut bucket),
            // Someone is waiting for a token already; at least one interval.
            Err(_) => Err(Duration::from_secs_f64(1.0 / self.refill)),
        }
    }

    fn take(&self, bucket: &mut Bucket) -> Result<(), Duration> {
        let now = self.clock.now();
        let elapsed = now.saturating_sub(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.refill).min(self.capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 - 1e-9 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - bucket.tokens;
            // Round up to the next microsecond so the refill is really there.
            let micros = (missing / self.refill * 1e6).ceil() as u64;
            Err(Duration::from_micros(micros.max(1)))
        }
    }
}
