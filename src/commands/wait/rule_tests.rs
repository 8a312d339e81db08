use super::*;

fn seen(mark: &str, ended: Option<End>) -> Seen {
    Seen {
        mark: mark.to_string(),
        ended,
        ..Seen::default()
    }
}

#[test]
fn a_release_under_way_at_the_start_is_the_one() {
    let first = seen("b", None);
    let mut w = Waiter::new(WaitFor::Promoted, None, &first);
    assert_eq!(w.observe(&first), Step::Waiting);
    assert_eq!(
        w.observe(&seen("b", Some(End::Promoted))),
        Step::Ends(Ending::Ended(End::Promoted))
    );
}

#[test]
fn a_release_over_at_the_start_is_skipped_for_the_next() {
    let first = seen("a", Some(End::Promoted));
    let mut w = Waiter::new(WaitFor::Promoted, None, &first);
    assert_eq!(w.observe(&first), Step::Waiting);
    // the same release, still promoted: no end
    assert_eq!(w.observe(&seen("a", Some(End::Promoted))), Step::Waiting);
    assert_eq!(
        w.observe(&seen("b", None)),
        Step::Follows {
            mark: "b".to_string()
        }
    );
    let back = seen("b", Some(End::RolledBack));
    let ending = match w.observe(&back) {
        Step::Ends(e) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(ending, Ending::Ended(End::RolledBack));
    assert_eq!(w.exit_code(&ending), 3);
}

#[test]
fn a_person_ends_the_wait_unless_it_waits_for_the_end() {
    let held = Seen {
        human: Some("paused".to_string()),
        ..seen("b", None)
    };
    let mut w = Waiter::new(WaitFor::Promoted, None, &seen("b", None));
    let ending = Ending::Human("paused".to_string());
    assert_eq!(w.observe(&held), Step::Ends(ending.clone()));
    assert_eq!(w.exit_code(&ending), 4);
    let mut w = Waiter::new(WaitFor::Ended, None, &seen("b", None));
    assert_eq!(w.observe(&held), Step::Waiting);
}

#[test]
fn for_rolled_back_turns_the_codes_round() {
    let w = Waiter::new(WaitFor::RolledBack, None, &seen("b", None));
    assert_eq!(w.exit_code(&Ending::Ended(End::RolledBack)), 0);
    assert_eq!(w.exit_code(&Ending::Ended(End::Promoted)), 3);
}

#[test]
fn an_image_is_waited_for_until_the_canary_runs_it() {
    let image = Some("shop:2.0".to_string());
    let first = Seen {
        canary_image: "reg/shop:1.0".to_string(),
        ..seen("a", Some(End::Promoted))
    };
    let mut w = Waiter::new(WaitFor::Promoted, image, &first);
    assert_eq!(w.observe(&first), Step::Waiting);
    let running = Seen {
        canary_image: "reg/shop:2.0".to_string(),
        ..seen("b", None)
    };
    assert!(matches!(w.observe(&running), Step::Follows { .. }));
    let replaced = Seen {
        canary_image: "reg/shop:3.0".to_string(),
        ..seen("c", None)
    };
    assert_eq!(
        w.observe(&replaced),
        Step::Ends(Ending::Replaced {
            by: "reg/shop:3.0".to_string()
        })
    );
}

#[test]
fn an_image_already_promoted_ends_at_once() {
    let done = Seen {
        primary_image: "reg/shop:2.0".to_string(),
        ..seen("b", Some(End::Promoted))
    };
    let mut w = Waiter::new(WaitFor::Promoted, Some("shop:2.0".to_string()), &done);
    assert_eq!(w.observe(&done), Step::Ends(Ending::Ended(End::Promoted)));
}

#[test]
fn images_match_whole_or_without_their_registry() {
    assert!(same_image("reg.io/team/shop:2.0", "shop:2.0"));
    assert!(same_image("shop:2.0", "shop:2.0"));
    assert!(!same_image("reg.io/team/myshop:2.0", "shop:2.0"));
    assert!(!same_image("shop:2.0", ""));
}
