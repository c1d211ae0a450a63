//! Small talk and questions about the assistant itself ("hi", "thanks",
//! "are you a bot?", "can I talk to a human?"): recognised without
//! retrieval and answered from the widget's own settings, never with
//! sources.

/// What kind of small talk a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallTalk {
    Greeting,
    Thanks,
    Goodbye,
    /// "Who are you?", "Are you a bot?", "Am I talking to a real person?"
    Identity,
    /// "Can I talk to a human?"
    Human,
}

/// What a small-talk reply is built from: the widget's own settings.
#[derive(Debug, Clone, Default)]
pub struct Persona {
    /// The assistant's name as the visitor sees it (the widget's title).
    pub name: String,
    /// The owner's welcome message.
    pub welcome: String,
    /// Whether the widget can open a lead form for the visitor.
    pub lead_form: bool,
}

/// Words that make up greetings, thanks and goodbyes (any language the
/// widget offers), and fillers that may accompany them.
const GREETING: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "howdy",
    "yo",
    "greetings",
    "morning",
    "afternoon",
    "evening",
    "hallo",
    "servus",
    "moin",
    "bonjour",
    "salut",
    "hola",
    "buenos",
    "buenas",
    "dias",
    "días",
    "tardes",
    "guten",
    "tag",
    "abend",
];
const THANKS: &[&str] = &[
    "thanks",
    "thank",
    "thx",
    "ty",
    "thnx",
    "tysm",
    "cheers",
    "appreciate",
    "appreciated",
    "danke",
    "merci",
    "gracias",
    "great",
    "perfect",
    "awesome",
    "helpful",
];
const GOODBYE: &[&str] = &[
    "bye",
    "goodbye",
    "later",
    "cya",
    "farewell",
    "night",
    "tschüss",
    "tschüs",
    "wiedersehen",
    "revoir",
    "adiós",
    "adios",
    "chao",
];
const FILLER: &[&str] = &[
    "a", "again", "all", "and", "au", "auf", "buen", "dear", "everyone", "folks", "for", "good",
    "guys", "have", "help", "it", "lot", "much", "nice", "ok", "okay", "oh", "so", "that", "the",
    "there", "this", "today", "very", "you", "your", "see", "take", "care", "day", "bien", "sehr",
    "vielen", "muchas", "beaucoup", "mucho", "gut", "bonne", "journée", "schönen", "tag",
];
/// What the assistant may be asked to be.
const BEINGS: &[&str] = &[
    "bot",
    "robot",
    "ai",
    "human",
    "person",
    "chatbot",
    "machine",
    "computer",
    "assistant",
];
const CONTACT_VERBS: &[&str] = &["talk", "speak", "chat", "connect", "transfer", "reach"];
const PEOPLE: &[&str] = &[
    "human",
    "person",
    "agent",
    "someone",
    "somebody",
    "representative",
    "staff",
    "people",
    "operator",
    "employee",
];

fn words(message: &str) -> Vec<String> {
    message
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\'').to_owned())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Recognises small talk; `None` for anything that asks about something
/// else ("hi, how much is a tune-up?" is a question, not a greeting).
pub fn small_talk(message: &str) -> Option<SmallTalk> {
    let words = words(message);
    if words.is_empty() || words.len() > 10 {
        return None;
    }
    let text = words.join(" ");
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    if has(CONTACT_VERBS) && has(PEOPLE) && words.len() <= 9 {
        return Some(SmallTalk::Human);
    }
    if is_identity(&words, &text) {
        return Some(SmallTalk::Identity);
    }
    if is_how_are_you(&text) {
        return Some(SmallTalk::Greeting);
    }
    let only_courtesy = words.iter().all(|w| {
        [GREETING, THANKS, GOODBYE, FILLER]
            .iter()
            .any(|list| list.contains(&w.as_str()))
    });
    if !only_courtesy {
        return None;
    }
    if has(THANKS) {
        Some(SmallTalk::Thanks)
    } else if has(GOODBYE) || text == "see you" || text.starts_with("take care") {
        Some(SmallTalk::Goodbye)
    } else if has(GREETING) || text == "good day" {
        Some(SmallTalk::Greeting)
    } else {
        None
    }
}

/// "How are you?", "How's it going?", "Nice to meet you", alone or after
/// a greeting.
fn is_how_are_you(text: &str) -> bool {
    const ASKS: &[&str] = &[
        "how are you",
        "how are you doing",
        "how are you today",
        "how are you doing today",
        "how's it going",
        "hows it going",
        "how is it going",
        "how do you do",
        "nice to meet you",
        "what's up",
        "whats up",
        "wie geht's",
        "wie geht es dir",
        "comment ça va",
        "ça va",
        "qué tal",
        "cómo estás",
    ];
    let rest = text
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .split_once(' ')
        .filter(|(first, _)| GREETING.contains(first))
        .map_or(text, |(_, rest)| rest);
    ASKS.iter().any(|ask| text == *ask || rest == *ask)
}

