//! skm: the Survei Kepuasan Masyarakat service (PermenPANRB No. 14/2017).

pub mod catalog;
pub mod config;
pub mod domain;
