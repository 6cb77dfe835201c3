//! skm: the Survei Kepuasan Masyarakat service (PermenPANRB No. 14/2017).

pub mod accounts;
pub mod aggregator;
pub mod catalog;
pub mod charts;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod follow_up;
pub mod fonts;
pub mod i18n;
pub mod images;
pub mod letterhead;
pub mod mail;
pub mod password;
pub mod publications;
pub mod rate_limit;
pub mod readiness;
pub mod reports;
pub mod security;
pub mod setup;
pub mod sheets;
pub mod survey;
pub mod units;
pub mod web;
