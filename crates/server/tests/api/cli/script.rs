//! An operator's shell script (create an account, a widget, train it on a
//! file, ask it) runs unchanged on SQLite and on PostgreSQL: each command
//! substitution captures a result and nothing else.

use super::{Run, Workdir, on_both_databases};

const SCRIPT: &str = r#"set -euo pipefail
witzo admin account create --email owner@example.com > /dev/null
KEY=$(witzo admin widget create --account owner@example.com --name Shop --domain shop.example.com)
case "$KEY" in wk_*) ;; *) echo "not a key: $KEY" >&2; exit 1 ;; esac
echo "key: ${#KEY} characters"
printf 'Opening hours\n\nOur shop opens at nine in the morning, Monday to Friday.\n' > faq.txt
witzo ingest --widget "$KEY" --file faq.txt
JOB=$(witzo ingest --widget "$KEY" --file faq.txt --json)
echo "json: $JOB"
ANSWER=$(witzo ask --widget "$KEY" "When does the shop open?")
echo "answer: $ANSWER"
LISTED=$(witzo admin widget list --account owner@example.com)
test "$(echo "$LISTED" | head -n 1 | awk '{print $2}')" = "$KEY"
echo "listed: $(echo "$LISTED" | tail -n 1)"
"#;

on_both_databases!(
    a_shell_script_creates_trains_and_asks_a_widget,
    create_train_and_ask
);
async fn create_train_and_ask(w: Workdir) {
    let run = Run::of(&mut w.shell(SCRIPT));
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "key: 35 characters\n\
         job 1 succeeded: 1 indexed, 0 unchanged, 0 skipped, 0 failed\n\
         json: {\"job\":2,\"status\":\"succeeded\",\"indexed\":1,\"unchanged\":0,\"skipped\":0,\"failed\":0,\"error\":null}\n\
         answer: Our shop opens at nine in the morning, Monday to Friday. [1]\n\
         [1] faq.txt\n\
         listed: 1 widget(s)\n",
        "{run:?}"
    );
}
