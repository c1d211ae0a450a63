//! What visitors get from the default, offline answerer on a small site:
//! the sentence that answers, an honest refusal for what the site does not
//! cover, small talk without sources, and follow-ups.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, visitor};
use crate::training::{Site, add_site, app_for, start_site, wait_job};

const SHOP: &str = "https://shop.example.com";

fn html(title: &str, main: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><title>{title} | Bean There</title></head><body>\
         <nav><ul><li><a href=\"/menu\">Menu</a></li><li><a href=\"/about\">About</a></li>\
         <li><a href=\"/shipping\">Shipping</a></li></ul></nav><main>{main}</main>\
         <footer>Bean There Coffee · 12 Main Street</footer></body></html>"
    )
}

/// A coffee shop: a menu with a price table, an about page, shipping.
fn coffee_shop() -> Site {
    let site = Site::default();
    site.set("/", &html("Home", "<h1>Bean There Coffee</h1><p>Specialty coffee roasted in small batches every week.</p>"));
    site.set(
        "/menu",
        &html(
            "Menu",
            "<h1>Menu</h1><p>Every coffee on our menu can also be made with decaf beans, free of charge.</p>\
             <h2>Drinks</h2><table><thead><tr><th>Drink</th><th>Price</th></tr></thead><tbody>\
             <tr><td>Espresso</td><td>$3.00</td></tr><tr><td>Cappuccino</td><td>$4.20</td></tr>\
             <tr><td>Cold brew</td><td>$4.80</td></tr></tbody></table>\
             <h2>Milk</h2><p>We offer these plant milks at no extra cost:</p><ul><li>Oat milk</li><li>Almond milk</li></ul>",
        ),
    );
    site.set(
        "/about",
        &html(
            "About us",
            "<h1>About us</h1><p>Our roastery sits in an old bakery. We buy green coffee directly from farms in Colombia and Ethiopia.</p>\
             <p>Bean There was founded in 2012 by Maria Lopez, a former barista champion.</p>",
        ),
    );
    site.set(
        "/shipping",
        &html(
            "Shipping",
            "<h1>Shipping</h1><p>We ship whole beans to the United States and Canada. Orders arrive within 3 to 5 business days.</p>",
        ),
    );
    site
}

struct Shop {
    app: TestApp,
    path: String,
    origin: String,
}

async fn trained_shop() -> Shop {
    let addr = start_site(coffee_shop()).await;
    let app = app_for(addr).await;
    let owner = app.sign_in("maria@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let id = widget["id"].as_i64().unwrap();
    let (_, job) = add_site(&app, &owner, id, &format!("http://{addr}/")).await;
    assert_eq!(wait_job(&app, &owner, job).await["status"], "succeeded");
    Shop {
        path: format!("/v1/chat?key={}", widget["key"].as_str().unwrap()),
        origin: format!("http://{addr}"),
        app,
    }
}

impl Shop {
    async fn ask(&self, message: &str, conversation: Option<&Value>) -> Value {
        let mut body = json!({"visitor_id": visitor(), "message": message});
        if let Some(previous) = conversation {
            body["visitor_id"] = previous["_visitor"].clone();
            body["conversation_id"] = previous["conversation_id"].clone();
        }
        let response = self
            .app
            .public(Method::POST, &self.path, Some(SHOP), Some(&body))
            .await;
        assert_eq!(response.status().as_u16(), 200);
        let mut reply: Value = response.json().await.unwrap();
        reply["_visitor"] = body["visitor_id"].clone();
        reply
    }

    fn source_paths(&self, reply: &Value) -> Vec<String> {
        reply["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                s["url"]
                    .as_str()
                    .unwrap_or_default()
                    .replace(&self.origin, "")
            })
            .collect()
    }
}

fn answer(reply: &Value) -> &str {
    reply["answer"].as_str().unwrap()
}

#[tokio::test]
async fn answers_quote_the_sentence_that_holds_the_fact_and_refuse_what_the_site_does_not_cover() {
    let shop = trained_shop().await;

    // A price question gets the table row with its header, not the
    // sentence that repeats the question's words.
    let price = shop.ask("How much is a cappuccino?", None).await;
    assert_eq!(
        answer(&price),
        "Drink: Cappuccino · Price: $4.20 [1]",
        "{price}"
    );
    assert_eq!(shop.source_paths(&price), ["/menu"]);

    // The right page, and the sentence on it that answers.
    let founder = shop.ask("Who founded Bean There?", None).await;
    assert!(answer(&founder).contains("Maria Lopez"), "{founder}");
    assert_eq!(shop.source_paths(&founder), ["/about"]);

    // A list item keeps its lead-in.
    let milk = shop.ask("Which plant milks do you offer?", None).await;
    assert!(
        answer(&milk).starts_with("We offer these plant milks at no extra cost: Oat milk"),
        "{milk}"
    );

    // Off-topic, though "Canada" is on the shipping page: refused.
    let capital = shop.ask("What is the capital of Canada?", None).await;
    assert_eq!(
        shop.source_paths(&capital),
        Vec::<String>::new(),
        "{capital}"
    );
    assert_eq!(
        answer(&capital),
        "I couldn't find that in this website's content, and I won't guess."
    );
    // No lead form on this widget: nothing is promised, nothing opens.
    assert_eq!(capital["offer_lead_form"], false);

    // On topic, but not on the site: refused too.
    let tea = shop.ask("Do you sell matcha tea?", None).await;
    assert_eq!(shop.source_paths(&tea), Vec::<String>::new(), "{tea}");
}

