//! skm: the Survei Kepuasan Masyarakat service (PermenPANRB No. 14/2017).

pub mod domain;
