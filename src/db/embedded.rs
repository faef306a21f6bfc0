//! The embedded default database: a private PostgreSQL cluster under the data directory, run with
//! the system's `initdb` and `pg_ctl`, listening on a free loopback port with a generated
//! password. A second start reuses the cluster; the portal stops it on exit.
//!
//! PostgreSQL refuses to run as root. When the portal runs as root, the cluster runs as an
//! unprivileged account (`PORTAL_PG_USER`, else `postgres`, else `nobody`).

use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, anyhow, bail};
use rand::Rng;
use rand::distr::Alphanumeric;

/// How the cluster is tuned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Normal settings: what `serve` uses.
    Safe,
    /// `fsync` off and friends: for the throw-away test cluster only.
    Fast,
}

/// A running private cluster.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    root: PathBuf,
    bin_dir: PathBuf,
    account: Option<Account>,
    port: u16,
    password: String,
    started_here: bool,
}

/// An unprivileged system account to run PostgreSQL as.
#[derive(Clone, Debug)]
struct Account {
    name: String,
    uid: u32,
    gid: u32,
}

const SUPERUSER: &str = "portal";

impl EmbeddedPostgres {
    /// Where the cluster of `root` goes: `root` itself, unless the portal runs as root, `root`
    /// was not chosen (`chosen`: `PORTAL_DATA_DIR` was set) and the account PostgreSQL runs as
    /// cannot reach it (a checkout in root's closed home folder, as in containers and on fresh
    /// cloud machines): then a directory of that account's own under `/var/tmp`, named after
    /// `root` (the same one on every start from this checkout).
    pub fn place(root: &Path, chosen: bool) -> anyhow::Result<PathBuf> {
        if chosen || !is_root() {
            return Ok(root.to_path_buf());
        }
        let account = unprivileged_account()?;
        fs::create_dir_all(root)
            .with_context(|| format!("cannot create the database directory {}", root.display()))?;
        let root = root.canonicalize()?;
        if check_reachable(&root, &account).is_ok() {
            return Ok(root);
        }
        let elsewhere = elsewhere(&root);
        tracing::warn!(
            account = %account.name,
            moved_to = %elsewhere.display(),
            "the database's account cannot reach {}: the embedded database lives in {} instead",
            root.display(),
            elsewhere.display()
        );
        Ok(elsewhere)
    }

    /// Starts (or reuses) the cluster under `root`, e.g. `./var/postgres`.
    pub fn start(root: &Path, durability: Durability) -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir().ok_or_else(|| anyhow!(missing_binaries_message()))?;
        fs::create_dir_all(root)
            .with_context(|| format!("cannot create the database directory {}", root.display()))?;
        let root = root
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", root.display()))?;
        let account = if is_root() {
            Some(unprivileged_account()?)
        } else {
            None
        };
        if let Some(acct) = &account {
            check_reachable(&root, acct)?;
            chown(&root, Some(acct.uid), Some(acct.gid))
                .with_context(|| format!("cannot hand {} to {}", root.display(), acct.name))?;
        }
        fs::set_permissions(&root, fs::Permissions::from_mode(0o700))?;

        let data = root.join("data");
        let password_file = root.join("portal.password");
        let mut cluster = Self {
            root: root.clone(),
            bin_dir,
            account,
            port: 0,
            password: String::new(),
            started_here: false,
        };

        if !data.join("PG_VERSION").exists() {
            cluster.init(&data, &password_file, durability)?;
        }
        cluster.password = fs::read_to_string(&password_file)
            .with_context(|| format!("cannot read {}", password_file.display()))?
            .trim()
            .to_string();

        if let Some(port) = cluster.running_port(&data) {
            tracing::info!(
                port,
                "reusing the embedded PostgreSQL that is already running"
            );
            cluster.port = port;
            return Ok(cluster);
        }

