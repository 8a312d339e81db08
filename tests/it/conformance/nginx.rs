//! ingress-nginx: the canary Ingress beside the primary's; stable/canary only (the canary Ingress
//! names the canary, whatever the Services are called).

use super::fields::*;
use super::{Expect, Layout, Obj, Row, TESTER};
use serde_json::{json, Value};

pub fn nginx() -> Row {
    let by = |k: &str| annotation(&format!("nginx.ingress.kubernetes.io/canary-by-{k}"));
    let on = |pointer: &str, v: Value| f(Obj::Ingress, "shop-canary", pointer, v);
    let route = Expect::Fields(vec![
        on(&by("header"), json!(TESTER.0)),
        on(&by("header-value"), json!(TESTER.1)),
        on(
            &annotation("canary-cockpit.io/routes"),
            json!(format!("header={}", TESTER.0)),
        ),
    ]);
    let clear = Expect::Fields(vec![
        on(&by("header"), Value::Null),
        on(&by("header-value"), Value::Null),
        on(&annotation("canary-cockpit.io/routes"), Value::Null),
    ]);
    driven(
        Layout::StableCanary,
        (
            |c, p| Box::pin(crate::cluster_promote::deployed_shop(c, p)),
            "ingress/shop",
        ),
        read("ingress-nginx", "progressing", 20, ["shop", "shop-canary"]),
        // ingress-nginx holds the canary's weight alone, as text, on the canary Ingress
        Weights {
            obj: Obj::Ingress,
            name: "shop-canary",
            primary: None,
            canary: "/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight",
            text: true,
        },
        SHOP,
        (route, clear),
    )
}
