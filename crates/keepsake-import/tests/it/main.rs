//! The Flickr protocol layer against the fake Flickr (real HTTP on loopback):
//! the OAuth dance, listings and paging, loose JSON, retries and rate limits,
//! and downloads that resume. One test binary; modules by behaviour.

mod dance;
mod download;
mod flickr_export;
mod icloud;
mod listing;
mod loose_json;
mod resilience;
mod takeout;

use std::sync::Arc;

use keepsake_import::flickr::{FakeClock, FlickrClient, FlickrConfig};
use keepsake_testkit::fake_flickr::{API_KEY, API_SECRET, FakeAccount, FakeFlickr};

/// A config pointing at `fake`, with the app key the fake knows.
pub fn config_for(fake: &FakeFlickr) -> FlickrConfig {
    let mut config = FlickrConfig::new(API_KEY, API_SECRET);
    config.rest_url = fake.rest_url();
    config.oauth_url = fake.oauth_url();
    config
}

/// A fake Flickr serving `account` and a logged-in client on a fake clock
/// (backoff and pacing never sleep for real).
pub async fn logged_in(account: FakeAccount) -> (FakeFlickr, FlickrClient, Arc<FakeClock>) {
    let fake = FakeFlickr::start(account).await;
    let clock = FakeClock::new();
    let (token, secret) = fake.issue_access_token();
    let client = FlickrClient::with_clock(config_for(&fake), clock.clone())
        .expect("client")
        .with_token(token, secret);
    (fake, client, clock)
}