        cluster.port = free_port()?;
        cluster.launch()?;
        cluster.started_here = true;
        tracing::info!(port = cluster.port, dir = %root.display(), "embedded PostgreSQL started");
        Ok(cluster)
    }

    /// Starts the cluster again on the same port after [`EmbeddedPostgres::stop`] (tests of a
    /// database restart under load).
    pub fn start_again(&self) -> anyhow::Result<()> {
        self.launch()
    }

    fn launch(&self) -> anyhow::Result<()> {
        let data = self.root.join("data");
        let log = self.root.join("server.log");
        let options = format!("-p {} -c listen_addresses=127.0.0.1", self.port);
        let status = self
            .pg_ctl()
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .stdout(Stdio::null())
            .status()
            .context("cannot run pg_ctl")?;
        if !status.success() {
            let tail = fs::read_to_string(&log)
                .map(|s| s.lines().rev().take(8).collect::<Vec<_>>().join("\n"))
                .unwrap_or_default();
            bail!(
                "the embedded PostgreSQL did not start (see {}):\n{tail}",
                log.display()
            );
        }
        Ok(())
    }

    /// A URL for `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    /// Stops the cluster if this process started it.
    pub fn stop(&self) {
        if !self.started_here {
            return;
        }
        let data = self.root.join("data");
        let result = self
            .pg_ctl()
            .arg("-D")
            .arg(&data)
            .args(["-m", "fast", "-w", "-t", "30", "stop"])
            .stdout(Stdio::null())
            .status();
        match result {
            Ok(s) if s.success() => tracing::info!("embedded PostgreSQL stopped"),
            other => tracing::warn!(?other, "could not stop the embedded PostgreSQL"),
        }
    }

    fn init(
        &self,
        data: &Path,
        password_file: &Path,
        durability: Durability,
    ) -> anyhow::Result<()> {
        let password: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        // initdb reads the password from a file that its (possibly unprivileged) account can read.
        let pw_tmp = self.root.join("initdb.pw");
        write_private(&pw_tmp, &password, self.account.as_ref())?;
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(data)
            .args([
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
            ])
            .arg(format!("--pwfile={}", pw_tmp.display()))
            .output()
            .context("cannot run initdb")?;
        let _ = fs::remove_file(&pw_tmp);
        if !output.status.success() {
            bail!(
                "initdb failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let mut conf = fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))?;
        // Only loopback TCP: no unix socket, whose path length and directory rights vary.
        writeln!(conf, "\n# set by the portal\nunix_socket_directories = ''")?;
        writeln!(
            conf,
            "listen_addresses = '127.0.0.1'\nmax_connections = 200"
        )?;
        if durability == Durability::Fast {
            writeln!(
                conf,
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off"
            )?;
        }
        write_private(password_file, &password, None)?;
        Ok(())
    }

    /// The port of a postmaster already running on `data`, read from `postmaster.pid`.
    fn running_port(&self, data: &Path) -> Option<u16> {
        let status = self
            .pg_ctl()
            .arg("-D")
            .arg(data)
            .arg("status")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
        let pid_file = fs::read_to_string(data.join("postmaster.pid")).ok()?;
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    fn pg_ctl(&self) -> Command {
        self.command("pg_ctl")
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        cmd.current_dir(&self.root);
        cmd.env_remove("PGDATA").env("LC_ALL", "C");
        if let Some(acct) = &self.account {
            cmd.uid(acct.uid).gid(acct.gid);
            cmd.env("HOME", &self.root).env("USER", &acct.name);
        }
        cmd
    }
}

fn write_private(path: &Path, text: &str, owner: Option<&Account>) -> anyhow::Result<()> {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    f.write_all(text.as_bytes())?;
    if let Some(acct) = owner {
        chown(path, Some(acct.uid), Some(acct.gid))?;
    }
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("no free port")?;
    Ok(listener.local_addr()?.port())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Looks for a directory holding `initdb`, `pg_ctl` and `postgres`: PATH first, then the usual
/// Debian, Red Hat and Homebrew places (newest version first).
pub fn find_bin_dir() -> Option<PathBuf> {
    let has_all = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            // A PATH entry may hold symlinks to the real binaries (as Debian's wrappers do).
            if let Ok(real) = dir.join("pg_ctl").canonicalize() {
                if let Some(parent) = real.parent() {
                    candidates.push(parent.to_path_buf());
                }
            }
            candidates.push(dir);
        }
    }
    for pattern_dir in [
        "/usr/lib/postgresql",
        "/usr/local/opt",
        "/opt/homebrew/opt",
        "/usr",
    ] {
        let mut versions: Vec<(u32, PathBuf)> = fs::read_dir(pattern_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().to_string();
                let version = if pattern_dir == "/usr/lib/postgresql" {
                    name.parse().ok()?
                } else if let Some(v) = name
                    .strip_prefix("postgresql@")
                    .or_else(|| name.strip_prefix("pgsql-"))
                {
                    v.split('.').next()?.parse().ok()?
                } else if name == "postgresql" {
                    0
                } else {
                    return None;
                };
                Some((version, entry.path().join("bin")))
            })
            .collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.0));
        candidates.extend(versions.into_iter().map(|(_, p)| p));
    }
    candidates.extend(
        [
            "/opt/homebrew/bin",
            "/usr/local/bin",
            "/usr/local/pgsql/bin",
        ]
        .iter()
        .map(PathBuf::from),
    );
    candidates.into_iter().find(|d| has_all(d))
}

