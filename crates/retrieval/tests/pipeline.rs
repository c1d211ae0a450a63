//! Chunk → index → search → extractive answer, on a small shop website.

use witzo_retrieval::extractive::{self, ExtractiveAnswer, Passage};
use witzo_retrieval::{Chunk, LexicalIndex, Source, chunk};

struct Page {
    title: &'static str,
    url: &'static str,
    text: &'static str,
}

const PAGES: [Page; 3] = [
    Page {
        title: "Opening hours",
        url: "https://shop.example/hours",
        text: "# Opening hours\n\n\
               Our shop in Graz opens at 9 am from Monday to Friday and closes at 6 pm.\n\n\
               ## Holidays\n\n\
               - We are closed on public holidays.\n\
               - On 24 December we close at noon.",
    },
    Page {
        title: "Prices",
        url: "https://shop.example/prices",
        text: "# Prices\n\n\
               A loaf of sourdough bread costs 4.50 euros. Croissants cost 1.20 euros each. \
               All prices include VAT.",
    },
    Page {
        title: "Shipping",
        url: "https://shop.example/shipping",
        text: "# Shipping\n\n\
               We ship our bread and pastries within Austria. \
               Orders placed before noon are shipped the same day. \
               Delivery abroad is not possible.",
    },
];

struct Site {
    chunks: Vec<(usize, Chunk)>,
    index: LexicalIndex,
}

fn site() -> Site {
    let chunks: Vec<(usize, Chunk)> = PAGES
        .iter()
        .enumerate()
        .flat_map(|(page, p)| chunk(p.title, p.text).into_iter().map(move |c| (page, c)))
        .collect();
    let index = LexicalIndex::build(
        chunks
            .iter()
            .enumerate()
            .map(|(i, (_, c))| (i as u32, c.search_text())),
    );
    Site { chunks, index }
}

impl Site {
    fn passages(&self, question: &str) -> Vec<Passage> {
        self.index
            .search(question, 3)
            .into_iter()
            .filter_map(|(id, score)| {
                let (page, chunk) = self.chunks.get(id as usize)?;
                let page = PAGES.get(*page)?;
                Some(Passage {
                    title: page.title.to_owned(),
                    url: Some(page.url.to_owned()),
                    heading_path: chunk.heading_path.clone(),
                    text: chunk.text.clone(),
                    score,
                })
            })
            .collect()
    }
}

#[test]
fn each_page_is_one_chunk_with_its_heading_path() {
    let site = site();
    let paths: Vec<(usize, Vec<String>, usize)> = site
        .chunks
        .iter()
        .map(|(page, c)| (*page, c.heading_path.clone(), c.ordinal))
        .collect();
    assert_eq!(
        paths,
        [
            (0, vec!["Opening hours".to_owned()], 0),
            (1, vec!["Prices".to_owned()], 0),
            (2, vec!["Shipping".to_owned()], 0),
        ]
    );
    assert_eq!(
        site.chunks[0].1.text,
        "Our shop in Graz opens at 9 am from Monday to Friday and closes at 6 pm.\n\n\
         ## Holidays\n\n\
         - We are closed on public holidays.\n\
         - On 24 December we close at noon."
    );
}

#[test]
fn when_do_you_open_finds_and_quotes_the_opening_hours() {
    let site = site();
    let passages = site.passages("When do you open?");
    assert_eq!(
        passages
            .iter()
            .map(|p| p.title.as_str())
            .collect::<Vec<_>>(),
        ["Opening hours"]
    );
    assert_eq!(
        extractive::answer("When do you open?", &passages, 3),
        Some(ExtractiveAnswer {
            text: "Our shop in Graz opens at 9 am from Monday to Friday and closes at 6 pm. [1]"
                .to_owned(),
            sources: vec![Source {
                title: "Opening hours".to_owned(),
                url: Some("https://shop.example/hours".to_owned()),
            }],
        })
    );
}

#[test]
fn shipping_matches_ship_through_stemming() {
    let site = site();
    let passages = site.passages("Do you offer shipping?");
    assert_eq!(
        passages
            .iter()
            .map(|p| p.title.as_str())
            .collect::<Vec<_>>(),
        ["Shipping"]
    );
    let answer = extractive::answer("Do you offer shipping?", &passages, 1);
    assert_eq!(
        answer.map(|a| a.text),
        Some("We ship our bread and pastries within Austria. [1]".to_owned())
    );
}

#[test]
fn prices_question_cites_the_price_page_and_unknowns_get_no_answer() {
    let site = site();
    let passages = site.passages("How much does the sourdough bread cost?");
    assert_eq!(passages.first().map(|p| p.title.as_str()), Some("Prices"));
    let answer = extractive::answer("How much does the sourdough bread cost?", &passages, 1);
    assert_eq!(
        answer.map(|a| (a.text, a.sources.len())),
        Some((
            "A loaf of sourdough bread costs 4.50 euros. [1]".to_owned(),
            1
        ))
    );
    let none = site.passages("Do you repair bicycles?");
    assert!(none.is_empty());
    assert_eq!(
        extractive::answer("Do you repair bicycles?", &none, 3),
        None
    );
}
