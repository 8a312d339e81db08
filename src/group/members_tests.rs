use super::*;

fn cand(target: &str, ann: &[(&str, &str)], labels: &[(&str, &str)]) -> Candidate {
    let name = target.split('/').nth(1).unwrap_or(target).to_string();
    Candidate {
        target: target.to_string(),
        name,
        namespace: "shop".to_string(),
        annotations: ann
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        workload_labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn targets(g: &GroupSpec) -> Vec<&str> {
    g.members.iter().map(|m| m.target.as_str()).collect()
}

#[test]
fn part_of_orders_backend_before_frontend_whatever_the_names() {
    let list = [
        cand(
            "ingress/a-web",
            &[],
            &[(PART_OF, "shop"), (COMPONENT, "frontend")],
        ),
        cand("vs/z-api", &[], &[(PART_OF, "shop"), (COMPONENT, "api")]),
        cand(
            "vs/m-cache",
            &[],
            &[(PART_OF, "shop"), (COMPONENT, "cache")],
        ),
        cand("vs/other", &[], &[(PART_OF, "blog")]),
        cand("vs/alone", &[], &[]),
    ];
    let (groups, errors) = membership(&list);
    assert!(errors.is_empty());
    let shop = groups.iter().find(|g| g.name == "shop").unwrap();
    assert_eq!(shop.basis, Basis::PartOf);
    assert_eq!(targets(shop), ["vs/z-api", "vs/m-cache", "ingress/a-web"]);
    assert_eq!(groups.len(), 2, "{groups:?}");
}

#[test]
fn same_component_rank_falls_back_to_the_name() {
    let list = [
        cand("vs/b", &[], &[(PART_OF, "shop")]),
        cand("vs/a", &[], &[(PART_OF, "shop")]),
    ];
    let g = find(&list, "shop", "shop").unwrap();
    assert_eq!(targets(&g), ["vs/a", "vs/b"]);
}

#[test]
fn the_annotation_wins_over_part_of_and_orders_by_group_order() {
    let list = [
        cand(
            "vs/backend",
            &[(GROUP_ANNOTATION, "shop"), (ORDER_ANNOTATION, "2")],
            &[(PART_OF, "shop"), (COMPONENT, "backend")],
        ),
        cand(
            "ingress/frontend",
            &[(GROUP_ANNOTATION, "shop"), (ORDER_ANNOTATION, "1")],
            &[(PART_OF, "shop"), (COMPONENT, "frontend")],
        ),
        cand("vs/late", &[(GROUP_ANNOTATION, "shop")], &[]),
        // part-of alone is no member of a group that annotations make
        cand("vs/labelled", &[], &[(PART_OF, "shop")]),
    ];
    let g = find(&list, "shop", "shop").unwrap();
    assert_eq!(g.basis, Basis::Annotation);
    assert_eq!(targets(&g), ["ingress/frontend", "vs/backend", "vs/late"]);
}

#[test]
fn a_bad_order_or_name_is_an_error_naming_the_object() {
    let list = [
        cand(
            "vs/a",
            &[(GROUP_ANNOTATION, "shop"), (ORDER_ANNOTATION, "first")],
            &[],
        ),
        cand("vs/b", &[(GROUP_ANNOTATION, "sh\u{1b}[2Jop")], &[]),
    ];
    let (groups, errors) = membership(&list);
    assert!(groups.is_empty());
    assert_eq!(
        errors[0],
        GroupError::BadOrder {
            target: "vs/a".into(),
            value: "first".into()
        }
    );
    assert!(matches!(&errors[1], GroupError::BadName { target, .. } if target == "vs/b"));
}

#[test]
fn find_names_the_groups_there_are_and_refuses_a_group_of_one() {
    let list = [
        cand("vs/a", &[], &[(PART_OF, "shop")]),
        cand("vs/b", &[], &[(PART_OF, "blog")]),
        cand("vs/c", &[], &[(PART_OF, "blog")]),
    ];
    let err = find(&list, "shop", "nope").unwrap_err().to_string();
    assert!(err.contains("no group 'nope' in namespace shop"), "{err}");
    assert!(err.contains("groups here: blog, shop"), "{err}");
    let err = find(&list, "shop", "shop").unwrap_err().to_string();
    assert!(err.contains("one member (vs/a)"), "{err}");
    // another namespace's group of the same name is not this one
    let mut other = cand("vs/x", &[], &[(PART_OF, "shop")]);
    other.namespace = "elsewhere".into();
    assert!(find(&[other], "shop", "shop").is_err());
}

#[test]
fn the_command_line_keeps_its_order_and_refuses_a_target_twice() {
    let t = |s: &str| (s.to_string(), s.split('/').nth(1).unwrap().to_string());
    let g = from_command_line("shop", &[t("vs/backend"), t("ingress/frontend")]).unwrap();
    assert_eq!(g.basis, Basis::CommandLine);
    assert_eq!(g.name, "backend+frontend");
    assert_eq!(targets(&g), ["vs/backend", "ingress/frontend"]);
    let err = from_command_line("shop", &[t("vs/a"), t("vs/a")]).unwrap_err();
    assert_eq!(
        err,
        GroupError::Twice {
            target: "vs/a".into()
        }
    );
}
