//! Lists read as they arrive: the answer's `items` are cut out of the byte stream one at a time,
//! each decoded into the little the cockpit keeps ([`Wire::keep`]) before the next is read. No
//! page of full objects, and no whole answer, is held at once; one request lists the lot (no
//! `limit`: with a label selector the API server would page over the whole namespace).

use http_body_util::BodyExt;
use kube::api::{ListParams, WatchParams};
use kube::core::Status;
use kube::Client;
use serde::de::DeserializeOwned;

/// How long the API server keeps one watch open; the follower then resumes it. A watch that
/// sends nothing for longer is a connection that died without a word.
pub const WATCH_SECONDS: u32 = 290;

/// An object as it comes over the wire, and what of it the cockpit keeps.
pub trait Wire: DeserializeOwned + Clone + Send + 'static {
    type Kept: Send + 'static;
    fn name(&self) -> &str;
    fn resource_version(&self) -> Option<&str>;
    fn keep(self) -> Self::Kept;
}

/// What one list request read, and the resourceVersion a watch continues from.
#[derive(Debug)]
pub struct Listed<K> {
    pub items: Vec<K>,
    pub version: String,
}

/// The path and selectors of one list or watch: `/api/v1/namespaces/shop/pods` with
/// `app=shop`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub path: String,
    pub labels: Option<String>,
    pub fields: Option<String>,
}

impl Query {
    pub fn list_params(&self) -> ListParams {
        let mut p = ListParams::default();
        if let Some(l) = &self.labels {
            p = p.labels(l);
        }
        if let Some(f) = &self.fields {
            p = p.fields(f);
        }
        p
    }

    /// The watch's parameters: bookmarks on, and ended by the server after
    /// [`WATCH_SECONDS`] (it is resumed from the last version seen).
    pub fn watch_params(&self) -> WatchParams {
        let mut p = WatchParams::default().timeout(WATCH_SECONDS);
        if let Some(l) = &self.labels {
            p = p.labels(l);
        }
        if let Some(f) = &self.fields {
            p = p.fields(f);
        }
        p
    }
}

/// The items of `query`, decoded one by one as the answer streams in.
pub async fn list<W: Wire>(client: &Client, query: &Query) -> Result<Listed<W::Kept>, kube::Error> {
    let request = kube::core::Request::new(&query.path)
        .list(&query.list_params())
        .map_err(kube::Error::BuildRequest)?;
    let response = client.send(request.map(kube::client::Body::from)).await?;
    let status = response.status();
    let mut body = response.into_body();
    if !status.is_success() {
        let bytes = body.collect().await?.to_bytes();
        return Err(api_error(status.as_u16(), &bytes));
    }
    let mut cutter = ItemCutter::default();
    let mut items = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        cutter
            .feed(&data, |item| {
                let wire: W = serde_json::from_slice(item)?;
                items.push(wire.keep());
                Ok(())
            })
            .map_err(kube::Error::SerdeError)?;
    }
    let version = cutter.finish().map_err(kube::Error::SerdeError)?;
    Ok(Listed { items, version })
}

/// A Status body as kube's own error, or the plain text of one that is not a Status.
fn api_error(code: u16, body: &[u8]) -> kube::Error {
    let status = serde_json::from_slice::<Status>(body).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(body);
        Status::failure(text.trim(), "").with_code(code)
    });
    kube::Error::Api(status.boxed())
}

/// Cuts the elements of the top-level `items` array out of a list's bytes, whatever the chunk
/// boundaries, and keeps the rest (the list's metadata) for the end.
#[derive(Default)]
struct ItemCutter {
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// Inside the top-level `items` array.
    in_items: bool,
    /// The list without its items: `{"kind":"PodList","metadata":{…},"items":[]}`.
    skeleton: Vec<u8>,
    /// The bytes of the item being cut.
    item: Vec<u8>,
}

#[derive(serde::Deserialize)]
struct Skeleton {
    #[serde(default)]
    metadata: SkeletonMeta,
}

#[derive(Default, serde::Deserialize)]
struct SkeletonMeta {
    #[serde(default, rename = "resourceVersion")]
    resource_version: Option<String>,
}

