//! The chaos run's quick mode in the test suite (CI): 24 services, every fault of the full run
//! (throttling, 5xx, latency, dropped watches, a 410 relist, three leader SIGKILLs, an image
//! change mid-rollout), every sample in config/samples/ applied beside them, and every invariant
//! checked by the program itself: including zero AWS writes and no drift in a steady window
//! after convergence (issue 17), and that a whole-app delete under the same faults leaves no
//! object and nothing in ECS. The full run at
//! N = 1,000 is `cargo run --release -p ecs-operator-bench --bin ecs-operator-chaos`.

use std::process::Command;

#[test]
fn quick_chaos_run_holds_every_invariant() {
    let out_dir = std::env::temp_dir().join(format!("ecs-operator-chaos-quick-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_ecs-operator-chaos"))
        // The deadline bounds each convergence (the steady window and the delete have their
        // own); past it the run names every object that had not converged and the replicas'
        // last warnings.
        .args(["--quick", "--deadline-minutes", "10", "--out-dir"])
        .arg(&out_dir)
        .output()
        .expect("run ecs-operator-chaos");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let results = std::fs::read_to_string(out_dir.join("chaos.json")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&out_dir);
    assert!(output.status.success(), "chaos run failed ({}):\n{stderr}\n{results}", output.status);
    let doc: serde_json::Value = serde_json::from_str(&results).expect("chaos.json");
    let figures = doc.pointer("/runs/0/figures").and_then(|f| f.as_object()).expect("figures");
    for name in [
        "duplicate_services",
        "duplicate_revisions",
        "aws_resources_without_owner",
        "observed_generation_regressions",
        "objects_left_after_delete_fault_free",
        "aws_resources_left_after_delete_fault_free",
        "objects_left_after_delete_with_faults",
        "aws_resources_left_after_delete_with_faults",
        "steady_aws_writes_fault_free",
        "objects_with_drift_fault_free",
        "steady_aws_writes_with_faults",
        "objects_with_drift_with_faults",
    ] {
        assert_eq!(figures[name]["met"], true, "{name}: {}", figures[name]);
    }
    assert_eq!(figures["leader_kills"]["value"], 3.0);
}
