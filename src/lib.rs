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
pub mod import;
pub mod mail;
pub mod password;
pub mod reports;
pub mod security;
pub mod survey;
pub mod units;
pub mod web;
