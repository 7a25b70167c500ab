//! The accent colour of a workspace's end-user pages, and the WCAG contrast
//! check it must pass before it is kept.

use std::fmt;

/// The background of the end user's pages in their light palette (`--bg` in
/// `style/main.css`), which branded pages always use. The cards on it are
/// white, so a colour that contrasts with this contrasts with them too.
pub const PAGE_BACKGROUND: Rgb = Rgb(0xf6, 0xf7, 0xf9);

/// WCAG 2 AA for normal text: links and the button's label are in the accent
/// (or on it), so the colour must read as text against the page.
pub const MINIMUM_CONTRAST: f64 = 4.5;

/// A colour as red, green and blue bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb` or `#rgb` (the `#` optional, any letter case).
    pub fn parse(raw: &str) -> Option<Self> {
        let hex = raw.trim();
        let hex = hex.strip_prefix('#').unwrap_or(hex);
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..=i], 16).ok();
        let pair = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        match hex.len() {
            3 => Some(Self(digit(0)? * 17, digit(1)? * 17, digit(2)? * 17)),
            6 => Some(Self(pair(0)?, pair(2)?, pair(4)?)),
            _ => None,
        }
    }

    /// Relative luminance, as WCAG 2 defines it.
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    /// The WCAG 2 contrast ratio of two colours, from 1 to 21.
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (light, dark) = if a >= b { (a, b) } else { (b, a) };
        (light + 0.05) / (dark + 0.05)
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// An accent colour that reads against the end user's page: only
/// [`Accent::parse`] makes one. Shown and stored as `#rrggbb`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accent(Rgb);

/// Why a colour was refused, worded for the field.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AccentProblem {
    #[error("Enter a colour as # and six hexadecimal digits, such as #1f5fbf (this is “{0}”).")]
    NotAColour(String),
    #[error(
        "{colour} has a contrast of {ratio:.2}:1 with the page's background ({background}); \
         WCAG AA needs at least 4.5:1 for text, so end users could not read links and buttons in it. \
         Choose a darker colour."
    )]
    TooLittleContrast {
        colour: String,
        ratio: f64,
        background: String,
    },
}

impl Accent {
    pub fn parse(raw: &str) -> Result<Self, AccentProblem> {
        let shown: String = raw.trim().chars().take(40).collect();
        let rgb = Rgb::parse(raw).ok_or(AccentProblem::NotAColour(shown))?;
        let ratio = rgb.contrast(PAGE_BACKGROUND);
        if ratio < MINIMUM_CONTRAST {
            return Err(AccentProblem::TooLittleContrast {
                colour: rgb.to_string(),
                // Rounded down, so the message never shows 4.50 for a refusal.
                ratio: (ratio * 100.0).floor() / 100.0,
                background: PAGE_BACKGROUND.to_string(),
            });
        }
        Ok(Self(rgb))
    }

    pub fn rgb(self) -> Rgb {
        self.0
    }
}

impl fmt::Display for Accent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_in_both_lengths_and_any_case() {
        assert_eq!(Rgb::parse("#1F5fbf"), Some(Rgb(0x1f, 0x5f, 0xbf)));
        assert_eq!(Rgb::parse(" 1f5fbf "), Some(Rgb(0x1f, 0x5f, 0xbf)));
        assert_eq!(Rgb::parse("#abc"), Some(Rgb(0xaa, 0xbb, 0xcc)));
        for bad in [
            "",
            "#",
            "red",
            "#12345",
            "#1234567",
            "#gg0000",
            "rgb(0,0,0)",
            "#ééé",
        ] {
            assert_eq!(Rgb::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn contrast_matches_the_wcag_reference_values() {
        let white = Rgb(255, 255, 255);
        let black = Rgb(0, 0, 0);
        assert!((white.contrast(black) - 21.0).abs() < 1e-9);
        assert!((white.contrast(white) - 1.0).abs() < 1e-9);
        // #767676 on white is the well-known AA boundary: 4.54:1.
        let grey = Rgb(0x76, 0x76, 0x76).contrast(white);
        assert!((grey - 4.54).abs() < 0.01, "{grey}");
    }

    #[test]
    fn accents_need_aa_contrast_with_the_page_and_the_message_gives_the_ratio() {
        assert_eq!(Accent::parse("#C8102E").unwrap().to_string(), "#c8102e");
        match Accent::parse("#ffcc00") {
            Err(AccentProblem::TooLittleContrast { ratio, colour, .. }) => {
                assert_eq!(colour, "#ffcc00");
                assert!(ratio < 2.0, "{ratio}");
            }
            other => panic!("{other:?}"),
        }
        let message = Accent::parse("#ffcc00").unwrap_err().to_string();
        assert!(message.contains(":1"), "{message}");
        assert!(message.contains("4.5:1"), "{message}");
        assert!(matches!(
            Accent::parse("blue"),
            Err(AccentProblem::NotAColour(_))
        ));
    }
}
