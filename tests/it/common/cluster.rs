//! Throwaway PostgreSQL clusters for the tests that stop, restart or replicate a server (the
//! outage and read-replica tests): initdb into a temp folder, on a free port. The shared server
//! on 127.0.0.1:5432 serves other tests and is never touched.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The newest PostgreSQL server binaries: on PATH, else Debian's `/usr/lib/postgresql/<v>/bin`.
/// A symlinked `initdb` on PATH counts as its real folder, which holds `pg_basebackup` too.
fn server_bin() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
        .and_then(|dir| dir.join("initdb").canonicalize().ok()?.parent().map(PathBuf::from));
    if on_path.is_some() {
        return on_path;
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// A throwaway PostgreSQL cluster; stopped (immediately) and deleted when dropped.
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
    /// PostgreSQL refuses to run as root: CI (root) runs its binaries as the `postgres` user.
    as_postgres: bool,
}

impl Cluster {
    /// `None` when no PostgreSQL server binaries are installed (and PostgreSQL is not required).
    pub fn create() -> Option<Cluster> {
        let Some(bin) = server_bin() else {
            assert!(
                !std::env::var("SKM_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1"),
                "SKM_TEST_REQUIRE_POSTGRES=1 but no PostgreSQL server binaries (initdb, pg_ctl) are installed"
            );
            eprintln!("skipping: no PostgreSQL server binaries (initdb, pg_ctl)");
            return None;
        };
        let cluster = Cluster::empty(bin);
        let data = cluster.data();
        // initdb's pg_hba.conf already trusts replication connections from 127.0.0.1, and
        // wal_level `replica` is the default: a `replica()` can copy it as it is.
        cluster
            .run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"]);
        cluster.start();
        Some(cluster)
    }

    /// A hot standby of this cluster on a port of its own: `pg_basebackup -R` (which writes the
    /// primary's address and `standby.signal`), then started, streaming from this one.
    pub fn replica(&self) -> Cluster {
        let replica = Cluster::empty(self.bin.clone());
        let data = replica.data();
        let port = self.port.to_string();
        replica.run(
            "pg_basebackup",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-D", &data, "-R", "-X", "stream", "--no-sync"],
        );
        replica.start();
        replica
    }

    /// A folder for a cluster and a free port; nothing in them yet.
    fn empty(bin: PathBuf) -> Cluster {
        let dir = tempfile::Builder::new().prefix("skm-pg-").tempdir().expect("temp dir");
        let as_postgres = running_as_root();
        if as_postgres {
            let status = Command::new("chown").arg("postgres:").arg(dir.path()).status().expect("chown");
            assert!(status.success(), "chown the cluster folder to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("port").port();
        Cluster { bin, dir, port, as_postgres }
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// The `postgres` database of the cluster.
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    pub fn url_of(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        // The server inherits pg_ctl's output: a pipe would keep the test waiting for it.
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        command
    }

    /// Runs a tool to its end; what it says on standard error goes to a file (a pipe would keep
    /// the test waiting for the server `pg_ctl start` leaves behind), shown when it fails.
    fn run(&self, program: &str, args: &[&str]) {
        let said = self.dir.path().join("stderr");
        let file = std::fs::File::create(&said).expect("a file for stderr");
        let status =
            self.command(program).args(args).stderr(file).status().unwrap_or_else(|e| panic!("{program}: {e}"));
        let said = std::fs::read_to_string(&said).unwrap_or_default();
        assert!(status.success(), "{program} {args:?} failed ({status}): {said}; log: {}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// `pg_ctl <action>` with the cluster's own port, socket folder and log.
    fn pg_ctl(&self, action: &str, extra: &[&str]) {
        let log = self.dir.path().join("log").display().to_string();
        let socket = self.dir.path().display().to_string();
        let options = format!("-p {} -k {socket} -c listen_addresses=127.0.0.1 -c fsync=off", self.port);
        let data = self.data();
        let mut args = vec!["-D", &data, "-l", &log, "-w", "-t", "60", "-o", &options];
        args.extend_from_slice(extra);
        args.push(action);
        self.run("pg_ctl", &args);
    }

    pub fn start(&self) {
        self.pg_ctl("start", &[]);
    }

    pub fn stop(&self) {
        self.pg_ctl("stop", &["-m", "fast"]);
    }

    pub fn restart(&self) {
        self.pg_ctl("restart", &["-m", "fast"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.command("pg_ctl").args(["-D", &data, "-m", "immediate", "stop"]).status();
    }
}