fn missing_binaries_message() -> String {
    "PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found, so the embedded \
     database cannot start.\n\
     Install them:\n  Debian/Ubuntu: sudo apt-get install postgresql\n  Fedora/RHEL:   sudo dnf install postgresql-server\n  macOS:         brew install postgresql@16\n\
     or use a server you already have:\n  DATABASE_URL=postgres://user:password@127.0.0.1:5432/portal cargo run --release"
        .to_string()
}

fn unprivileged_account() -> anyhow::Result<Account> {
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let wanted: Vec<String> = match std::env::var("PORTAL_PG_USER") {
        Ok(name) if !name.is_empty() => vec![name],
        _ => vec!["postgres".into(), "nobody".into()],
    };
    for name in &wanted {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() >= 4 && fields[0] == name {
                if let (Ok(uid), Ok(gid)) = (fields[2].parse(), fields[3].parse()) {
                    if uid != 0 {
                        return Ok(Account {
                            name: name.clone(),
                            uid,
                            gid,
                        });
                    }
                }
            }
        }
    }
    bail!(
        "The portal runs as root and PostgreSQL refuses to run as root, so the embedded database \
         needs an unprivileged account, and none of {wanted:?} exists.\n\
         Do one of these:\n  run the portal as an ordinary user;\n  create the account: useradd --system postgres;\n  \
         set PORTAL_PG_USER to an existing unprivileged account;\n  or set DATABASE_URL to a PostgreSQL server you already run."
    )
}

/// The cluster directory of `root` under `/var/tmp` (open to every account to walk through).
fn elsewhere(root: &Path) -> PathBuf {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(root.as_os_str().as_encoded_bytes());
    let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    PathBuf::from("/var/tmp").join(format!("portal-{short}"))
}

/// The unprivileged account must be able to walk down to the data directory.
fn check_reachable(root: &Path, acct: &Account) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mut blocked = None;
    for ancestor in root.ancestors().skip(1) {
        let Ok(meta) = fs::metadata(ancestor) else {
            continue;
        };
        let mode = meta.mode();
        let ok = if meta.uid() == acct.uid {
            mode & 0o100 != 0
        } else if meta.gid() == acct.gid {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !ok {
            blocked = Some(ancestor.to_path_buf());
        }
    }
    if let Some(dir) = blocked {
        bail!(
            "The portal runs as root and PostgreSQL refuses to run as root, so the embedded \
             database runs as the account '{name}'. That account cannot reach {root} because \
             {dir} is closed to other users.\n\
             Do one of these:\n  run the portal as an ordinary user;\n  \
             set PORTAL_DATA_DIR to a directory '{name}' can reach, e.g. PORTAL_DATA_DIR=/var/tmp/portal;\n  \
             open the directory: chmod o+x {dir};\n  or set DATABASE_URL to a PostgreSQL server you already run.",
            name = acct.name,
            root = root.display(),
            dir = dir.display()
        );
    }
    Ok(())
}
