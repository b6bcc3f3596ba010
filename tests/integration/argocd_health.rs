//! Runs the Argo CD health checks in `config/argocd/resource_customizations/` the way Argo CD
//! does (Lua 5.1, `obj` global, the script's returned table) against every fixture listed in
//! each kind's `health_test.yaml`, and checks the argocd-cm snippet carries the same scripts.

use std::path::{Path, PathBuf};

use mlua::{Lua, LuaOptions, StdLib, Table, Value as LuaValue};
use serde_json::Value;

const KINDS: [&str; 6] =
    ["TaskDefinition", "ECSService", "ECSCluster", "CapacityProvider", "ECSTask", "ECSExpressService"];

fn argocd_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/argocd")
}

fn kind_dir(kind: &str) -> PathBuf {
    argocd_dir().join("resource_customizations/ecs.operator.dev").join(kind)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// JSON to Lua as Argo CD hands objects to scripts: objects and arrays become tables (arrays
/// 1-based), null is absent.
fn to_lua(lua: &Lua, value: &Value) -> mlua::Result<LuaValue> {
    Ok(match value {
        Value::Null => LuaValue::Nil,
        Value::Bool(b) => LuaValue::Boolean(*b),
        Value::Number(n) => LuaValue::Number(n.as_f64().unwrap_or_default()),
        Value::String(s) => LuaValue::String(lua.create_string(s)?),
        Value::Array(items) => {
            let table = lua.create_table()?;
            for (i, item) in items.iter().enumerate() {
                table.set(i + 1, to_lua(lua, item)?)?;
            }
            LuaValue::Table(table)
        }
        Value::Object(map) => {
            let table = lua.create_table()?;
            for (k, v) in map {
                table.set(k.as_str(), to_lua(lua, v)?)?;
            }
            LuaValue::Table(table)
        }
    })
}

/// (status, message) the script returns for `object`.
fn health(script: &str, script_name: &str, object: &Value) -> (String, String) {
    // Argo CD opens only the safe libraries; the base library is always there.
    let lua =
        Lua::new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH, LuaOptions::default()).expect("Lua 5.1 state");
    let obj = to_lua(&lua, object).expect("object converts to Lua");
    lua.globals().set("obj", obj).expect("set obj");
    let result: Table =
        lua.load(script).set_name(script_name).call(()).unwrap_or_else(|e| panic!("{script_name} failed: {e}"));
    let status: String = result.get("status").expect("hs.status is a string");
    let message: Option<String> = result.get("message").expect("hs.message is a string or nil");
    (status, message.unwrap_or_default())
}

#[test]
fn every_fixture_gets_the_expected_health() {
    let mut failures = Vec::new();
    let mut count = 0;
    for kind in KINDS {
        let dir = kind_dir(kind);
        let script = read(&dir.join("health.lua"));
        let tests: Value = serde_yaml::from_str(&read(&dir.join("health_test.yaml"))).expect("health_test.yaml");
        let cases = tests["tests"].as_array().expect("health_test.yaml has tests");
        let mut listed = Vec::new();
        let mut statuses = Vec::new();
        for case in cases {
            let input = case["inputPath"].as_str().expect("inputPath");
            listed.push(input.trim_start_matches("testdata/").to_owned());
            let object: Value = serde_yaml::from_str(&read(&dir.join(input))).expect("fixture YAML");
            assert_eq!(object["kind"], kind, "{kind}/{input} is a {} object", object["kind"]);
            let want = (
                case["healthStatus"]["status"].as_str().unwrap_or_default().to_owned(),
                case["healthStatus"]["message"].as_str().unwrap_or_default().to_owned(),
            );
            let got = health(&script, &format!("{kind}/health.lua"), &object);
            if got != want {
                failures.push(format!("{kind}/{input}:\n   want {want:?}\n    got {got:?}"));
            }
            statuses.push(want.0);
            count += 1;
        }
        // Every fixture is in the test list, so none sits unchecked.
        let mut on_disk: Vec<String> = std::fs::read_dir(dir.join("testdata"))
            .expect("testdata dir")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        on_disk.sort();
        listed.sort();
        assert_eq!(on_disk, listed, "{kind}: every testdata file is listed in health_test.yaml");
        // An ECSTask cannot be Observe-only (admission refuses it), so it is never Suspended.
        let expected: &[&str] = if kind == "ECSTask" {
            &["Healthy", "Progressing", "Degraded"]
        } else {
            &["Healthy", "Progressing", "Degraded", "Suspended"]
        };
        for status in expected {
            assert!(statuses.iter().any(|s| s.as_str() == *status), "{kind}: no fixture expects {status}");
        }
    }
    assert!(failures.is_empty(), "{} of {count} health checks differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn one_script_for_every_kind_and_the_argocd_cm_snippet_carries_it() {
    // Each kind's health.lua is a link to config/argocd/health.lua (Argo CD's layout wants
    // one per kind folder).
    let script = read(&argocd_dir().join("health.lua"));
    let snippet: Value = serde_yaml::from_str(&read(&argocd_dir().join("argocd-cm.yaml"))).expect("argocd-cm.yaml");
    assert_eq!(snippet["kind"], "ConfigMap");
    assert_eq!(snippet["metadata"]["name"], "argocd-cm");
    for kind in KINDS {
        assert_eq!(
            read(&kind_dir(kind).join("health.lua")),
            script,
            "{kind}/health.lua is not config/argocd/health.lua"
        );
        let key = format!("resource.customizations.health.ecs.operator.dev_{kind}");
        assert_eq!(
            snippet["data"][&key].as_str(),
            Some(script.as_str()),
            "argocd-cm.yaml {key} is not the current health.lua"
        );
    }
}