impl ItemCutter {
    fn feed(
        &mut self,
        chunk: &[u8],
        mut each: impl FnMut(&[u8]) -> Result<(), serde_json::Error>,
    ) -> Result<(), serde_json::Error> {
        for &b in chunk {
            // inside an item: everything goes to the item until its closing brace
            let in_item = self.in_items && self.depth >= 3;
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                self.put(in_item, b);
                continue;
            }
            match b {
                b'"' => {
                    self.in_string = true;
                    self.put(in_item, b);
                }
                b'{' | b'[' => {
                    if self.depth == 1 && b == b'[' && self.items_key_before() {
                        self.in_items = true;
                    }
                    self.depth += 1;
                    let starts_item = self.in_items && self.depth == 3;
                    self.put(in_item || starts_item, b);
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    self.put(in_item, b);
                    if self.in_items && self.depth == 2 && in_item {
                        each(&self.item)?;
                        self.item.clear();
                    }
                    if self.in_items && self.depth == 1 {
                        self.in_items = false;
                        self.skeleton.push(b']');
                    }
                }
                _ => {
                    if in_item {
                        self.item.push(b);
                    } else if !self.in_items {
                        self.skeleton.push(b);
                    }
                }
            }
        }
        Ok(())
    }

    fn put(&mut self, in_item: bool, b: u8) {
        if in_item {
            self.item.push(b);
        } else if !self.in_items || self.depth == 2 && b == b'[' {
            self.skeleton.push(b);
        }
    }

    /// Whether the skeleton so far ends with the key `"items"` and its colon.
    fn items_key_before(&self) -> bool {
        let s = self.skeleton.trim_ascii_end();
        let Some(s) = s.strip_suffix(b":") else {
            return false;
        };
        s.trim_ascii_end().ends_with(b"\"items\"")
    }

    /// The list's resourceVersion, once the whole answer has been read.
    fn finish(self) -> Result<String, serde_json::Error> {
        let skeleton: Skeleton = serde_json::from_slice(&self.skeleton)?;
        Ok(skeleton.metadata.resource_version.unwrap_or_default())
    }
}

/// The request that watches `query` from `version` on.
pub fn watch_request(query: &Query, version: &str) -> Result<http::Request<Vec<u8>>, kube::Error> {
    kube::core::Request::new(&query.path)
        .watch(&query.watch_params(), version)
        .map_err(kube::Error::BuildRequest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(chunks: &[&[u8]]) -> (Vec<String>, String) {
        let mut c = ItemCutter::default();
        let mut items = Vec::new();
        for chunk in chunks {
            c.feed(chunk, |i| {
                items.push(String::from_utf8(i.to_vec()).unwrap());
                Ok(())
            })
            .unwrap();
        }
        (items, c.finish().unwrap())
    }

    const LIST: &str = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"4711"},"items":[{"metadata":{"name":"a","labels":{"x":"}]\"{["}},"spec":{"containers":[{"name":"c"}]}},{"metadata":{"name":"b"}}]}"#;

    #[test]
    fn items_are_cut_whole_whatever_the_chunks() {
        let whole = cut(&[LIST.as_bytes()]);
        assert_eq!(whole.1, "4711");
        assert_eq!(whole.0.len(), 2);
        assert_eq!(
            whole.0[0],
            r#"{"metadata":{"name":"a","labels":{"x":"}]\"{["}},"spec":{"containers":[{"name":"c"}]}}"#
        );
        assert_eq!(whole.0[1], r#"{"metadata":{"name":"b"}}"#);
        // every split point gives the same items
        let bytes = LIST.as_bytes();
        for at in 0..bytes.len() {
            assert_eq!(cut(&[&bytes[..at], &bytes[at..]]), whole, "split at {at}");
        }
        // one byte at a time
        let ones: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(cut(&ones), whole);
    }

    #[test]
    fn metadata_after_the_items_and_whitespace_are_read() {
        let list = "{ \"items\" : [ {\"a\": [1, {\"b\": \"]\"}]} , {} ] ,\n \"metadata\": {\"resourceVersion\": \"9\"}, \"kind\": \"List\"}";
        let (items, version) = cut(&[list.as_bytes()]);
        assert_eq!(items, vec![r#"{"a": [1, {"b": "]"}]}"#, "{}"]);
        assert_eq!(version, "9");
        // a key that merely ends in "items" is not the list's items
        let other = r#"{"myitems":[{"a":1}],"items":[],"metadata":{"resourceVersion":"3"}}"#;
        assert_eq!(cut(&[other.as_bytes()]), (vec![], "3".to_string()));
    }

    #[test]
    fn a_cut_off_answer_is_an_error() {
        let mut c = ItemCutter::default();
        c.feed(&LIST.as_bytes()[..60], |_| Ok(())).unwrap();
        assert!(c.finish().is_err());
        let mut c = ItemCutter::default();
        let bad = c.feed(
            br#"{"items":[{"metadata":{"name":"a"}},{"metadata":"#,
            |i| serde_json::from_slice::<serde_json::Value>(i).map(drop),
        );
        assert!(bad.is_ok(), "the whole first item decodes");
        assert!(c.finish().is_err());
    }
}
