//! Reusable pieces of the portal's UI.

mod copy_button;
mod layout;

pub use copy_button::CopyButton;
pub use layout::{Layout, ThemeSignal};
