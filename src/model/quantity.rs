//! Kubernetes resource quantities (`250m`, `1`, `123456n`, `128Mi`, `131072Ki`, `1e3`), read
//! exactly — a decimal number, an optional exponent or suffix, rounded up to whole millicores or
//! bytes as the API server rounds them — and written back the way `kubectl top` shows them.

/// A quantity in thousandths of its unit: `250m` is 250, `2` is 2000. `None` when it does not
/// parse or does not fit.
pub fn millis(s: &str) -> Option<u64> {
    millicores(s).ok()
}

/// A quantity in whole units (bytes for memory): `128Mi` is 134217728. Fractions round up, as
/// the API server does.
pub fn units(s: &str) -> Option<u64> {
    bytes(s).ok()
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

/// A quantity that does not read as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Kubernetes quantity")]
pub struct BadQuantity(pub String);

/// The suffix's factor as a fraction (numerator, denominator).
fn suffix(s: &str) -> Option<(u128, u128)> {
    let bin = |p: u32| (1u128 << (10 * p), 1);
    let dec = |p: u32| (10u128.pow(3 * p), 1);
    Some(match s {
        "n" => (1, 1_000_000_000),
        "u" => (1, 1_000_000),
        "m" => (1, 1_000),
        "" => (1, 1),
        "k" => dec(1),
        "M" => dec(2),
        "G" => dec(3),
        "T" => dec(4),
        "P" => dec(5),
        "E" => dec(6),
        "Ki" => bin(1),
        "Mi" => bin(2),
        "Gi" => bin(3),
        "Ti" => bin(4),
        "Pi" => bin(5),
        "Ei" => bin(6),
        _ => return None,
    })
}

/// `text` times `scale`, rounded up to a whole number.
fn scaled(text: &str, scale: u128) -> Result<u64, BadQuantity> {
    let bad = || BadQuantity(text.to_string());
    let t = text.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, rest) = t.split_at(end);
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err(bad());
    }
    let digits = format!("{whole}{frac}");
    let mut num: u128 = digits.parse().map_err(|_| bad())?;
    let mut den: u128 = 10u128.checked_pow(frac.len() as u32).ok_or_else(bad)?;
    // `E` alone is exa; followed by a number it is an exponent
    match rest.strip_prefix(['e', 'E']).filter(|e| !e.is_empty()) {
        Some(exp) => {
            let exp: i32 = exp.parse().map_err(|_| bad())?;
            let pow = 10u128.checked_pow(exp.unsigned_abs()).ok_or_else(bad)?;
            if exp >= 0 {
                num = num.checked_mul(pow).ok_or_else(bad)?;
            } else {
                den = den.checked_mul(pow).ok_or_else(bad)?;
            }
        }
        None => {
            let (n, d) = suffix(rest).ok_or_else(bad)?;
            num = num.checked_mul(n).ok_or_else(bad)?;
            den = den.checked_mul(d).ok_or_else(bad)?;
        }
    }
    let num = num.checked_mul(scale).ok_or_else(bad)?;
    u64::try_from(num.div_ceil(den)).map_err(|_| bad())
}

/// CPU in thousandths of a core: `250m` is 250, `1` is 1000, `123456n` is 1 (rounded up).
pub fn millicores(text: &str) -> Result<u64, BadQuantity> {
    scaled(text, 1000)
}

/// Memory in bytes: `128Mi` is 134217728, `1k` is 1000.
pub fn bytes(text: &str) -> Result<u64, BadQuantity> {
    scaled(text, 1)
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

#[cfg(test)]
mod exact {
    use super::*;

    #[test]
    fn cpu_in_every_form_the_api_writes() {
        assert_eq!(millicores("250m"), Ok(250));
        assert_eq!(millicores("1"), Ok(1000));
        assert_eq!(millicores("2.5"), Ok(2500));
        assert_eq!(millicores("0.1"), Ok(100));
        assert_eq!(millicores("123456789n"), Ok(124), "rounded up");
        assert_eq!(millicores("250000000n"), Ok(250));
        assert_eq!(millicores("1500u"), Ok(2));
        assert_eq!(millicores("0"), Ok(0));
        assert_eq!(millicores("1e3"), Ok(1_000_000));
        assert_eq!(millicores("5e-1"), Ok(500));
    }

    #[test]
    fn memory_in_binary_and_decimal_suffixes() {
        assert_eq!(bytes("128Mi"), Ok(134_217_728));
        assert_eq!(bytes("134217728"), Ok(134_217_728));
        assert_eq!(bytes("131072Ki"), Ok(134_217_728));
        assert_eq!(bytes("1Gi"), Ok(1 << 30));
        assert_eq!(bytes("2Ti"), Ok(2 << 40));
        assert_eq!(bytes("1k"), Ok(1000));
        assert_eq!(bytes("1.5M"), Ok(1_500_000));
        assert_eq!(bytes("3G"), Ok(3_000_000_000));
        assert_eq!(bytes("1500m"), Ok(2), "a fraction of a byte rounds up");
        assert_eq!(bytes("12E"), Ok(12_000_000_000_000_000_000));
    }

    #[test]
    fn what_is_not_a_quantity_is_refused() {
        for text in ["", "m", "12x", "1.2.3", "Mi", "-5", "20E", "1e40", "1e"] {
            assert!(bytes(text).is_err(), "{text:?}");
        }
        assert_eq!(
            millicores("lots").unwrap_err().to_string(),
            "\"lots\" is not a Kubernetes quantity"
        );
    }
}
