//! `witzo admin …`: each command's exact result on standard output, as
//! text and as JSON, nothing else there; errors on standard error with
//! their exit codes.

use serde_json::json;

use super::{Run, Workdir, now, on_both_databases, stamped};

/// A failure: exit 1, nothing on standard output, the reason logged once
/// on standard error.
fn assert_failed(run: &Run, reason: &str) {
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    let lines = run.log_lines();
    assert_eq!(lines.len(), 1, "{run:?}");
    assert!(
        lines[0].contains(" ERROR ") && lines[0].ends_with(reason),
        "{run:?}"
    );
}

/// A usage error: exit 2, nothing on standard output, clap's message naming
/// the option on standard error.
fn assert_usage(run: &Run, message: &str) {
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    assert!(run.stderr.contains(message), "{run:?}");
}

on_both_databases!(
    operators_create_show_and_list_accounts,
    create_show_and_list_accounts
);
async fn create_show_and_list_accounts(w: Workdir) {
    let from = now();
    let created = w.ok(&["admin", "account", "create", "--email", "Ops@Example.com"]);
    assert_eq!(created.stdout, "created account 1 for ops@example.com\n");
    assert_eq!(created.stderr, "", "no log line at INFO: {created:?}");
    let second = w.json(&["admin", "account", "create", "--email", "b@example.com"]);
    assert_eq!(
        stamped(second, "created_at", from),
        json!({"id": 2, "email": "b@example.com", "name": "", "plan": "free"})
    );

    assert_failed(
        &w.run(&["admin", "account", "create", "--email", "ops@example.com"]),
        "an account for ops@example.com already exists",
    );
    assert_usage(
        &w.run(&["admin", "account", "create", "--email", "not-an-address"]),
        "invalid value 'not-an-address' for '--email <EMAIL>': is not a valid e-mail address",
    );

    let listed = w.ok(&["admin", "account", "list"]).stdout;
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 4, "{listed}");
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["id", "email", "name", "plan", "created"]
    );
    assert!(
        lines[1].starts_with("     1  ops@example.com ") && lines[1].contains(" free "),
        "{listed}"
    );
    assert_eq!(lines[3], "2 account(s)");
    let listed = w.json(&["admin", "account", "list"]);
    let listed: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| stamped(a.clone(), "created_at", from))
        .collect();
    assert_eq!(
        listed,
        [
            json!({"id": 1, "email": "ops@example.com", "name": "", "plan": "free"}),
            json!({"id": 2, "email": "b@example.com", "name": "", "plan": "free"}),
        ]
    );

    let shown = w.json(&["admin", "account", "show", "--account", "ops@example.com"]);
    let renews_at = shown["renews_at"].as_i64().unwrap();
    assert!(renews_at > now() + 27 * 86_400, "{shown}");
    let mut shown = shown;
    shown["account"] = stamped(shown["account"].clone(), "created_at", from);
    shown.as_object_mut().unwrap().remove("renews_at");
    assert_eq!(
        shown,
        json!({
            "account": {"id": 1, "email": "ops@example.com", "name": "", "plan": "free"},
            "plan": {"id": "free", "name": "Free"},
            "status": "active",
            "cancel_at_period_end": false,
            "meters": {
                "conversations": {"used": 0, "limit": 100, "over_limit": 0},
                "pages": {"used": 0, "limit": 15, "over_limit": 0},
                "documents": {"used": 0, "limit": 4, "over_limit": 0},
                "leads": {"used": 0, "limit": 3, "over_limit": 0},
                "widgets": {"used": 0, "limit": 1, "over_limit": 0},
            },
            "billing": {"customer": "", "subscription": ""},
        })
    );
    let shown = w.ok(&["admin", "account", "show", "--email", "ops@example.com"]);
    let lines: Vec<&str> = shown.stdout.lines().collect();
    assert_eq!(lines.len(), 8, "{shown:?}");
    assert_eq!(lines[0], "account       ops@example.com (1)");
    assert_eq!(lines[1], "plan          Free (active)");
    assert!(lines[2].starts_with("cycle         renews "), "{shown:?}");
    assert_eq!(
        lines[3..],
        [
            "conversations 0 of 100",
            "pages         0 of 15 (0 over the limit)",
            "documents     0 of 4 (0 over the limit)",
            "leads         0 of 3 (0 locked)",
            "widgets       0 of 1",
        ]
    );
}

