//! Where sessions are kept and how many: file names with a UTC timestamp, and pruning to the
//! newest N.

use crate::model::Millis;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::RecordError;

/// The default number of sessions kept.
pub const DEFAULT_KEEP: usize = 100;

/// `<state_dir>/sessions/<release>-<YYYYMMDDTHHMMSSZ>.jsonl.zst`, the UTC time of `started_at`.
/// Characters of the release name other than letters, digits, `-`, `_` and `.` become `_`, so the
/// name always stays one file inside `sessions/`.
pub fn default_session_path(state_dir: &Path, release: &str, started_at: Millis) -> PathBuf {
    let mut name: String = release
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with('.') {
        name.insert(0, '_');
    }
    if name.is_empty() {
        name.push_str("session");
    }
    sessions_dir(state_dir).join(format!("{name}-{}.jsonl.zst", utc_stamp(started_at)))
}

/// `path`, or, when a file is already there (another session of the release that started in the
/// same second), the first free one of `NAME-2.jsonl.zst`, `NAME-3.jsonl.zst`, …
pub fn free_session_path(path: &Path) -> PathBuf {
    if !path.exists() {
        return path.to_path_buf();
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, ext) = match name.find(".jsonl") {
        Some(i) => name.split_at(i),
        None => (name.as_str(), ""),
    };
    (2u32..)
        .map(|n| path.with_file_name(format!("{stem}-{n}{ext}")))
        .find(|p| !p.exists())
        .unwrap_or_else(|| path.to_path_buf())
}

/// `YYYYMMDDTHHMMSSZ` for an instant in milliseconds since the Unix epoch (proleptic Gregorian,
/// UTC; instants before 1970 work too).
pub fn utc_stamp(at: Millis) -> String {
    let (y, m, d, hh, mm, ss) = utc_fields(at);
    format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC) for an instant in milliseconds since the Unix epoch.
pub fn utc_rfc3339(at: Millis) -> String {
    let (y, m, d, hh, mm, ss) = utc_fields(at);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// Year, month, day, hour, minute, second of an instant, in UTC.
fn utc_fields(at: Millis) -> (i64, u32, u32, i64, i64, i64) {
    let secs = at.0.div_euclid(1000);
    let (days, secs_of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    (
        y,
        m,
        d,
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60,
    )
}

/// Year, month, day of the day `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Deletes all but the newest `keep` session files (`*.jsonl*`) in `dir`, newest by modification
/// time, then by name. Other files are left alone; a missing directory is not an error. Returns the
/// files deleted. Prune after creating the new session, so that it counts among the kept.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>, RecordError> {
    let mut removed = Vec::new();
    for path in list(dir)?.into_iter().skip(keep) {
        std::fs::remove_file(&path).map_err(|e| RecordError::io("delete", &path, e))?;
        removed.push(path);
    }
    Ok(removed)
}

/// The session files (`*.jsonl*`) in `dir`, newest first by modification time, then by name. A
/// missing directory has none.
pub fn list(dir: &Path) -> Result<Vec<PathBuf>, RecordError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(RecordError::io("list", dir, e)),
    };
    let mut sessions: Vec<(SystemTime, PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| RecordError::io("list", dir, e))?;
        let path = entry.path();
        let is_session = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains(".jsonl"));
        let Ok(meta) = entry.metadata() else { continue };
        if is_session && meta.is_file() {
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            sessions.push((modified, path));
        }
    }
    sessions.sort_by(|a, b| b.cmp(a)); // newest first
    Ok(sessions.into_iter().map(|(_, path)| path).collect())
}

/// The directory the cockpit records sessions into by default.
pub fn sessions_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("sessions")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamps_of_known_instants() {
        assert_eq!(utc_stamp(Millis(0)), "19700101T000000Z");
        assert_eq!(utc_stamp(Millis(951_782_400_000)), "20000229T000000Z");
        assert_eq!(utc_stamp(Millis(1_709_251_199_999)), "20240229T235959Z");
        assert_eq!(utc_stamp(Millis(1_735_689_599_000)), "20241231T235959Z");
        assert_eq!(utc_stamp(Millis(4_107_542_400_000)), "21000301T000000Z");
        assert_eq!(utc_stamp(Millis(-1)), "19691231T235959Z");
        assert_eq!(
            utc_rfc3339(Millis(1_709_251_199_999)),
            "2024-02-29T23:59:59Z"
        );
    }
}