#[tokio::test]
async fn small_talk_gets_a_short_reply_from_the_widget_settings_without_sources() {
    let shop = trained_shop().await;
    let hi = shop.ask("hi", None).await;
    assert_eq!(answer(&hi), "Hi! Ask me anything about this website.");
    assert_eq!(hi["sources"], json!([]));
    assert_eq!(hi["offer_lead_form"], false);
    let bot = shop.ask("Are you a bot?", None).await;
    assert_eq!(
        answer(&bot),
        "I'm an automated assistant for Shop chat. I answer questions using this website's content."
    );
    let thanks = shop.ask("thanks!", None).await;
    assert_eq!(
        answer(&thanks),
        "You're welcome! Is there anything else I can help with?"
    );
    let human = shop.ask("Can I talk to a human?", None).await;
    assert!(!answer(&human).contains("form"), "{human}");
    assert_eq!(human["sources"], json!([]));
}

#[tokio::test]
async fn a_follow_up_is_answered_with_the_previous_question_in_mind() {
    let shop = trained_shop().await;
    let first = shop.ask("Do you serve cold brew?", None).await;
    assert_eq!(shop.source_paths(&first), ["/menu"], "{first}");
    let follow_up = shop.ask("And how much is it?", Some(&first)).await;
    assert!(answer(&follow_up).contains("$4.80"), "{follow_up}");
    // The same words without the earlier question are not enough to answer.
    let alone = shop.ask("And how much is it?", None).await;
    assert_eq!(shop.source_paths(&alone), Vec::<String>::new(), "{alone}");
}

/// A coffee-shop widget allowing `domains`, trained, with the lead form on.
pub async fn trained_widget_with_lead_form(domains: &[&str]) -> (TestApp, Value) {
    let addr = start_site(coffee_shop()).await;
    let app = app_for(addr).await;
    let owner = app.sign_in("maria@example.com").await;
    let widget = app.create_widget(&owner, domains).await;
    let id = widget["id"].as_i64().unwrap();
    let (_, job) = add_site(&app, &owner, id, &format!("http://{addr}/")).await;
    assert_eq!(wait_job(&app, &owner, job).await["status"], "succeeded");
    let settings = json!({"name": "Shop chat", "allowed_domains": domains,
        "settings": {"lead_form": {"enabled": true, "fields": ["name", "email"], "after_messages": 5}}});
    let updated = app
        .send_as(
            &owner,
            Method::PUT,
            &format!("/api/widgets/{id}"),
            Some(&settings),
        )
        .await;
    assert_eq!(updated.status().as_u16(), 200);
    (app, widget)
}

#[tokio::test]
async fn a_refusal_offers_the_lead_form_only_when_the_widget_has_one() {
    let (app, widget) = trained_widget_with_lead_form(&["shop.example.com"]).await;
    let path = format!("/v1/chat?key={}", widget["key"].as_str().unwrap());
    let ask = |message: &str| {
        let body = json!({"visitor_id": visitor(), "message": message});
        let (app, path) = (&app, path.clone());
        async move {
            app.public(Method::POST, &path, Some(SHOP), Some(&body))
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let reply = ask("What is the capital of Canada?").await;
    assert_eq!(reply["sources"], json!([]));
    assert_eq!(reply["offer_lead_form"], true);
    assert!(
        answer(&reply)
            .ends_with("Leave your contact details in the form and someone will get back to you."),
        "{reply}"
    );
    // An answer with sources offers nothing.
    let priced = ask("How much is an espresso?").await;
    assert!(answer(&priced).contains("$3.00"), "{priced}");
    assert_eq!(priced["offer_lead_form"], false);
    // A greeting has no sources either, but opens nothing.
    let hi = ask("hello").await;
    assert_eq!(hi["sources"], json!([]));
    assert_eq!(hi["offer_lead_form"], false);
    // Asking for a person is answered with the form.
    let human = ask("Can I speak to a real person?").await;
    assert_eq!(human["offer_lead_form"], true);
    assert!(answer(&human).contains("in the form"), "{human}");
}