on_both_databases!(
    operators_set_an_accounts_usage_by_hand,
    set_an_accounts_usage_by_hand
);
async fn set_an_accounts_usage_by_hand(w: Workdir) {
    w.ok(&["admin", "account", "create", "--email", "ops@example.com"]);
    let set = w.ok(&[
        "admin",
        "usage",
        "set",
        "--account",
        "ops@example.com",
        "--used",
        "42",
    ]);
    assert!(
        set.stdout
            .starts_with("ops@example.com has used 42 conversations this cycle (renews "),
        "{set:?}"
    );
    assert_eq!(set.stdout.lines().count(), 1, "{set:?}");
    let set = w.json(&[
        "admin",
        "usage",
        "set",
        "--account",
        "ops@example.com",
        "--used",
        "7",
    ]);
    assert!(set["renews_at"].as_i64().unwrap() > now(), "{set}");
    assert_eq!(set["email"], "ops@example.com");
    assert_eq!(set["used"], 7);
    assert_eq!(set.as_object().unwrap().len(), 3, "{set}");

    assert_usage(
        &w.run(&[
            "admin",
            "usage",
            "set",
            "--account",
            "ops@example.com",
            "--used=-1",
        ]),
        "invalid value '-1' for '--used <USED>': -1 is not in 0..=1000000000",
    );
    assert_failed(
        &w.run(&[
            "admin",
            "usage",
            "set",
            "--account",
            "nobody@example.com",
            "--used",
            "1",
        ]),
        "no account for nobody@example.com",
    );
}

on_both_databases!(
    operators_edit_plans_and_move_accounts_between_them,
    edit_plans_and_move_accounts_between_them
);
async fn edit_plans_and_move_accounts_between_them(w: Workdir) {
    let listed = w.ok(&["admin", "plan", "list"]).stdout;
    let row = |listed: &str, id: &str| -> Vec<String> {
        let line = listed.lines().find(|l| l.starts_with(&format!("{id} ")));
        line.unwrap()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        row(&listed, "free"),
        ["free", "Free", "0.00", "100", "15", "4", "3", "1"]
    );
    assert_eq!(
        row(&listed, "enterprise"),
        [
            "enterprise",
            "Enterprise",
            "custom",
            "unlimited",
            "unlimited",
            "unlimited",
            "unlimited",
            "unlimited",
            "lead_form_fallback,follow_up_email,lead_webhook,auto_rescrape,white_label,api_keys"
        ]
    );
    let plans = w.json(&["admin", "plan", "list"]);
    let ids: Vec<&str> = plans
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["free", "basic", "standard", "enterprise"]);
    let off = json!({"api_keys": false, "auto_rescrape": false, "follow_up_email": false,
        "lead_form_fallback": false, "lead_webhook": false, "white_label": false});
    assert_eq!(
        plans[0],
        json!({"id": "free", "name": "Free", "position": 0, "price_cents": 0,
            "conversations": 100, "pages": 15, "documents": 4, "leads": 3, "widgets": 1,
            "features": off, "price_monthly": "", "price_yearly": ""})
    );
    assert_eq!(plans[3]["price_cents"], json!(null));
    assert_eq!(plans[3]["conversations"], json!(null));

    // Edit a plan: limits, a feature flag, the provider's price.
    let saved = w.ok(&[
        "admin",
        "plan",
        "set",
        "basic",
        "--conversations",
        "2000",
        "--leads",
        "unlimited",
        "--feature",
        "white_label=on",
        "--price-monthly",
        "price_123",
    ]);
    assert_eq!(saved.stdout, "saved plan basic\n");
    assert_eq!(
        row(&w.ok(&["admin", "plan", "list"]).stdout, "basic"),
        [
            "basic",
            "Basic",
            "20.00",
            "2000",
            "30",
            "10",
            "unlimited",
            "1",
            "lead_form_fallback,follow_up_email,lead_webhook,auto_rescrape,white_label"
        ]
    );
    let saved = w.json(&["admin", "plan", "set", "basic", "--pages", "31"]);
    assert_eq!(
        saved,
        json!({"id": "basic", "name": "Basic", "position": 1, "price_cents": 2000,
            "conversations": 2000, "pages": 31, "documents": 10, "leads": null, "widgets": 1,
            "features": {"api_keys": false, "auto_rescrape": true, "follow_up_email": true,
                "lead_form_fallback": true, "lead_webhook": true, "white_label": true},
            "price_monthly": "price_123", "price_yearly": ""})
    );
    for (args, exit) in [
        (vec!["admin", "plan", "set", "basic", "--pages", "-5"], 2),
        (
            vec!["admin", "plan", "set", "basic", "--feature", "teleport=on"],
            2,
        ),
        (
            vec!["admin", "plan", "set", "basic", "--feature", "white_label"],
            2,
        ),
        (
            vec!["admin", "plan", "set", "basic", "--price-yearly", "a b"],
            2,
        ),
        (
            vec!["admin", "plan", "create", "Gold Plan!", "--name", "Gold"],
            2,
        ),
        (vec!["admin", "plan", "set", "gold", "--pages", "5"], 1),
        (
            vec!["admin", "plan", "create", "basic", "--name", "Again"],
            1,
        ),
    ] {
        let run = w.run(&args);
        assert_eq!(run.code, exit, "{args:?}: {run:?}");
        assert_eq!(run.stdout, "", "{args:?}: {run:?}");
    }
    let created = w.ok(&[
        "admin", "plan", "create", "gold", "--name", "Gold", "--from", "standard",
    ]);
    assert_eq!(created.stdout, "created plan gold (Gold)\n");
    let platinum = w.json(&["admin", "plan", "create", "platinum", "--name", "Platinum"]);
    assert_eq!(
        (
            &platinum["id"],
            &platinum["position"],
            &platinum["conversations"]
        ),
        (&json!("platinum"), &json!(5), &json!(100))
    );

    // Accounts: put one on the new plan, see it.
    w.ok(&["admin", "account", "create", "--email", "ops@example.com"]);
    let moved = w.ok(&[
        "admin",
        "account",
        "set-plan",
        "--account",
        "ops@example.com",
        "--plan",
        "gold",
    ]);
    assert_eq!(moved.stdout, "ops@example.com is on the gold plan\n");
    let moved = w.json(&[
        "admin",
        "account",
        "set-plan",
        "--email",
        "ops@example.com",
        "--plan",
        "gold",
    ]);
    assert_eq!(
        (&moved["email"], &moved["plan"]),
        (&json!("ops@example.com"), &json!("gold"))
    );
    let shown = w.ok(&["admin", "account", "show", "--account", "ops@example.com"]);
    assert!(
        shown.stdout.contains("plan          Gold (active)\n"),
        "{shown:?}"
    );
    assert!(
        shown.stdout.contains("conversations 0 of 5000\n"),
        "{shown:?}"
    );
    assert!(
        shown
            .stdout
            .contains("leads         0 of unlimited (0 locked)\n"),
        "{shown:?}"
    );
    assert_failed(
        &w.run(&[
            "admin",
            "account",
            "set-plan",
            "--account",
            "ops@example.com",
            "--plan",
            "diamond",
        ]),
        "there is no plan \"diamond\" (see `witzo admin plan list`)",
    );
    let still = w.json(&["admin", "account", "show", "--email", "ops@example.com"]);
    assert_eq!(still["plan"], json!({"id": "gold", "name": "Gold"}));
}

