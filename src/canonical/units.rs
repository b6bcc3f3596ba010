//! Task-level cpu and memory strings in the forms ECS accepts, normalised to integers.
//!
//! ECS takes task cpu as CPU units (`"256"`) or vCPU (`"0.25 vCPU"`) and memory as MiB
//! (`"512"`) or GB (`"1 GB"`), and always describes them back as plain integer strings. The
//! admission CEL rule in `crd::task_definition` parses the same forms.

use thiserror::Error;

/// A cpu or memory string that is not one of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{value:?} is not a valid {what}: {expected}")]
pub struct UnitError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

const CPU_FORMS: &str = "use CPU units (\"256\") or vCPU (\"0.25 vCPU\")";
const MEMORY_FORMS: &str = "use MiB (\"512\", \"512 MiB\") or GB (\"1 GB\", \"0.5 GB\")";

/// CPU units (1024 per vCPU) of a task cpu string.
pub fn task_cpu_units(value: &str) -> Result<i64, UnitError> {
    let err = || UnitError { what: "task cpu", value: value.to_owned(), expected: CPU_FORMS };
    let lower = value.trim().to_ascii_lowercase();
    match lower.strip_suffix("vcpu") {
        Some(vcpu) => scaled(vcpu.trim(), 1024).filter(|n| *n > 0).ok_or_else(err),
        None => lower.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(err),
    }
}

/// MiB of a task memory string.
pub fn task_memory_mib(value: &str) -> Result<i64, UnitError> {
    let err = || UnitError { what: "task memory", value: value.to_owned(), expected: MEMORY_FORMS };
    let lower = value.trim().to_ascii_lowercase();
    if let Some(gb) = lower.strip_suffix("gib").or_else(|| lower.strip_suffix("gb")) {
        return scaled(gb.trim(), 1024).filter(|n| *n > 0).ok_or_else(err);
    }
    let mib = lower.strip_suffix("mib").or_else(|| lower.strip_suffix("mb")).unwrap_or(&lower);
    mib.trim().parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(err)
}

/// `number × factor` for a decimal with at most three fraction digits, exactly (no float
/// rounding: "0.25" vCPU must be 256, not 255.99…). None when the result is fractional.
fn scaled(number: &str, factor: i64) -> Option<i64> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || whole.len() > 6 || fraction.len() > 3 {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let thousandths: i64 = format!("{fraction:0<3}").parse().ok()?;
    let total = whole * 1000 + thousandths;
    let product = total * factor;
    (product % 1000 == 0).then_some(product / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_forms() {
        let cases: &[(&str, Option<i64>)] = &[
            ("256", Some(256)),
            (" 1024 ", Some(1024)),
            ("0.25 vCPU", Some(256)),
            (".25 vCPU", None),
            ("0.5vcpu", Some(512)),
            ("1 VCPU", Some(1024)),
            ("2 vCPU", Some(2048)),
            ("16 vCPU", Some(16384)),
            ("0.125 vCPU", Some(128)),
            ("0.1 vCPU", None), // 102.4 units is not a whole number
            ("", None),
            ("vCPU", None),
            ("-256", None),
            ("0", None),
            ("0 vCPU", None),
            ("256m", None),
            ("1e3", None),
            ("0.2500 vCPU", None),
        ];
        for (input, expected) in cases {
            assert_eq!(task_cpu_units(input).ok(), *expected, "input {input:?}");
        }
    }

    #[test]
    fn memory_forms() {
        let cases: &[(&str, Option<i64>)] = &[
            ("512", Some(512)),
            ("512 MiB", Some(512)),
            ("512MB", Some(512)),
            ("1 GB", Some(1024)),
            ("1GB", Some(1024)),
            ("0.5 GB", Some(512)),
            ("2 GiB", Some(2048)),
            ("30 gb", Some(30720)),
            ("120 GB", Some(122880)),
            ("1.5 GB", Some(1536)),
            ("0.001 GB", None),
            ("GB", None),
            ("1 TB", None),
            ("-1", None),
            ("1,024", None),
        ];
        for (input, expected) in cases {
            assert_eq!(task_memory_mib(input).ok(), *expected, "input {input:?}");
        }
    }

    #[test]
    fn error_names_the_value_and_forms() {
        let err = task_cpu_units("lots").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"lots\" is not a valid task cpu: use CPU units (\"256\") or vCPU (\"0.25 vCPU\")"
        );
    }
}
