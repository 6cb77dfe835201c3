//! The integration tests, as one binary (one link of the crate instead of one per file): each
//! module is what used to be its own `tests/*.rs`, sharing `common`.

mod common;

mod accounts;
mod admin;
mod api;
mod browser;
mod charts;
mod cli;
mod compute;
mod counters;
mod crash;
mod csv_files;
mod dashboard;
mod error_pages;
mod evidence;
mod file_clients;
mod follow_up;
mod fuzz;
mod http;
mod import;
mod import_limits;
mod invitation;
mod layers;
mod letterhead;
mod mail;
mod media;
mod openapi;
mod operations;
mod operator;
mod outage;
mod populations;
mod poster;
mod posters;
mod publication;
mod ranking;
mod readiness;
mod regency_report;
mod reports;
mod security;
mod setup;
mod storage;
mod survey;
mod tour;
mod transfer;
mod upgrade;
