//! Staying within Flickr's limits and riding out its bad moments: the hourly
//! budget (on a fake clock), 429 with and without `Retry-After`, 5xx and
//! Flickr's transient codes with bounded exponential backoff, dropped
//! connections, and the fail-fast mode schedulers use (exit code 42).

use std::time::Duration;

use keepsake_import::flickr::{
    Clock, FakeClock, FlickrClient, FlickrError, RateLimitPolicy, RateLimiter,
};
use keepsake_testkit::fake_flickr::{FakeAccount, FakeFlickr, Fault, Route};

use crate::{config_for, logged_in};

fn secs(list: &[u64]) -> Vec<Duration> {
    list.iter().map(|s| Duration::from_secs(*s)).collect()
}

fn login_route() -> Route {
    Route::Method("flickr.test.login".into())
}

#[tokio::test]
async fn too_many_requests_with_retry_after_waits_that_long_then_succeeds() {
    let (fake, client, clock) = logged_in(FakeAccount::empty()).await;
    fake.inject(
        login_route(),
        Fault::TooManyRequests {
            retry_after: Some("7".into()),
        },
        2,
    );
    let me = client.test_login().await.expect("succeeds after the 429s");
    assert_eq!(me.id, "12345678@N00");
    assert_eq!(fake.calls("flickr.test.login"), 3);
    assert_eq!(clock.sleeps(), secs(&[7, 7]));
}

#[tokio::test]
async fn too_many_requests_without_retry_after_backs_off_sixty_seconds_more_each_time() {
    let (fake, client, clock) = logged_in(FakeAccount::empty()).await;
    fake.inject(
        login_route(),
        Fault::TooManyRequests { retry_after: None },
        3,
    );
    client.test_login().await.expect("succeeds");
    assert_eq!(clock.sleeps(), secs(&[60, 120, 180]));
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let (fake, client, clock) = logged_in(FakeAccount::empty()).await;
    let when = std::time::SystemTime::now() + Duration::from_secs(90);
    fake.inject(
        login_route(),
        Fault::TooManyRequests {
            retry_after: Some(httpdate_fmt(when)),
        },
        1,
    );
    client.test_login().await.expect("succeeds");
    let waited = clock.sleeps();
    assert_eq!(waited.len(), 1);
    assert!(
        waited[0] > Duration::from_secs(80) && waited[0] <= Duration::from_secs(90),
        "{waited:?}"
    );
}

