//! Kubernetes resource quantities (`250m`, `1.5`, `128Mi`, `1G`, `2e3`) read as whole
//! millicores or bytes, and bytes written back the way `kubectl top` shows them.

/// A quantity in thousandths of its unit: `250m` is 250, `2` is 2000. `None` when it does not
/// parse or does not fit.
pub fn millis(s: &str) -> Option<u64> {
    let v = value(s)?;
    finite_u64(v * 1000.0)
}

/// A quantity in whole units (bytes for memory): `128Mi` is 134217728. Fractions round up, as
/// the API server does.
pub fn units(s: &str) -> Option<u64> {
    let v = value(s)?;
    finite_u64(v.ceil())
}

fn finite_u64(v: f64) -> Option<u64> {
    (v.is_finite() && (0.0..1.8e19).contains(&v)).then(|| v.round() as u64)
}

fn value(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => 10f64.powi(e[1..].parse().ok()?),
        _ => return None,
    };
    Some(number * scale)
}

/// Bytes as `kubectl top` shows memory: `512Ki`, `128Mi`, `1.5Gi`.
pub fn bytes_label(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["Ki", "Mi", "Gi", "Ti"];
    let mut v = bytes as f64;
    if v < 1024.0 {
        return format!("{bytes}");
    }
    let mut unit = "";
    for u in UNITS {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    if v < 10.0 && v.fract() >= 0.05 {
        format!("{v:.1}{unit}")
    } else {
        format!("{v:.0}{unit}")
    }
}

/// Millicores as `250m`, or `1.5` cores from 10 cores up where `m` would be long.
pub fn cpu_label(millicores: u64) -> String {
    if millicores >= 10_000 {
        format!("{:.1}", millicores as f64 / 1000.0)
    } else {
        format!("{millicores}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_quantities() {
        assert_eq!(millis("250m"), Some(250));
        assert_eq!(millis("1"), Some(1000));
        assert_eq!(millis("1.5"), Some(1500));
        assert_eq!(millis("2e3"), Some(2_000_000));
        assert_eq!(millis("150000000n"), Some(150));
        assert_eq!(millis("500u"), Some(1));
        assert_eq!(millis(""), None);
        assert_eq!(millis("12x"), None);
        assert_eq!(millis("-1"), None);
    }

    #[test]
    fn memory_quantities() {
        assert_eq!(units("128Mi"), Some(134_217_728));
        assert_eq!(units("1Gi"), Some(1 << 30));
        assert_eq!(units("1G"), Some(1_000_000_000));
        assert_eq!(units("64Ki"), Some(65_536));
        assert_eq!(units("1000"), Some(1000));
        assert_eq!(units("1.5k"), Some(1500));
        assert_eq!(units("129e6"), Some(129_000_000));
        assert_eq!(units("1m"), Some(1), "fractions round up");
        assert_eq!(units("Mi"), None);
    }

    #[test]
    fn labels() {
        assert_eq!(bytes_label(134_217_728), "128Mi");
        assert_eq!(bytes_label(1536 << 20), "1.5Gi");
        assert_eq!(bytes_label(900), "900");
        assert_eq!(bytes_label(65_536), "64Ki");
        assert_eq!(cpu_label(250), "250m");
        assert_eq!(cpu_label(12_500), "12.5");
    }
}
