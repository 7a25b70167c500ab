//! Wire types shared by the server and the browser.

mod portal;
mod preferences;

pub use portal::PortalInfo;
pub use preferences::Theme;