/// "Who are you?", "What are you?", "Is this an AI?", "Am I chatting
/// with a real person?", "What's your name?", "Wer bist du?"
fn is_identity(words: &[String], text: &str) -> bool {
    const ASKS: &[&str] = &[
        "who are you",
        "what are you",
        "who is this",
        "are you real",
        "who made you",
        "how old are you",
        "who built you",
        "who created you",
        "what can you do",
        "what do you do",
        "what is this",
        "who am i talking",
        "who am i chatting",
        "who am i speaking",
        "what is your name",
        "what's your name",
        "whats your name",
        "wer bist du",
        "wer sind sie",
        "qui es tu",
        "qui êtes vous",
        "quién eres",
        "quien eres",
    ];
    let starts = |prefix: &str| text == prefix || text.starts_with(&format!("{prefix} "));
    if words.len() <= 6 && ASKS.iter().any(|ask| starts(ask)) {
        return true;
    }
    let opener = ["are you", "is this", "am i", "r u", "are u", "bist du"]
        .iter()
        .any(|o| starts(o));
    opener && words.len() <= 8 && words.iter().any(|w| BEINGS.contains(&w.as_str()))
}

fn primary(language: &str) -> &str {
    language.split(['-', '_']).next().unwrap_or_default()
}

/// A short, friendly reply in the widget's language, from its settings.
pub fn reply(kind: SmallTalk, persona: &Persona, language: &str) -> String {
    let name = persona.name.trim();
    let welcome = persona.welcome.trim();
    match (primary(language), kind) {
        ("de", SmallTalk::Greeting) => or_default(welcome, "Hallo! Wie kann ich helfen?"),
        ("de", SmallTalk::Thanks) => "Gern geschehen! Kann ich sonst noch helfen?".to_owned(),
        ("de", SmallTalk::Goodbye) => "Auf Wiedersehen und danke für Ihren Besuch!".to_owned(),
        ("de", SmallTalk::Identity) => format!(
            "Ich bin ein automatischer Assistent{}. Ich beantworte Fragen mit den Inhalten dieser Website.",
            for_name(name, " für ")
        ),
        ("de", SmallTalk::Human) if persona.lead_form => {
            "Ich bin ein automatischer Assistent. Hinterlassen Sie im Formular Ihre Kontaktdaten, dann meldet sich jemand aus dem Team bei Ihnen.".to_owned()
        }
        ("de", SmallTalk::Human) => {
            "Ich bin ein automatischer Assistent und kann Sie nicht direkt verbinden. Auf der Kontaktseite dieser Website steht, wie Sie das Team erreichen.".to_owned()
        }
        ("fr", SmallTalk::Greeting) => {
            or_default(welcome, "Bonjour ! Comment puis-je vous aider ?")
        }
        ("fr", SmallTalk::Thanks) => {
            "Avec plaisir ! Puis-je vous aider pour autre chose ?".to_owned()
        }
        ("fr", SmallTalk::Goodbye) => "Au revoir, et merci de votre visite !".to_owned(),
        ("fr", SmallTalk::Identity) => format!(
            "Je suis un assistant automatique{}. Je réponds aux questions à partir du contenu de ce site.",
            for_name(name, " pour ")
        ),
        ("fr", SmallTalk::Human) if persona.lead_form => {
            "Je suis un assistant automatique. Laissez vos coordonnées dans le formulaire et quelqu'un de l'équipe vous recontactera.".to_owned()
        }
        ("fr", SmallTalk::Human) => {
            "Je suis un assistant automatique et ne peux pas vous mettre en relation directement. La page de contact de ce site indique comment joindre l'équipe.".to_owned()
        }
        ("es", SmallTalk::Greeting) => or_default(welcome, "¡Hola! ¿En qué puedo ayudarle?"),
        ("es", SmallTalk::Thanks) => "¡De nada! ¿Puedo ayudarle con algo más?".to_owned(),
        ("es", SmallTalk::Goodbye) => "¡Adiós, y gracias por su visita!".to_owned(),
        ("es", SmallTalk::Identity) => format!(
            "Soy un asistente automático{}. Respondo preguntas con el contenido de este sitio web.",
            for_name(name, " de ")
        ),
        ("es", SmallTalk::Human) if persona.lead_form => {
            "Soy un asistente automático. Deje sus datos de contacto en el formulario y alguien del equipo se pondrá en contacto con usted.".to_owned()
        }
        ("es", SmallTalk::Human) => {
            "Soy un asistente automático y no puedo ponerle en contacto directamente. La página de contacto de este sitio indica cómo llegar al equipo.".to_owned()
        }
        (_, SmallTalk::Greeting) => or_default(welcome, "Hello! How can I help you today?"),
        (_, SmallTalk::Thanks) => "You're welcome! Is there anything else I can help with?".to_owned(),
        (_, SmallTalk::Goodbye) => "Goodbye, and thanks for stopping by!".to_owned(),
        (_, SmallTalk::Identity) => format!(
            "I'm an automated assistant{}. I answer questions using this website's content.",
            for_name(name, " for ")
        ),
        (_, SmallTalk::Human) if persona.lead_form => {
            "I'm an automated assistant. Leave your contact details in the form and someone from the team will get back to you.".to_owned()
        }
        (_, SmallTalk::Human) => {
            "I'm an automated assistant, so I can't connect you directly. This website's contact page lists how to reach the team.".to_owned()
        }
    }
}

