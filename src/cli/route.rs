//! `canary route TARGET --header NAME=VALUE | --header-regex NAME=REGEX | --cookie NAME | --clear`.

use crate::model::{RouteChange, RouteRule, RuleKind, RuleMatch};

/// Send testers to the canary whatever the weight: a header or cookie rule (one conditional
/// write), or --clear the cockpit's. Exit 1 API, RBAC or conflict, 2 a bad rule.
#[derive(Debug, clap::Args)]
#[command(group(
    clap::ArgGroup::new("change")
        .required(true)
        .args(["header", "header_regex", "cookie", "clear"])
))]
pub struct RouteArgs {
    /// The release: ingress/NAME, httproute/NAME, virtualservice/NAME (vs/), …
    #[arg(value_name = "TARGET")]
    pub target: crate::model::Target,
    /// Requests whose header NAME is exactly VALUE go to the canary.
    #[arg(long, value_name = "NAME=VALUE")]
    pub header: Option<String>,
    /// Requests whose header NAME matches the regular expression REGEX go to the canary.
    #[arg(long, value_name = "NAME=REGEX")]
    pub header_regex: Option<String>,
    /// Requests with the cookie NAME set to `always` go to the canary.
    #[arg(long, value_name = "NAME")]
    pub cookie: Option<String>,
    /// Remove the routes the cockpit wrote; the release's own stay.
    #[arg(long)]
    pub clear: bool,
    #[command(flatten)]
    pub connect: super::ConnectArgs,
}

impl RouteArgs {
    /// The change the flags ask for, or why the rule is bad (`--header X` without `=`).
    pub fn change(&self) -> Result<RouteChange, String> {
        let pair = |flag: &str, text: &str, matching: RuleMatch| {
            let (name, value) = text
                .split_once('=')
                .ok_or_else(|| format!("--{flag} {text:?}: a header rule is NAME=VALUE"))?;
            RouteRule::checked(RuleKind::Header, name.trim(), value, matching)
                .map_err(|e| format!("--{flag} {text:?}: {e}"))
        };
        let rule = match (&self.header, &self.header_regex, &self.cookie) {
            (Some(h), _, _) => pair("header", h, RuleMatch::Exact)?,
            (_, Some(h), _) => pair("header-regex", h, RuleMatch::Regex)?,
            (_, _, Some(c)) => RouteRule::checked(
                RuleKind::Cookie,
                c.trim(),
                crate::model::rules::COOKIE_ALWAYS,
                RuleMatch::Exact,
            )
            .map_err(|e| format!("--cookie {c:?}: {e}"))?,
            (None, None, None) => return Ok(RouteChange::Clear),
        };
        Ok(RouteChange::Add { rule })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(line: &[&str]) -> Result<RouteArgs, clap::Error> {
        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(flatten)]
            route: RouteArgs,
        }
        Cli::try_parse_from(std::iter::once("route").chain(line.iter().copied())).map(|c| c.route)
    }

    #[test]
    fn exactly_one_change_and_bad_rules_say_why() {
        let a = args(&["ingress/shop", "--header", "X-Canary=always"]).unwrap();
        assert_eq!(
            a.change().unwrap(),
            RouteChange::Add {
                rule: RouteRule::header("X-Canary", "always", RuleMatch::Exact)
            }
        );
        let a = args(&["ingress/shop", "--header-regex", "X-User=^t-.*=1$"]).unwrap();
        let RouteChange::Add { rule } = a.change().unwrap() else {
            panic!("an add")
        };
        assert_eq!(
            (rule.matching, rule.value.as_str()),
            (RuleMatch::Regex, "^t-.*=1$")
        );
        let a = args(&["ingress/shop", "--cookie", "tester"]).unwrap();
        assert!(
            matches!(a.change().unwrap(), RouteChange::Add { rule } if rule.describe() == "cookie tester")
        );
        let a = args(&["ingress/shop", "--clear"]).unwrap();
        assert_eq!(a.change().unwrap(), RouteChange::Clear);
        let err = args(&["ingress/shop", "--header", "X"])
            .unwrap()
            .change()
            .unwrap_err();
        assert!(err.contains("NAME=VALUE"), "{err}");
        let err = args(&["ingress/shop", "--header-regex", "X=(a"])
            .unwrap()
            .change()
            .unwrap_err();
        assert!(err.contains("unbalanced"), "{err}");
        assert!(args(&["ingress/shop"]).is_err());
        assert!(args(&["ingress/shop", "--clear", "--cookie", "a"]).is_err());
    }
}
