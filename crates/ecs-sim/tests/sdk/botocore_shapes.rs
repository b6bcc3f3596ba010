//! Runs tests/botocore_shapes.py against a simulator on a scaled clock: real boto3 calls
//! (botocore validates the requests) whose raw answers are walked against botocore's ECS model.
//!
//! The Python is the one beside `$MOTO_SERVER` (the venv `bash tests/run.sh` installs
//! moto[server], and so boto3, into). Like tests/moto_crosscheck.rs, an unset MOTO_SERVER falls
//! back to `<repo>/.tools/venv/bin/moto_server`; only when MOTO_SERVER is unset and that venv
//! does not exist either is the test skipped, with a notice. A MOTO_SERVER that is set must
//! have its Python beside it.

use std::path::PathBuf;
use std::process::Command;

use ecs_sim::{ClockMode, SimConfig};

#[test]
fn answers_fit_botocore_shapes() {
    let moto = match std::env::var_os("MOTO_SERVER") {
        Some(path) => PathBuf::from(path),
        None => {
            let default = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/venv/bin/moto_server");
            if !default.is_file() {
                eprintln!(
                    "skipping the botocore shape check: MOTO_SERVER is not set and {} does not exist \
                     (run `bash tests/run.sh`, which installs moto[server] and boto3 into .tools/venv)",
                    default.display()
                );
                return;
            }
            default
        }
    };
    let python = moto.with_file_name("python");
    assert!(python.is_file(), "no python beside MOTO_SERVER ({})", python.display());
    let sim = ecs_sim::start(SimConfig { clock: ClockMode::Scaled { speed: 1.0 }, ..SimConfig::for_tests() })
        .expect("start ecs-sim");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/botocore_shapes.py");
    let out = Command::new(&python).arg(&script).arg(sim.endpoint()).output().expect("run botocore_shapes.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "botocore_shapes.py failed ({}):\n{stdout}\n{stderr}", out.status);
}
