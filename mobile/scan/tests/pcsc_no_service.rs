//! Without a PC/SC service the reader code says so, at once. Runs everywhere: the test re-runs
//! itself in a child process whose PC/SC client looks for pcscd's socket where there is none
//! (`PCSCLITE_CSOCK_NAME`), so a pcscd running on the machine does not matter.

use std::process::Command;

use outpost_scan::channel;
use outpost_scan::nfc::{self, NfcError, NfcWatcher, WatcherConfig};

const CHILD: &str = "OUTPOST_SCAN_NO_PCSCD_CHILD";
const TEST: &str = "without_the_pcsc_service_the_reader_code_says_it_is_not_running";

#[test]
fn without_the_pcsc_service_the_reader_code_says_it_is_not_running() {
    if std::env::var_os(CHILD).is_some() {
        assert_eq!(nfc::establish().err(), Some(NfcError::ServiceNotRunning));
        let (sink, _events) = channel();
        let err = NfcWatcher::start(sink, WatcherConfig::default()).expect_err("no service");
        assert_eq!(err, NfcError::ServiceNotRunning);
        assert!(err.message_zh().contains("pcscd"));
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("PCSCLITE_CSOCK_NAME", dir.path().join("no-pcscd.comm"))
        .output()
        .expect("child test runs");
    assert!(
        output.status.success(),
        "child failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 passed"));
}
