use super::*;

fn page(html: &str) -> HtmlPage {
    let url = Url::parse("https://example.com/dir/page.html").unwrap();
    extract_html(html.as_bytes(), &url, None)
}

#[test]
fn renders_headings_lists_and_paragraphs() {
    let p = page(
        "<html lang=en-GB><head><title> Our   Bakery </title></head><body>\
         <h1>Welcome</h1><p>Fresh  bread\n every <b>day</b>.</p>\
         <h2>Hours</h2><ul><li>Mon: 8-5</li><li>Tue: <a href=/tue>8-6</a></li></ul>\
         <h6>Small</h6><table><tr><td>Rye</td><td>3 EUR</td></tr></table></body></html>",
    );
    assert_eq!(p.title, "Our Bakery");
    assert_eq!(p.lang.as_deref(), Some("en-GB"));
    assert_eq!(
        p.text,
        "# Welcome\n\nFresh bread every day.\n\n## Hours\n\n- Mon: 8-5\n- Tue: 8-6\n\n\
         ###### Small\n\n- Rye · 3 EUR"
    );
}

#[test]
fn table_rows_keep_their_header_row() {
    let p = page(
        "<body><h2>Tune-ups</h2><table><caption>Prices</caption>\
         <thead><tr><th>Package</th><th>Includes</th><th>Price</th></tr></thead>\
         <tbody><tr><td>Basic</td><td><p>Gears and</p><p>brakes</p></td><td>$79</td></tr>\
         <tr><td>Pro</td><td></td><td>$129</td></tr></tbody></table>\
         <table><tr><th>Mon</th><td>8–5</td></tr></table><p>After.</p></body>",
    );
    assert_eq!(
        p.text,
        "## Tune-ups\n\nPrices\n\n- Package: Basic · Includes: Gears and brakes · Price: $79\n\
         - Package: Pro · Price: $129\n\n- Mon · 8–5\n\nAfter."
    );
}

#[test]
fn drops_boilerplate_and_hidden_elements() {
    let p = page(
        "<body><header><a href=/>Logo</a></header><nav>Home About</nav>\
         <div class='cookie-banner'>We use cookies</div><div id=gdpr-consent>Accept</div>\
         <div class='main-menu'>Menu links</div><ul class=breadcrumbs><li>Home</li></ul>\
         <section id=menu><h2>Our menu</h2><p>Pasta 9 EUR</p></section>\
         <p hidden>secret</p><p aria-hidden=true>icon</p><p style='display: none'>x</p>\
         <script>var a = 1;</script><style>p{}</style><noscript>enable js</noscript>\
         <form><input value=q><button>Search</button>Find</form>\
         <aside>Related</aside><iframe>frame</iframe><svg><text>svg</text></svg>\
         <p>Real content.</p><footer>© 2024</footer><div class=site-footer>Imprint</div></body>",
    );
    assert_eq!(p.text, "## Our menu\n\nPasta 9 EUR\n\nReal content.");
}

#[test]
fn prefers_main_then_articles() {
    let p = page(
        "<body><p>Outside</p><main><header><h1>Title</h1></header><p>Inside</p></main></body>",
    );
    assert_eq!(p.text, "# Title\n\nInside");
    let p = page(
        "<body><p>Outside</p><article><p>One</p><article><p>Nested</p></article></article>\
         <article><p>Two</p></article></body>",
    );
    assert_eq!(p.text, "One\n\nNested\n\nTwo");
    let p = page("<body><main hidden><p>Hidden main</p></main><p>Body text</p></body>");
    assert_eq!(p.text, "Body text");
}

#[test]
fn keeps_page_wrapping_forms_with_headings() {
    let p = page("<body><form id=form1><h1>Shop</h1><p>Open daily.</p></form></body>");
    assert_eq!(p.text, "# Shop\n\nOpen daily.");
}

#[test]
fn links_resolve_against_base_without_fragments() {
    let p = page(
        "<head><base href='/other/'><link rel='alternate canonical' href='canon#x'></head>\
         <body><a href='a.html#top'>a</a><a href='https://x.org/b'>b</a><a href='a.html'>dup</a>\
         <a href='mailto:x@y.z'>m</a><a href='javascript:void(0)'>j</a><a href='#only'>f</a>\
         <map><area href='/area'></map></body>",
    );
    let links: Vec<&str> = p.links.iter().map(Url::as_str).collect();
    assert_eq!(
        links,
        [
            "https://example.com/other/a.html",
            "https://x.org/b",
            "https://example.com/other/",
            "https://example.com/area"
        ]
    );
    assert_eq!(
        p.canonical.unwrap().as_str(),
        "https://example.com/other/canon"
    );
}

#[test]
fn robots_meta_and_refresh() {
    let p = page("<meta name=ROBOTS content='NOINDEX, follow'><p>x</p>");
    assert!(p.noindex && !p.nofollow);
    let p = page("<meta name=witzobot content=none><p>x</p>");
    assert!(p.noindex && p.nofollow);
    let p = page("<meta http-equiv=refresh content='0; URL=\"/moved\"'>");
    assert_eq!(p.links[0].as_str(), "https://example.com/moved");
    assert!(!p.noindex);
}

#[test]
fn title_fallbacks_and_svg_titles() {
    assert_eq!(
        page("<svg><title>icon</title></svg><h1>Head</h1>").title,
        "Head"
    );
    assert_eq!(
        page("<meta property=og:title content='OG'><h1>Head</h1>").title,
        "OG"
    );
}

#[test]
fn decodes_declared_charset() {
    let url = Url::parse("https://example.com/").unwrap();
    let bytes = b"<meta charset=iso-8859-1><p>Caf\xe9 cr\xe8me</p>";
    assert_eq!(extract_html(bytes, &url, None).text, "Caf\u{e9} cr\u{e8}me");
    let bytes = b"<p>\x93quoted\x94</p>";
    assert_eq!(
        extract_html(bytes, &url, Some("windows-1252")).text,
        "\u{201c}quoted\u{201d}"
    );
}

#[test]
fn deeply_nested_markup_does_not_overflow() {
    let html = format!(
        "<div>{}deep{}</div><p>after</p>",
        "<div><span>".repeat(100_000),
        "</span></div>".repeat(100_000)
    );
    let started = std::time::Instant::now();
    assert_eq!(page(&html).text, "deep\n\nafter");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}
