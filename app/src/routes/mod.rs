//! Pages, by area.

mod error_page;
mod home;
mod not_found;
mod preferences;

pub use error_page::ErrorPage;
pub use home::HomePage;
pub use not_found::NotFound;
pub use preferences::PreferencesPage;
