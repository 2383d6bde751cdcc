//! Flickr through its API: the protocol layer the Flickr import is built on.
//!
//! The main type is [`FlickrClient`]: build one from a [`FlickrConfig`]
//! (endpoints, app key and secret, budget, retry policy), log in with the
//! OAuth 1.0a dance ([`FlickrClient::request_token`], [`FlickrClient::authorize_url`],
//! [`LoopbackCallback`] or a pasted verifier, [`FlickrClient::access_token`]),
//! then call [`FlickrClient::with_token`] and list: [`FlickrClient::all_photos`]
//! (the whole stream, photos in no album included), [`FlickrClient::all_photosets`]
//! and [`FlickrClient::all_photoset_photo_ids`] (album membership), and
//! [`FlickrClient::original_source`] + [`FlickrClient::download`] for the files.
//! Results are typed in [`model`]; every failure is a [`FlickrError`].
//!
//! Invariant: this layer only reads from Flickr; it never writes or deletes
//! anything at the source.

pub mod client;
pub mod error;
pub mod limiter;
pub mod model;
pub mod oauth;
pub mod source;
pub mod text;

pub use client::{
    DEFAULT_OAUTH_URL, DEFAULT_REST_URL, Download, FlickrClient, FlickrConfig, LISTING_EXTRAS,
    MAX_PER_PAGE, MediaSource, PhotosQuery, RateLimitPolicy, choose_photo_source,
    choose_video_source, extension_for_content_type,
};
pub use error::FlickrError;
pub use limiter::{Clock, FakeClock, RateLimiter, SystemClock};
pub use model::{
    Geo, Granularity, Media, Page, Person, Photo, PhotoInfo, Photoset, PhotosetPage, Privacy,
    RawTag, Size, Sizes, Stream, TakenDate, User,
};
pub use oauth::{
    AccessToken, CallbackParams, LoopbackCallback, OOB_CALLBACK, RequestToken, verifier_from_pasted,
};
pub use source::FlickrSource;