fn httpdate_fmt(when: std::time::SystemTime) -> String {
    // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    let secs = when
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let civil = keepsake_core::Timestamp(days * 86_400_000).civil();
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][civil.month as usize - 1];
    format!(
        "{weekday}, {:02} {month} {} {:02}:{:02}:{:02} GMT",
        civil.day,
        civil.year,
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[tokio::test]
async fn server_errors_are_retried_with_exponential_backoff() {
    let (fake, client, clock) = logged_in(FakeAccount::empty()).await;
    fake.inject(Route::Rest, Fault::Status(503), 1);
    fake.inject(Route::Rest, Fault::Status(502), 1);
    client.test_login().await.expect("succeeds");
    assert_eq!(fake.calls("flickr.test.login"), 3);
    assert_eq!(clock.sleeps(), secs(&[2, 4]));
}

#[tokio::test]
async fn persistent_server_errors_give_up_after_the_last_attempt_with_a_clear_error() {
    let (fake, client, clock) = logged_in(FakeAccount::empty()).await;
    fake.inject(Route::Rest, Fault::Status(500), 100);
    let error = client.test_login().await.expect_err("gives up");
    match &error {
        FlickrError::Unavailable { attempts, last } => {
            assert_eq!(*attempts, 5);
            assert!(last.contains("500"), "{last}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(error.is_temporary());
    assert!(error.to_string().contains("try again later"), "{error}");
    assert_eq!(fake.calls("flickr.test.login"), 5);
    assert_eq!(clock.sleeps(), secs(&[2, 4, 8, 16]));
}

#[tokio::test]
async fn flickrs_transient_codes_are_retried_and_real_errors_are_not() {
    let (fake, client, _clock) = logged_in(FakeAccount::empty()).await;
    fake.inject(
        login_route(),
        Fault::FlickrError {
            code: 201,
            message: "Sorry, the Flickr API service is not currently available.".into(),
        },
        2,
    );
    client.test_login().await.expect("succeeds");
    assert_eq!(fake.calls("flickr.test.login"), 3);

    let missing = client.photo_info("1").await;
    assert!(
        matches!(missing, Err(FlickrError::NotFound { .. })),
        "{missing:?}"
    );
    assert_eq!(fake.calls("flickr.photos.getInfo"), 1, "not retried");
}

#[tokio::test]
async fn a_connection_dropped_mid_answer_is_retried() {
    let (fake, client, _clock) = logged_in(FakeAccount::generated(30)).await;
    fake.inject(
        Route::Method("flickr.people.getPhotos".into()),
        Fault::Drop { after_bytes: 100 },
        1,
    );
    let photos = client
        .all_photos(&keepsake_import::flickr::PhotosQuery::all_of("me"))
        .await
        .expect("all");
    assert_eq!(photos.len(), 30);
    assert_eq!(fake.calls("flickr.people.getPhotos"), 2);
}

#[tokio::test]
async fn fail_fast_mode_returns_rate_limited_at_the_first_429() {
    let fake = FakeFlickr::start(FakeAccount::empty()).await;
    let clock = FakeClock::new();
    let mut config = config_for(&fake);
    config.on_rate_limit = RateLimitPolicy::Fail;
    let (token, secret) = fake.issue_access_token();
    let client = FlickrClient::with_clock(config, clock.clone())
        .expect("client")
        .with_token(token, secret);
    fake.inject(
        Route::Rest,
        Fault::TooManyRequests {
            retry_after: Some("30".into()),
        },
        5,
    );
    let error = client.test_login().await.expect_err("rate limited");
    assert!(
        matches!(error, FlickrError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(30)),
        "{error:?}"
    );
    assert!(error.is_temporary());
    assert_eq!(fake.calls("flickr.test.login"), 1);
    assert!(clock.sleeps().is_empty(), "no waiting in fail-fast mode");
}

#[tokio::test]
async fn the_limiter_never_lets_more_than_the_hourly_budget_through() {
    let clock = FakeClock::new();
    let limiter = RateLimiter::new(3600, 10, clock.clone());
    let mut times = Vec::new();
    for _ in 0..9000 {
        limiter.acquire().await;
        times.push(clock.now());
    }
    // The burst goes through at once; the next call waits one interval.
    assert_eq!(times[9], Duration::ZERO);
    let interval = Duration::from_secs_f64(3600.0 / 3590.0);
    let eleventh = times[10];
    assert!(
        eleventh >= interval && eleventh - interval < Duration::from_millis(1),
        "{eleventh:?}"
    );
    // Any window of one hour holds at most 3600 calls.
    let hour = Duration::from_secs(3600);
    let mut start = 0;
    let mut most = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= hour {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    assert!(most <= 3600, "{most} calls in one hour");
    assert!(most >= 3590, "the budget is used, not wasted: {most}");
    assert!(limiter.try_acquire().is_err());
}

#[tokio::test]
async fn the_client_paces_its_calls_through_the_budget() {
    let fake = FakeFlickr::start(FakeAccount::empty()).await;
    let clock = FakeClock::new();
    let mut config = config_for(&fake);
    config.calls_per_hour = 20;
    config.burst = 2;
    let (token, secret) = fake.issue_access_token();
    let client = FlickrClient::with_clock(config, clock.clone())
        .expect("client")
        .with_token(token, secret);
    for _ in 0..5 {
        client.test_login().await.expect("login");
    }
    // Two at once, then one every 3600 / 18 = 200 s.
    let slept = clock.slept().as_secs_f64();
    assert!((slept - 600.0).abs() < 0.01, "{slept}");
}
