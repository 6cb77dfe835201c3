//! skm: the Survei Kepuasan Masyarakat service (PermenPANRB No. 14/2017).

// glibc's allocator spent a sixth of the submission path's CPU in malloc and free (arenas
// shared by the actix workers, the blocking pool and the writer thread); mimalloc keeps
// per-thread heaps. Declared in the library, so `skm`, the tests and the benchmarks all measure
// the same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod accounts;
pub mod aggregator;
pub mod api_keys;
pub mod catalog;
pub mod charts;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod desks;
pub mod devices;
pub mod domain;
pub mod follow_up;
pub mod fonts;
pub mod gateway;
pub mod i18n;
pub mod images;
pub mod invitations;
pub mod letterhead;
pub mod mail;
pub mod password;
pub mod publications;
pub mod rate_limit;
pub mod readiness;
pub mod reports;
pub mod response_rate;
pub mod rollup;
pub mod security;
pub mod setup;
pub mod sheets;
pub mod survey;
pub mod units;
pub mod web;
