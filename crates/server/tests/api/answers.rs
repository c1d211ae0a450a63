//! What visitors get from the default, offline answerer on a small site:
//! the sentence that answers, an honest refusal for what the site does not
//! cover, small talk without sources, and follow-ups.

use crate::helpers::views::ChatReply;
use crate::helpers::{
    SHOP, TrainedShop, trained_coffee_shop, trained_widget_with_lead_form, visitor,
};

async fn trained_shop() -> TrainedShop {
    trained_coffee_shop(&["shop.example.com"]).await
}

/// A new visitor's question to the shop's widget, from the shop's pages.
async fn ask(shop: &TrainedShop, message: &str) -> ChatReply {
    shop.app
        .chat(&shop.widget, message)
        .from(SHOP)
        .reply()
        .await
}

/// The paths of the pages an answer cites.
fn source_paths(shop: &TrainedShop, reply: &ChatReply) -> Vec<String> {
    reply
        .sources
        .iter()
        .map(|s| {
            s.url
                .as_deref()
                .unwrap_or_default()
                .replace(&shop.origin, "")
        })
        .collect()
}

#[tokio::test]
async fn answers_quote_the_sentence_that_holds_the_fact_and_refuse_what_the_site_does_not_cover() {
    let shop = trained_shop().await;

    // A price question gets the table row with its header, not the
    // sentence that repeats the question's words.
    let price = ask(&shop, "How much is a cappuccino?").await;
    assert_eq!(
        price.answer, "Drink: Cappuccino · Price: $4.20 [1]",
        "{price:?}"
    );
    assert_eq!(source_paths(&shop, &price), ["/menu"]);

    // The right page, and the sentence on it that answers.
    let founder = ask(&shop, "Who founded Bean There?").await;
    assert!(founder.answer.contains("Maria Lopez"), "{founder:?}");
    assert_eq!(source_paths(&shop, &founder), ["/about"]);

    // A list item keeps its lead-in.
    let milk = ask(&shop, "Which plant milks do you offer?").await;
    assert!(
        milk.answer
            .starts_with("We offer these plant milks at no extra cost: Oat milk"),
        "{milk:?}"
    );

    // Off-topic, though "Canada" is on the shipping page: refused.
    let capital = ask(&shop, "What is the capital of Canada?").await;
    assert_eq!(
        source_paths(&shop, &capital),
        Vec::<String>::new(),
        "{capital:?}"
    );
    assert_eq!(
        capital.answer,
        "I couldn't find that in this website's content, and I won't guess."
    );
    // No lead form on this widget: nothing is promised, nothing opens.
    assert!(!capital.offer_lead_form);

    // On topic, but not on the site: refused too.
    let tea = ask(&shop, "Do you sell matcha tea?").await;
    assert_eq!(source_paths(&shop, &tea), Vec::<String>::new(), "{tea:?}");
}

#[tokio::test]
async fn small_talk_gets_a_short_reply_from_the_widget_settings_without_sources() {
    let shop = trained_shop().await;
    let hi = ask(&shop, "hi").await;
    assert_eq!(hi.answer, "Hi! Ask me anything about this website.");
    assert!(hi.sources.is_empty(), "{hi:?}");
    assert!(!hi.offer_lead_form);
    let bot = ask(&shop, "Are you a bot?").await;
    assert_eq!(
        bot.answer,
        "I'm an automated assistant for Shop chat. I answer questions using this website's content."
    );
    let thanks = ask(&shop, "thanks!").await;
    assert_eq!(
        thanks.answer,
        "You're welcome! Is there anything else I can help with?"
    );
    let human = ask(&shop, "Can I talk to a human?").await;
    assert!(!human.answer.contains("form"), "{human:?}");
    assert!(human.sources.is_empty(), "{human:?}");
}

#[tokio::test]
async fn a_follow_up_is_answered_with_the_previous_question_in_mind() {
    let shop = trained_shop().await;
    let visitor = visitor();
    let first = shop
        .app
        .chat(&shop.widget, "Do you serve cold brew?")
        .from(SHOP)
        .visitor(&visitor)
        .reply()
        .await;
    assert_eq!(source_paths(&shop, &first), ["/menu"], "{first:?}");
    let follow_up = shop
        .app
        .chat(&shop.widget, "And how much is it?")
        .from(SHOP)
        .visitor(&visitor)
        .conversation(&first.conversation_id)
        .reply()
        .await;
    assert!(follow_up.answer.contains("$4.80"), "{follow_up:?}");
    // The same words without the earlier question are not enough to answer.
    let alone = ask(&shop, "And how much is it?").await;
    assert_eq!(
        source_paths(&shop, &alone),
        Vec::<String>::new(),
        "{alone:?}"
    );
}

#[tokio::test]
async fn a_refusal_offers_the_lead_form_only_when_the_widget_has_one() {
    let (app, widget) = trained_widget_with_lead_form(&["shop.example.com"]).await;
    let ask = |message: &str| app.chat(&widget, message).from(SHOP).reply();
    let reply = ask("What is the capital of Canada?").await;
    assert!(reply.sources.is_empty(), "{reply:?}");
    assert!(reply.offer_lead_form);
    assert!(
        reply
            .answer
            .ends_with("Leave your contact details in the form and someone will get back to you."),
        "{reply:?}"
    );
    // An answer with sources offers nothing.
    let priced = ask("How much is an espresso?").await;
    assert!(priced.answer.contains("$3.00"), "{priced:?}");
    assert!(!priced.offer_lead_form);
    // A greeting has no sources either, but opens nothing.
    let hi = ask("hello").await;
    assert!(hi.sources.is_empty(), "{hi:?}");
    assert!(!hi.offer_lead_form);
    // Asking for a person is answered with the form.
    let human = ask("Can I speak to a real person?").await;
    assert!(human.offer_lead_form);
    assert!(human.answer.contains("in the form"), "{human:?}");
}