on_both_databases!(operators_create_and_list_widgets, create_and_list_widgets);
async fn create_and_list_widgets(w: Workdir) {
    let from = now();
    w.ok(&["admin", "account", "create", "--email", "ops@example.com"]);
    let created = w.ok(&[
        "admin",
        "widget",
        "create",
        "--account",
        "ops@example.com",
        "--name",
        "Docs",
        "--domain",
        "docs.example.com",
        "--domain",
        "*.example.org",
    ]);
    let key = created.stdout.strip_suffix('\n').unwrap();
    assert!(
        key.starts_with("wk_") && key.len() == 35 && !key.contains('\n'),
        "{created:?}"
    );
    assert_eq!(created.stderr, "");
    let shop = [
        "admin",
        "widget",
        "create",
        "--account",
        "ops@example.com",
        "--name",
        "Shop",
        "--domain",
        "SHOP.example.com",
    ];
    // The Free plan's one widget is taken: refused, unless forced.
    let refused = w.run(&shop);
    assert_eq!(
        (refused.code, refused.stdout.as_str()),
        (1, ""),
        "{refused:?}"
    );
    assert!(
        refused.stderr.trim_end().ends_with(
            " ERROR Your Free plan allows 1 widget; 1 is in use. The Standard plan allows more. Give --force to create it anyway."
        ),
        "{refused:?}"
    );
    let forced: Vec<&str> = shop.iter().copied().chain(["--force"]).collect();
    let second = w.json(&forced);
    let second_key = second["key"].as_str().unwrap().to_owned();
    assert!(second_key.starts_with("wk_") && second_key.len() == 35);
    assert_eq!(
        stamped(second, "created_at", from),
        json!({"id": 2, "name": "Shop", "key": second_key, "active": true,
            "allowed_domains": ["shop.example.com"]})
    );

    assert_usage(
        &w.run(&[
            "admin",
            "widget",
            "create",
            "--account",
            "ops@example.com",
            "--name",
            "X",
            "--domain",
            "ftp://x.example",
        ]),
        "for '--domain <DOMAINS>'",
    );
    assert_failed(
        &w.run(&[
            "admin",
            "widget",
            "create",
            "--account",
            "nobody@example.com",
            "--name",
            "X",
        ]),
        "no account for nobody@example.com",
    );

    let listed = w.ok(&["admin", "widget", "list", "--account", "ops@example.com"]);
    let lines: Vec<&str> = listed.stdout.lines().collect();
    assert_eq!(
        lines
            .iter()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .collect::<Vec<_>>(),
        [
            vec!["1", key, "on", "Docs", "docs.example.com,*.example.org"],
            vec!["2", &second_key, "on", "Shop", "shop.example.com"],
            vec!["2", "widget(s)"],
        ]
    );
    let listed = w.json(&["admin", "widget", "list", "--account", "ops@example.com"]);
    let listed: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|w| stamped(w.clone(), "created_at", from))
        .collect();
    assert_eq!(
        listed,
        [
            json!({"id": 1, "name": "Docs", "key": key, "active": true,
                "allowed_domains": ["docs.example.com", "*.example.org"]}),
            json!({"id": 2, "name": "Shop", "key": second_key, "active": true,
                "allowed_domains": ["shop.example.com"]}),
        ]
    );
}
