//! hyper's HTTP/1 server as the cockpit's small servers use it (Flagger's gates, the demo's
//! metrics): one request per connection, a bounded head, a deadline for reading it.

use hyper::server::conn::http1::Builder;
use hyper_util::rt::TokioTimer;
use std::time::Duration;

/// A builder for one request per connection: heads up to `max_head` bytes, read within
/// `read_timeout`; a client that closes its sending side after the request still gets the answer.
pub fn one_request(max_head: usize, read_timeout: Duration) -> Builder {
    let mut builder = Builder::new();
    builder
        .keep_alive(false)
        .half_close(true)
        .max_header_size(max_head)
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout)
        .title_case_headers(true)
        .auto_date_header(false);
    builder
}
