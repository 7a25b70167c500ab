//! The demo app and user seeded unless `--no-demo`, so `make run` works without setup.

use super::config::{AppSpec, BoardSpec, PinSpec, PinsSpec, UserSpec};
use super::model::{AccessTier, AccountType, Privacy};

pub const DEMO_APP_ID: &str = "1234567";
pub const DEMO_APP_SECRET: &str = "sim-demo-secret";
pub const DEMO_REDIRECT_URI: &str = "http://127.0.0.1:3000/integration-callback";
pub const DEMO_USERNAME: &str = "demo_pinner";

pub fn app() -> AppSpec {
    AppSpec {
        id: Some(DEMO_APP_ID.into()),
        secret: Some(DEMO_APP_SECRET.into()),
        name: Some("pinbridge (demo)".into()),
        redirect_uris: vec![DEMO_REDIRECT_URI.into()],
        tier: AccessTier::Standard,
        access_token_ttl_secs: None,
        refresh_token_ttl_secs: None,
    }
}

const BOARDS: [(&str, &str, [&str; 10]); 3] = [
    (
        "Weeknight dinners",
        "Quick recipes for busy evenings",
        [
            "One-pan lemon chicken",
            "Miso glazed salmon",
            "Chickpea curry",
            "Sheet-pan gnocchi",
            "Ten-minute ramen",
            "Black bean tacos",
            "Pesto pasta salad",
            "Shakshuka",
            "Sesame noodles",
            "Stuffed peppers",
        ],
    ),
    (
        "Balcony garden",
        "Growing food in small spaces",
        [
            "Herbs in window boxes",
            "Cherry tomatoes in pots",
            "DIY self-watering planter",
            "Vertical strawberry tower",
            "Companion planting chart",
            "Compost in a bucket",
            "Chili peppers from seed",
            "Hanging salad garden",
            "Winter balcony care",
            "Pollinator-friendly flowers",
        ],
    ),
    (
        "Reading nook",
        "Cosy corners and book lists",
        [
            "Window seat with cushions",
            "Floating bookshelves",
            "Reading lamp ideas",
            "Classic novels to reread",
            "Under-stairs library",
            "Bean bag corner",
            "Book-themed prints",
            "Short story collections",
            "Wall-mounted magazine rack",
            "Tea station by the shelf",
        ],
    ),
];

pub fn user() -> UserSpec {
    UserSpec {
        username: DEMO_USERNAME.into(),
        account_type: AccountType::Pinner,
        business_name: None,
        about: Some("A simulated Pinterest user for pinbridge demos.".into()),
        website_url: Some("https://example.com/demo_pinner".into()),
        follower_count: 128,
        following_count: 64,
        monthly_views: 4096,
        boards: BOARDS
            .iter()
            .map(|(name, description, titles)| BoardSpec {
                name: (*name).into(),
                description: Some((*description).into()),
                privacy: Privacy::Public,
                pins: PinsSpec::List(
                    titles
                        .iter()
                        .map(|title| PinSpec {
                            title: Some((*title).into()),
                            description: Some(format!("{title}, saved to “{name}”.")),
                            link: Some(format!(
                                "https://example.com/{}",
                                title.to_ascii_lowercase().replace(' ', "-")
                            )),
                            alt_text: Some(format!("Photo: {title}")),
                            dominant_color: None,
                        })
                        .collect(),
                ),
            })
            .collect(),
    }
}