/// " for Linden Dental", or nothing without a name.
fn for_name(name: &str, preposition: &str) -> String {
    if name.is_empty() {
        String::new()
    } else {
        format!("{preposition}{name}")
    }
}

fn or_default(value: &str, default: &str) -> String {
    if value.is_empty() { default } else { value }.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_greetings_thanks_goodbyes_and_questions_about_the_assistant() {
        let cases = [
            ("hi", SmallTalk::Greeting),
            ("Hello!", SmallTalk::Greeting),
            ("hey there, good afternoon", SmallTalk::Greeting),
            ("Good evening", SmallTalk::Greeting),
            ("good morning", SmallTalk::Greeting),
            ("Hallo", SmallTalk::Greeting),
            ("thanks!", SmallTalk::Thanks),
            ("Cheers, thanks", SmallTalk::Thanks),
            ("thank you so much", SmallTalk::Thanks),
            ("bye", SmallTalk::Goodbye),
            ("ok bye!", SmallTalk::Goodbye),
            ("See you later", SmallTalk::Goodbye),
            ("who are you?", SmallTalk::Identity),
            ("What are you?", SmallTalk::Identity),
            ("are you a bot?", SmallTalk::Identity),
            ("Is this an AI?", SmallTalk::Identity),
            ("Am I chatting with a real person?", SmallTalk::Identity),
            ("Who am I talking to?", SmallTalk::Identity),
            ("Wer bist du?", SmallTalk::Identity),
            ("What's your name?", SmallTalk::Identity),
            ("What can you do?", SmallTalk::Identity),
            ("How old are you?", SmallTalk::Identity),
            ("How are you?", SmallTalk::Greeting),
            ("hi, how are you doing today?", SmallTalk::Greeting),
            ("Nice to meet you", SmallTalk::Greeting),
            ("Good night", SmallTalk::Goodbye),
            ("great, thanks a lot", SmallTalk::Thanks),
            ("thx", SmallTalk::Thanks),
            ("Can I talk to a human?", SmallTalk::Human),
            (
                "I want to speak to someone from your staff",
                SmallTalk::Human,
            ),
        ];
        for (message, kind) in cases {
            assert_eq!(small_talk(message), Some(kind), "{message}");
        }
    }

    #[test]
    fn a_question_wrapped_in_a_greeting_is_not_small_talk() {
        for message in [
            "hi, how much is a tune-up?",
            "Thanks, and when do you open on Saturday?",
            "Is this bike available in red?",
            "How are your prices compared to others?",
            "What can you do about a flat tire?",
            "Who wrote the novel 1984?",
            "What are your winter opening hours?",
            "Are you open on Sundays?",
            "What is the capital of Vermont?",
            "Good morning, do you repair e-bikes?",
            "",
            "?!",
        ] {
            assert_eq!(small_talk(message), None, "{message}");
        }
    }

    #[test]
    fn replies_come_from_the_widgets_settings_in_its_language() {
        let persona = Persona {
            name: "Linden Dental".to_owned(),
            welcome: "Hi! Ask me about appointments.".to_owned(),
            lead_form: false,
        };
        assert_eq!(
            reply(SmallTalk::Greeting, &persona, "en"),
            "Hi! Ask me about appointments."
        );
        assert!(
            reply(SmallTalk::Identity, &persona, "en")
                .starts_with("I'm an automated assistant for Linden Dental.")
        );
        assert!(reply(SmallTalk::Identity, &persona, "de-AT").contains("für Linden Dental"));
        let human = reply(SmallTalk::Human, &persona, "en");
        assert!(!human.contains("form"), "no form to promise: {human}");
        let with_form = Persona {
            lead_form: true,
            ..persona
        };
        assert!(reply(SmallTalk::Human, &with_form, "en").contains("in the form"));
        assert_eq!(
            reply(SmallTalk::Greeting, &Persona::default(), "fr"),
            "Bonjour ! Comment puis-je vous aider ?"
        );
    }
}
