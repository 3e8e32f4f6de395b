//! A real OpenSSH server on loopback for the SFTP tests: its own host and client keys, config,
//! port and folders in a temporary directory, running as the current user, killed on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";

pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    config: PathBuf,
    child: Option<Child>,
}

fn keygen(path: &Path, comment: &str) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen not found: install openssh-client (apt-get install openssh-client)");
    assert!(out.status.success(), "ssh-keygen failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

impl Sshd {
    /// Starts sshd; panics with what to install when OpenSSH's server is missing.
    pub fn start() -> Sshd {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} not found: the SFTP tests need a real OpenSSH server; install openssh-server (apt-get install openssh-server)"
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keygen(&d.join("host_key"), "test-host");
        keygen(&d.join("client_key"), "test-client");
        keygen(&d.join("other_key"), "not-authorized");
        std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).unwrap();
        for sub in ["outbound", "inbound"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        if is_root() {
            // As root, sshd insists on its privilege separation folder, which Debian creates at
            // boot (systemd-tmpfiles) and containers usually lack.
            let _ = std::fs::create_dir_all("/run/sshd");
        }
        let port = free_port();
        let config = d.join("sshd_config");
        let root_login = if is_root() { "PermitRootLogin prohibit-password\n" } else { "" };
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\n\
                 Port {port}\n\
                 HostKey {dir}/host_key\n\
                 PidFile {dir}/sshd.pid\n\
                 AuthorizedKeysFile {dir}/authorized_keys\n\
                 StrictModes no\n\
                 UsePAM no\n\
                 PasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\n\
                 {root_login}\
                 Subsystem sftp internal-sftp\n\
                 LogLevel ERROR\n",
                dir = d.display()
            ),
        )
        .unwrap();
        let mut s = Sshd { dir, port, config, child: None };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("sshd.log")).unwrap();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("cannot start sshd");
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let addr: SocketAddr = ([127, 0, 0, 1], self.port).into();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("sshd exited ({status}) before listening: {}", self.log());
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            assert!(Instant::now() < deadline, "sshd did not listen on {addr} in 10 s: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `ssh-keygen -lf` of the host key, the whole line, as an operator would paste it.
    pub fn host_fingerprint_line(&self) -> String {
        let out = Command::new("ssh-keygen").arg("-lf").arg(self.path("host_key.pub")).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// A known_hosts file naming this server's key (`[127.0.0.1]:port`).
    pub fn known_hosts(&self, key_pub: &str) -> PathBuf {
        let key = std::fs::read_to_string(self.path(key_pub)).unwrap();
        let mut parts = key.split_whitespace();
        let (alg, b64) = (parts.next().unwrap(), parts.next().unwrap());
        let path = self.path(&format!("known_hosts_{key_pub}"));
        std::fs::write(&path, format!("# test\n[127.0.0.1]:{} {alg} {b64}\n", self.port)).unwrap();
        path
    }

    /// Kills the server and every connection it serves. Each connection is a process of its own
    /// (sshd puts it in a new session), so killing the listener alone would leave open
    /// connections working.
    pub fn kill(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let root = child.id() as i32;
        for pid in descendants(root).into_iter().rev() {
            // SAFETY: plain kill(2) on a pid we found as a descendant of our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts it again on the same port with the same keys.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

/// Every process under `root` (children first listed before their own children), from /proc.
fn descendants(root: i32) -> Vec<i32> {
    let mut parent_of = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { continue };
            // Fields after the command name, which is in parentheses and may hold spaces.
            let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
            if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse::<i32>().ok()) {
                parent_of.push((pid, ppid));
            }
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(pid, _)| *pid));
        i += 1;
    }
    found.remove(0);
    found
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}
